"""Export files organizers load into their tools: formats, filters and safe cells. Pure, no I/O.

A format is data: its header and a function from one person's record to its rows. The
service feeds records page by page; nothing here holds more than one person at a time.
"""

from __future__ import annotations

import csv
import enum
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from chalicelib.domain.channels import SMS, Channel, UnknownChannelError, rules_of
from chalicelib.domain.model import EMAIL, PHONE, Identity, Person, SubscriptionStatus, iso
from chalicelib.domain.stance import (
    SUPPORT_TITLES,
    IssuePosition,
    Stance,
    StanceSource,
    format_issues,
)

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# A cell starting with one of these is a formula (or becomes one) in Excel, LibreOffice, Sheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """Text people typed never reaches a spreadsheet as a live formula (OWASP CSV injection)."""
    return "'" + value if value.startswith(FORMULA_START) else value


def safe_phone(value: str | None) -> str:
    """Validated E.164 passes as it is (it starts with '+'); anything else is escaped text."""
    if not value:
        return ""
    return value if E164.match(value) else safe_cell(value)


class ExportFormat(enum.StrEnum):
    GENERIC = "generic"
    VAN = "van"
    ACTIONNETWORK = "actionnetwork"


class Preset(enum.StrEnum):
    CHASE = "chase"  # supporters (1-2) we may still text
    PERSUASION = "persuasion"  # leaners and undecided (2-4)


PRESET_LEVELS: dict[Preset, frozenset[int]] = {
    Preset.CHASE: frozenset({1, 2}),
    Preset.PERSUASION: frozenset({2, 3, 4}),
}


@dataclass(frozen=True)
class Contact:
    """What an export needs of one of a person's addresses: its subscription status per
    channel and the channels the person wrote on. The store keeps it on the person item, so
    an export reads one item a person."""

    kind: str
    address: str
    subscriptions: dict[str, SubscriptionStatus] = field(default_factory=dict)
    channels: frozenset[str] = frozenset()  # channels the person wrote on from this address

    @classmethod
    def of(cls, identity: Identity) -> Contact:
        return cls(identity.kind, identity.address, dict(identity.subscriptions), frozenset(identity.last_inbound))

    def status_of(self, channel: Channel) -> SubscriptionStatus:
        return self.subscriptions.get(channel.value, SubscriptionStatus.UNKNOWN)


@dataclass(frozen=True)
class ExportRecord:
    """Everything one export row needs about a person, gathered by the service."""

    person: Person
    stance: Stance | None
    contacts: tuple[Contact, ...] = ()
    assigned_volunteer: str | None = None  # name of whoever holds the open task
    recorded_by_name: str | None = None  # name of whoever recorded the current stance

    @property
    def phone_contact(self) -> Contact | None:
        return next((c for c in self.contacts if c.kind == PHONE), None)

    @property
    def phone(self) -> str | None:
        found = self.phone_contact
        if found:
            return found.address
        return next((ref.value for ref in self.person.identities if ref.kind == PHONE), None)

    @property
    def email(self) -> str | None:
        if self.person.email:
            return self.person.email
        return next((ref.value for ref in self.person.identities if ref.kind == EMAIL), None)

    @property
    def sms_status(self) -> SubscriptionStatus:
        found = self.phone_contact
        return found.status_of(SMS) if found else SubscriptionStatus.UNKNOWN

    @property
    def do_not_contact(self) -> bool:
        """Opted out on every channel they have a status on (and on at least one)."""
        statuses = [s for c in self.contacts for s in c.subscriptions.values()]
        return bool(statuses) and all(s is SubscriptionStatus.OPTED_OUT for s in statuses)

    def channels(self) -> set[str]:
        """Channels the person has been in touch on (wrote, or has a subscription status)."""
        return {ch for c in self.contacts for ch in (*c.channels, *c.subscriptions)}


