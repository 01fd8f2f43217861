"""Use case: import a CSV of known people so that their later conversations attach to them.

Columns (header names, any order): first_name, last_name, phone, email, zip, van_id, and
optionally everything the generic export writes (person_id, address, city, state, sms_status,
support_level, support_label, issues, stance_note, support_recorded_at, first_contact_at,
last_contact_at, last_contact_channel), so an export re-imports as the same data. Stance
columns become a data point with source ``imported``. Importing a file twice changes nothing
the second time; an address that already belongs to someone updates that person instead.
An opt-out in the file is applied; an import never re-subscribes anyone.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from chalicelib.domain.channels import SMS, Channel, known_channels
from chalicelib.domain.ids import new_id
from chalicelib.domain.model import EMAIL, PHONE, Address, Identity, Person, SubscriptionStatus
from chalicelib.domain.phones import InvalidPhoneNumber, to_e164
from chalicelib.domain.stance import (
    InvalidStanceError,
    Stance,
    StanceResponse,
    StanceSource,
    check_issues,
    parse_issues,
)
from chalicelib.services.ports import Clock
from chalicelib.services.ports.people import IdentityTakenError, PeopleStore

PROFILE_COLUMNS = ("first_name", "last_name", "zip", "van_id", "address", "city", "state")
ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class RowError(ValueError):
    pass


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, reason); never the row's content


def _time(value: str, column: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise RowError(f"{column} is not an ISO 8601 time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _stance(row: dict[str, str], person_id: str, issue_slugs: tuple[str, ...], now: datetime) -> Stance | None:
    level_text, label = row.get("support_level", ""), row.get("support_label", "")
    issues_text, note = row.get("issues", ""), row.get("stance_note", "") or row.get("note", "")
    if not (level_text or label in {r.value for r in StanceResponse} or issues_text or note):
        return None
    try:
        level = int(level_text) if level_text else None
        response = StanceResponse(label) if level is None and label in {r.value for r in StanceResponse} else None
        issues = parse_issues(issues_text)
        check_issues(issues, issue_slugs)
    except (ValueError, InvalidStanceError) as exc:
        raise RowError(str(exc)) from None
    recorded_at = _time(row.get("support_recorded_at", ""), "support_recorded_at") or now
    # Deterministic id: importing the same file again rewrites the same data point.
    digest = hashlib.sha256(f"{person_id}|{recorded_at.isoformat()}|{level}|{response}|{issues_text}|{note}".encode())
    try:
        return Stance(
            id="imp" + digest.hexdigest()[:23],
            person_id=person_id,
            support_level=level,
            response=response,
            issues=issues,
            note=note or None,
            source=StanceSource.IMPORTED,
            recorded_at=recorded_at,
        )
    except ValueError as exc:
        raise RowError(str(exc).splitlines()[0]) from None


def import_row(store: PeopleStore, clock: Clock, issue_slugs: tuple[str, ...], row: dict[str, str]) -> bool:
    """Import one row; True when a new person was created, False when one was updated."""
    now = clock()
    phone = email = None
    if row.get("phone"):
        try:
            phone = to_e164(row["phone"])
        except InvalidPhoneNumber:
            raise RowError("phone is not a valid phone number") from None
    if row.get("email"):
        email = row["email"].strip().lower()
        if not EMAIL_PATTERN.match(email):
            raise RowError("email is not an email address")
    if not phone and not email:
        raise RowError("a row needs a phone or an email")
    person_id = row.get("person_id") or new_id()
    if not ID.match(person_id):
        raise RowError("person_id has characters other than letters, digits, - and _")
    sms_status = row.get("sms_status", "")
    if sms_status and sms_status not in {s.value for s in SubscriptionStatus}:
        raise RowError("sms_status must be subscribed, opted_out or unknown")
    channel = row.get("last_contact_channel", "")
    if channel and channel not in known_channels():
        raise RowError("last_contact_channel is not a channel")

    profile = {name: row[name] for name in PROFILE_COLUMNS if row.get(name)}
    person = Person(
        id=person_id,
        email=email,
        identities=[
            ref for ref in (Address(PHONE, phone) if phone else None, Address(EMAIL, email) if email else None) if ref
        ],
        first_contact_at=_time(row.get("first_contact_at", ""), "first_contact_at"),
        last_contact_at=_time(row.get("last_contact_at", ""), "last_contact_at"),
        last_contact_channel=Channel(channel) if channel else None,
        created_at=now,
        updated_at=now,
        **profile,
    )
    identities = []
    if phone:
        subscriptions = {}
        if sms_status in (SubscriptionStatus.SUBSCRIBED, SubscriptionStatus.OPTED_OUT):
            subscriptions[SMS.value] = SubscriptionStatus(sms_status)
        identities.append(Identity(kind=PHONE, address=phone, person_id=person_id, subscriptions=subscriptions,
                                   created_at=now))  # fmt: skip
    if email:
        identities.append(Identity(kind=EMAIL, address=email, person_id=person_id, created_at=now))
    stance = _stance(row, person_id, issue_slugs, now)

    try:
        store.create_person(person, identities, stance)
        return True
    except IdentityTakenError as taken:
        existing = taken.person_id
    # Someone we know already: the file's values update them; their stance gains a data point.
    changes: dict[str, str | None] = {name: value for name, value in profile.items()}
    if email:
        changes["email"] = email
    store.update_person(existing, changes, now)
    if stance is not None:
        store.add_stance(stance.model_copy(update={"person_id": existing}), changed_at=now)
    if phone and sms_status == SubscriptionStatus.OPTED_OUT:
        store.set_subscription(Address(PHONE, phone), SMS, SubscriptionStatus.OPTED_OUT)
    return False


def import_people(
    store: PeopleStore,
    clock: Clock,
    issue_slugs: tuple[str, ...],
    rows: Iterable[dict[str, str]],
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    report = ImportReport()
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        try:
            if import_row(store, clock, issue_slugs, row):
                report.created += 1
            else:
                report.updated += 1
        except RowError as exc:
            report.skipped.append((line, str(exc)))
        if progress:
            progress(1)
    return report
