"""Use cases: a person's record, their stance data points, edits, merges and deletion on request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from chalicelib.domain.ids import new_id
from chalicelib.domain.model import Channel, Message, Person, Role, User, iso
from chalicelib.domain.people import identity_view, mask_address, merged_profile, newest, suppression_hashes
from chalicelib.domain.stance import (
    InvalidStanceError,
    IssuePosition,
    Stance,
    StanceResponse,
    StanceSource,
    check_issues,
)
from chalicelib.services.errors import NotFoundError, UnprocessableError
from chalicelib.services.ports import Clock
from chalicelib.services.ports.messages import MessageStore
from chalicelib.services.ports.people import PeopleStore, PersonNotFoundError


class PeopleDeps(Protocol):
    @property
    def people(self) -> PeopleStore: ...
    @property
    def messages(self) -> MessageStore: ...
    @property
    def clock(self) -> Clock: ...


@dataclass(frozen=True)
class StanceInput:
    """What a volunteer records (validated at the edge; issue slugs are checked here)."""

    support_level: int | None = None
    response: StanceResponse | None = None
    issues: dict[str, IssuePosition] = field(default_factory=dict)
    note: str | None = None
    source: StanceSource = StanceSource.VOLUNTEER
    channel: Channel | None = None
    evidence: tuple[str, ...] = ()


def _person(store: PeopleStore, person_id: str) -> Person:
    person = store.get_person(person_id)
    if person is None:
        raise NotFoundError(f"no person {person_id}")
    return person


def record_stance(
    deps: PeopleDeps, issue_slugs: tuple[str, ...], person_id: str, data: StanceInput, *, by: User | None
) -> Stance:
    """Keep one dated data point; the newest is the person's current stance."""
    person = _person(deps.people, person_id)
    if data.support_level is None and data.response is None and not data.issues and not data.note:
        raise UnprocessableError("nothing to record: give support_level, response, issues or a note")
    try:
        check_issues(data.issues, issue_slugs)
    except InvalidStanceError as exc:
        raise UnprocessableError(str(exc)) from None
    if data.evidence:
        known = {m.id for m in deps.messages.list_messages(person_id)}
        missing = [m for m in data.evidence if m not in known]
        if missing:
            raise UnprocessableError(f"evidence must be this person's messages; unknown: {', '.join(missing)}")
    now = deps.clock()
    try:
        stance = Stance(
            id=new_id(int(now.timestamp() * 1000)),
            person_id=person_id,
            support_level=data.support_level,
            response=data.response,
            issues=data.issues,
            note=data.note,
            source=data.source,
            recorded_by=by.id if by else None,
            recorded_at=now,
            channel=data.channel or person.last_contact_channel,
            evidence=list(data.evidence),
        )
    except ValueError as exc:
        raise UnprocessableError(str(exc)) from None
    try:
        deps.people.add_stance(stance, changed_at=now)
    except PersonNotFoundError:
        raise NotFoundError(f"no person {person_id}") from None
    return stance


def stance_view(stance: Stance | None) -> dict[str, Any] | None:
    if stance is None:
        return None
    view = stance.model_dump(mode="json", exclude={"person_id"})
    view["recorded_at"] = iso(stance.recorded_at)
    view["support_label"] = stance.support_label
    return view


def message_view(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "direction": message.direction.value,
        "channel": message.channel.value,
        "text": message.text,
        "status": message.status.value,
        "created_at": iso(message.created_at),
        "kind": message.kind.value,
        "sent_by": message.sent_by,
        "media_urls": message.media_urls,
    }


def person_view(deps: PeopleDeps, person_id: str, viewer: User) -> dict[str, Any]:
    """The whole record; volunteers see addresses masked, organizers in full."""
    store = deps.people
    person = _person(store, person_id)
    masked = not viewer.role.allows(Role.ORGANIZER)
    identities = sorted(store.get_identities(list(person.identities)), key=lambda i: (i.kind, i.address))
    history = store.list_stances(person_id)
    current = store.get_current_stance(person_id)
    profile = person.model_dump(mode="json", exclude={"identities", "updated_at"}, exclude_none=False)
    if masked and person.email:
        profile["email"] = mask_address("email", person.email)
    return {
        **profile,
        "identities": [identity_view(i, masked) for i in identities],
        "stance": stance_view(current),
        "stance_history": [stance_view(s) for s in history],
        "messages": [message_view(m) for m in deps.messages.list_messages(person_id)],
    }


def edit_person(store: PeopleStore, clock: Clock, person_id: str, changes: dict[str, str | None]) -> Person:
    if not changes:
        raise UnprocessableError("nothing to change")
    try:
        return store.update_person(person_id, changes, clock())
    except PersonNotFoundError:
        raise NotFoundError(f"no person {person_id}") from None


def merge_people(store: PeopleStore, clock: Clock, keep_id: str, other_id: str) -> Person:
    """Fold ``other`` into ``keep``: identities, messages, stance history and tasks move;
    nothing is lost. Each step is safe to repeat, and ``other`` disappears only at the end,
    so a merge interrupted half-way finishes when it is asked again."""
    if keep_id == other_id:
        raise UnprocessableError("cannot merge a person with themselves")
    keep, other = _person(store, keep_id), _person(store, other_id)
    store.move_person_data(other_id, keep_id)
    merged = merged_profile(keep, other)
    merged.updated_at = clock()
    for ref in merged.identities:
        store.reassign_identity(ref, keep_id, merged.open_task_id)
    stance = newest(store.get_current_stance(keep_id), store.get_current_stance(other_id))
    store.replace_person(merged, stance)
    store.delete_profile(other_id)
    return merged


def delete_person(store: PeopleStore, clock: Clock, person_id: str, by: User) -> dict[str, str]:
    """Deletion on request: the data goes; hashed addresses stay so they are never contacted
    again; the deletion itself is recorded (when, by whom, how many addresses)."""
    person = _person(store, person_id)
    hashes = suppression_hashes(person)
    record = {"person_id": person_id, "deleted_at": iso(clock()), "deleted_by": by.id, "suppressed": str(len(hashes))}
    store.erase_person(person_id, hashes, record)
    return record