@dataclass(frozen=True)
class ExportQuery:
    """Which people an export holds. ``None`` means no filter on that field."""

    format: ExportFormat = ExportFormat.GENERIC
    support: frozenset[int] | None = None
    issues: tuple[tuple[str, IssuePosition], ...] = ()
    since: datetime | None = None
    channel: Channel | None = None
    preset: Preset | None = None

    @property
    def levels(self) -> frozenset[int] | None:
        if self.support is not None:
            return self.support
        return PRESET_LEVELS[self.preset] if self.preset else None

    def matches(self, record: ExportRecord) -> bool:
        stance = record.stance
        levels = self.levels
        if levels is not None and (stance is None or stance.support_level not in levels):
            return False
        for slug, position in self.issues:
            if stance is None or stance.issues.get(slug) is not position:
                return False
        if self.channel is not None and self.channel.value not in record.channels():
            return False
        if self.preset is Preset.CHASE and (record.sms_status is SubscriptionStatus.OPTED_OUT or record.do_not_contact):
            return False
        return not (self.since is not None and changed_at(record.person) < self.since)

    def as_params(self) -> dict[str, str]:
        """The query string that reproduces this query (export jobs store it)."""
        params: dict[str, str] = {"format": self.format.value}
        if self.support is not None:
            params["support"] = ",".join(str(level) for level in sorted(self.support))
        if self.issues:
            params["issue"] = ",".join(f"{slug}:{pos.value}" for slug, pos in self.issues)
        if self.since is not None:
            params["since"] = iso(self.since)
        if self.channel is not None:
            params["channel"] = self.channel.value
        if self.preset is not None:
            params["preset"] = self.preset.value
        return params


def changed_at(person: Person) -> datetime:
    """When anything an export shows about the person last changed."""
    return max(t for t in (person.created_at, person.updated_at, person.last_contact_at) if t is not None)


def _t(moment: datetime | None) -> str:
    return iso(moment) if moment else ""


def _text(value: str | None) -> str:
    return safe_cell(value) if value else ""


# -- generic --------------------------------------------------------------------------------
GENERIC_COLUMNS = (
    "person_id", "first_name", "last_name", "phone", "email", "zip", "support_level", "support_label",
    "support_source", "support_recorded_at", "issues", "sms_status", "do_not_contact", "first_contact_at",
    "last_contact_at", "last_contact_channel", "assigned_volunteer",
    # beyond the contract's minimum:
    "van_id", "address", "city", "state", "stance_note", "support_recorded_by",
)  # fmt: skip


def generic_rows(r: ExportRecord) -> Iterator[list[str]]:
    p, s = r.person, r.stance
    yield [
        p.id,
        _text(p.first_name),
        _text(p.last_name),
        safe_phone(r.phone),
        _text(r.email),
        _text(p.zip),
        str(s.support_level) if s and s.support_level is not None else "",
        s.support_label or "" if s else "",
        s.source.value if s else "",
        _t(s.recorded_at) if s else "",
        _text(format_issues(s.issues)) if s else "",
        r.sms_status.value,
        "true" if r.do_not_contact else "false",
        _t(p.first_contact_at),
        _t(p.last_contact_at),
        p.last_contact_channel.value if p.last_contact_channel else "",
        _text(r.assigned_volunteer),
        _text(p.van_id),
        _text(p.address),
        _text(p.city),
        _text(p.state),
        _text(s.note) if s else "",
        _text(r.recorded_by_name) if s else "",
    ]


# -- VAN ------------------------------------------------------------------------------------
VAN_COLUMNS = (
    "VanID", "FirstName", "LastName", "Phone", "Email", "Zip5", "SurveyQuestion", "SurveyResponse",
    "DateCanvassed", "CanvassedBy", "ContactType", "DoNotText", "ExternalID",
)  # fmt: skip
VAN_SUPPORT_QUESTION = "Support ID"


def van_contact_type(channel: Channel | None) -> str:
    """The ContactType a channel's module declares for VAN (blank for none or an unknown channel)."""
    if channel is None:
        return ""
    try:
        return rules_of(channel).van_contact_type
    except UnknownChannelError:
        return ""


VAN_RESPONSE_TITLES = {"not_voting": "Not voting", "refused": "Refused"}


def van_rows(r: ExportRecord) -> Iterator[list[str]]:
    """One row per survey response (support ID, then each issue); one bare row without any,
    so that opted-out numbers still reach VAN as do-not-text."""
    p, s = r.person, r.stance
    person_cells = [
        _text(p.van_id), _text(p.first_name), _text(p.last_name), safe_phone(r.phone), _text(r.email),
        _text((p.zip or "")[:5]),
    ]  # fmt: skip
    tail = ["Y" if r.sms_status is SubscriptionStatus.OPTED_OUT or r.do_not_contact else "N", p.id]
    if s is None:
        yield [*person_cells, "", "", "", "", "", *tail]
        return
    canvass = [
        s.recorded_at.strftime("%Y-%m-%d"),
        _text(r.recorded_by_name or _SOURCE_CANVASSER.get(s.source, "")),
        van_contact_type(s.channel),
    ]
    responses: list[tuple[str, str]] = []
    if s.support_level is not None:
        responses.append((VAN_SUPPORT_QUESTION, f"{s.support_level} - {SUPPORT_TITLES[s.support_level]}"))
    elif s.response is not None:
        responses.append((VAN_SUPPORT_QUESTION, VAN_RESPONSE_TITLES[s.response.value]))
    responses += [(f"Issue: {slug}", s.issues[slug].value.capitalize()) for slug in sorted(s.issues)]
    if not responses:
        responses.append(("", ""))
    for question, answer in responses:
        yield [*person_cells, _text(question), _text(answer), *canvass, *tail]


_SOURCE_CANVASSER = {StanceSource.SELF_REPORTED: "self-reported", StanceSource.IMPORTED: "imported"}


# -- Action Network -------------------------------------------------------------------------
ACTIONNETWORK_COLUMNS = ("email", "phone", "first_name", "last_name", "zip_code", "tags", "sms_status")


def stance_tags(s: Stance | None) -> list[str]:
    if s is None:
        return []
    tags = []
    if s.support_level is not None:
        tags.append(f"Support: {s.support_level} - {SUPPORT_TITLES[s.support_level]}")
    elif s.response is not None:
        tags.append(f"Support: {VAN_RESPONSE_TITLES[s.response.value]}")
    tags += [f"Issue: {slug} - {s.issues[slug].value}" for slug in sorted(s.issues)]
    return tags


def actionnetwork_rows(r: ExportRecord) -> Iterator[list[str]]:
    p = r.person
    yield [
        _text(r.email),
        safe_phone(r.phone),
        _text(p.first_name),
        _text(p.last_name),
        _text(p.zip),
        _text(", ".join(stance_tags(r.stance))),
        r.sms_status.value,
    ]


@dataclass(frozen=True)
class FormatSpec:
    columns: tuple[str, ...]
    rows: Callable[[ExportRecord], Iterable[list[str]]]
    filename: str = field(default="people.csv")


FORMATS: dict[ExportFormat, FormatSpec] = {
    ExportFormat.GENERIC: FormatSpec(GENERIC_COLUMNS, generic_rows, "people.csv"),
    ExportFormat.VAN: FormatSpec(VAN_COLUMNS, van_rows, "people-van.csv"),
    ExportFormat.ACTIONNETWORK: FormatSpec(ACTIONNETWORK_COLUMNS, actionnetwork_rows, "people-actionnetwork.csv"),
}


class _Drain:
    """A file-like sink the csv writer writes into; we take its text after each row."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        return text


def csv_chunks(columns: Iterable[str], rows: Iterable[list[str]], chunk_chars: int = 64 * 1024) -> Iterator[str]:
    """CSV text (header first) in chunks of about ``chunk_chars``; holds one chunk at a time."""
    drain = _Drain()
    writer = csv.writer(drain, lineterminator="\r\n")
    writer.writerow(list(columns))
    buffered = drain.take()
    for row in rows:
        writer.writerow(row)
        buffered += drain.take()
        if len(buffered) >= chunk_chars:
            yield buffered
            buffered = ""
    if buffered:
        yield buffered


def read_csv(text: io.TextIOBase | Iterable[str]) -> Iterator[dict[str, str]]:
    """Rows of a CSV file as dicts, with the escaping apostrophe taken back off."""
    for row in csv.DictReader(text):
        yield {k.strip(): unescape(v or "") for k, v in row.items() if k}


def unescape(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:2] in FORMULA_START else value
