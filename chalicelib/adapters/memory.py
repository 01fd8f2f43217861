"""In-memory fakes of the ports, for unit tests and benchmarks.

They keep the same promises as the real adapters (atomic inbound writes, duplicate and
stale-plan detection, forward-only statuses, due-time ordering with cursors) and are held
to them by the shared contract suite in ``tests/integration/test_store_contract.py``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.adapters.cursor import decode_cursor, encode_cursor
from chalicelib.domain.exports import Contact
from chalicelib.domain.followup import StaffPhone
from chalicelib.domain.inbound import Answer, InboundPlan
from chalicelib.domain.model import (
    STATUS_RANK,
    Channel,
    Identity,
    Message,
    MessageStatus,
    Person,
    Role,
    SubscriptionStatus,
    Task,
    TaskStatus,
    User,
    iso,
    preview_of,
)
from chalicelib.domain.saved_replies import SavedReply
from chalicelib.domain.stance import Stance, is_newer
from chalicelib.services.ports import (
    DuplicateDeliveryError,
    ExportJob,
    IdentityTakenError,
    MessageFill,
    MessageRef,
    PersonNotFoundError,
    PersonRow,
    SenderLookup,
    SendStart,
    StalePlanError,
    TaskPage,
    TaskStateError,
)


class InMemoryStore:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.people: dict[str, Person] = {}
        self.identities: dict[tuple[str, str], Identity] = {}
        self.messages: dict[str, dict[tuple[str, str], Message]] = {}
        self.tasks: dict[str, Task] = {}
        self.markers: dict[str, Answer] = {}
        self.pointers: dict[tuple[str, str], MessageRef] = {}
        self.users: dict[str, User] = {}
        self.tokens: dict[str, str] = {}
        # people, stance, exports
        self.stances: dict[str, dict[tuple[str, str], Stance]] = {}
        self.current_stance: dict[str, Stance] = {}
        self.suppressed: set[str] = set()
        self.deletions: dict[str, dict[str, str]] = {}
        self.stats: dict[str, Any] | None = None
        self.export_jobs: dict[str, ExportJob] = {}
        # follow-up
        self.send_leases: dict[str, datetime] = {}
        self.send_attempts: dict[str, int] = {}
        self.staff: dict[str, StaffPhone] = {}
        self.handled: set[str] = set()

    # -- inbound -------------------------------------------------------------------------
    def find_identity(self, kind: str, address: str) -> Identity | None:
        with self._lock:
            found = self.identities.get((kind, address))
            return found.model_copy(deep=True) if found else None

    def get_person(self, person_id: str) -> Person | None:
        with self._lock:
            found = self.people.get(person_id)
            return found.model_copy(deep=True) if found else None

    def record_inbound(self, plan: InboundPlan) -> None:
        msg = plan.inbound
        channel = msg.channel.value
        task_id = plan.open_task.id if plan.open_task else plan.join_task_id
        with self._lock:
            if msg.dedupe_key in self.markers:
                raise DuplicateDeliveryError(self.markers[msg.dedupe_key].model_copy())
            key = (plan.identity_kind, msg.address)
            if plan.new_identity is not None and plan.new_person is not None:
                if key in self.identities or plan.person_id in self.people:
                    raise StalePlanError()
                identity = plan.new_identity.model_copy(deep=True)
                person = plan.new_person.model_copy(deep=True)
            else:
                found_identity = self.identities.get(key)
                found_person = self.people.get(plan.person_id)
                if found_identity is None or found_person is None or found_identity.person_id != plan.person_id:
                    raise StalePlanError()
                identity, person = found_identity, found_person
                if (plan.open_task or plan.join_task_id) and person.open_task_id != plan.expected_open_task:
                    raise StalePlanError()
                if plan.join_task_id and plan.join_task_id not in self.tasks:
                    raise StalePlanError()
            # All conditions hold: apply everything.
            self.markers[msg.dedupe_key] = plan.answer.model_copy()
            for m in [plan.message, *plan.outbound]:
                self._put_message(m)
            self.identities[key] = identity
            self.people[person.id] = person
            identity.last_inbound[channel] = msg.received_at
            if plan.subscription:
                identity.subscriptions[channel] = plan.subscription
            if task_id:
                identity.open_task_id = task_id
            person.last_contact_at = msg.received_at
            person.last_contact_channel = msg.channel
            person.first_contact_at = person.first_contact_at or msg.received_at
            if plan.open_task is not None:
                person.open_task_id = plan.open_task.id
                self.tasks[plan.open_task.id] = plan.open_task.model_copy(deep=True)
            elif plan.join_task_id is not None:
                task = self.tasks[plan.join_task_id]
                task.preview = preview_of(plan.message.text)
                task.last_inbound_at = msg.received_at
                task.channel = msg.channel
                task.inbound_count += 1

    # -- people, stance, exports ---------------------------------------------------------
    def _changed(self, person: Person) -> datetime:
        return max(t for t in (person.created_at, person.updated_at, person.last_contact_at) if t is not None)

    def add_stance(self, stance: Stance, changed_at: datetime | None = None) -> bool:
        with self._lock:
            person = self.people.get(stance.person_id)
            if person is None:
                raise PersonNotFoundError(stance.person_id)
            self.stances.setdefault(stance.person_id, {})[(iso(stance.recorded_at), stance.id)] = stance.model_copy()
            if not is_newer(stance, self.current_stance.get(stance.person_id)):
                return False
            self.current_stance[stance.person_id] = stance.model_copy()
            person.updated_at = changed_at or stance.recorded_at
            return True

    def list_stances(self, person_id: str) -> list[Stance]:
        with self._lock:
            points = self.stances.get(person_id, {})
            return [points[k].model_copy() for k in sorted(points)]

    def get_current_stance(self, person_id: str) -> Stance | None:
        with self._lock:
            found = self.current_stance.get(person_id)
            return found.model_copy() if found else None

    def update_person(self, person_id: str, changes: dict[str, str | None], at: datetime) -> Person:
        with self._lock:
            person = self.people.get(person_id)
            if person is None:
                raise PersonNotFoundError(person_id)
            for name, value in changes.items():
                setattr(person, name, value)
            person.updated_at = at
            return person.model_copy(deep=True)

    def people_pages(self, since: datetime | None, page_size: int) -> Iterator[list[PersonRow]]:
        with self._lock:
            ordered = sorted(self.people.values(), key=lambda p: (iso(self._changed(p)), p.id))
            if since is not None:
                ordered = [p for p in ordered if self._changed(p) >= since]
            rows = [
                PersonRow(p.model_copy(deep=True), self.current_stance.get(p.id), self._contacts(p)) for p in ordered
            ]
        for start in range(0, len(rows), page_size):
            yield rows[start : start + page_size]

    def _contacts(self, person: Person) -> tuple[Contact, ...]:
        found = (
            self.identities.get((kind, address)) for kind, _, address in (r.partition(":") for r in person.identities)
        )
        return tuple(Contact.of(identity) for identity in found if identity is not None)

    def get_identities(self, keys: list[tuple[str, str]]) -> list[Identity]:
        with self._lock:
            return [self.identities[k].model_copy(deep=True) for k in dict.fromkeys(keys) if k in self.identities]

    def get_tasks(self, task_ids: list[str]) -> list[Task]:
        with self._lock:
            return [self.tasks[t].model_copy(deep=True) for t in dict.fromkeys(task_ids) if t in self.tasks]

    def create_person(self, person: Person, identities: list[Identity], stance: Stance | None) -> None:
        with self._lock:
            for identity in identities:
                taken = self.identities.get((identity.kind, identity.address))
                if taken is not None:
                    raise IdentityTakenError(taken.person_id)
            if person.id in self.people:
                raise IdentityTakenError(person.id)
            self.people[person.id] = person.model_copy(deep=True)
            for identity in identities:
                self.identities[(identity.kind, identity.address)] = identity.model_copy(deep=True)
            if stance is not None:
                self.stances.setdefault(person.id, {})[(iso(stance.recorded_at), stance.id)] = stance.model_copy()
                self.current_stance[person.id] = stance.model_copy()

    def move_person_data(self, from_id: str, to_id: str) -> set[str]:
        with self._lock:
            task_ids: set[str] = set()
            for key, message in self.messages.pop(from_id, {}).items():
                message.person_id = to_id
                self.messages.setdefault(to_id, {})[key] = message
                if message.task_id:
                    task_ids.add(message.task_id)
            for pointer_key, ref in list(self.pointers.items()):
                if ref.person_id == from_id:
                    self.pointers[pointer_key] = MessageRef(to_id, ref.message_id, ref.created_at)
            for key, stance in self.stances.pop(from_id, {}).items():
                stance.person_id = to_id
                self.stances.setdefault(to_id, {})[key] = stance
            for task_id in task_ids:
                if task_id in self.tasks:
                    self.tasks[task_id].person_id = to_id
            return task_ids

    def reassign_identity(self, kind: str, address: str, person_id: str, open_task_id: str | None) -> None:
        with self._lock:
            identity = self.identities[(kind, address)]
            identity.person_id = person_id
            identity.open_task_id = open_task_id

    def replace_person(self, person: Person, stance: Stance | None) -> None:
        with self._lock:
            self.people[person.id] = person.model_copy(deep=True)
            if stance is None:
                self.current_stance.pop(person.id, None)
            else:
                self.current_stance[person.id] = stance.model_copy()

    def delete_profile(self, person_id: str) -> None:
        with self._lock:
            self.people.pop(person_id, None)
            self.current_stance.pop(person_id, None)

    def count_people(self, since: datetime | None) -> int:
        with self._lock:
            return sum(1 for p in self.people.values() if since is None or self._changed(p) >= since)

    def erase_person(self, person_id: str, suppress: list[str], record: dict[str, str]) -> None:
        with self._lock:
            self.suppressed.update(suppress)
            person = self.people.get(person_id)
            convo = self.messages.pop(person_id, {})
            task_ids = {m.task_id for m in convo.values() if m.task_id}
            if person is not None:
                for ref in person.identities:
                    kind, address = ref.split(":", 1)
                    self.identities.pop((kind, address), None)
                if person.open_task_id:
                    task_ids.add(person.open_task_id)
            for task_id in task_ids:
                self.tasks.pop(task_id, None)
            for pointer_key, pointer in list(self.pointers.items()):
                if pointer.person_id == person_id:
                    del self.pointers[pointer_key]
            self.stances.pop(person_id, None)
            self.current_stance.pop(person_id, None)
            self.deletions[person_id] = dict(record)
            self.people.pop(person_id, None)

    def is_suppressed(self, identity_hash: str) -> bool:
        with self._lock:
            return identity_hash in self.suppressed

    def put_stats(self, stats: dict[str, Any]) -> None:
        with self._lock:
            self.stats = json.loads(json.dumps(stats))

    def get_stats(self) -> dict[str, Any] | None:
        with self._lock:
            return json.loads(json.dumps(self.stats)) if self.stats is not None else None

    def count_tasks(self, status: TaskStatus, due_before: datetime | None = None) -> int:
        with self._lock:
            return sum(
                1 for t in self.tasks.values() if t.status is status and (due_before is None or t.due_at < due_before)
            )

    def scan_activity(self, since: datetime) -> Iterator[dict[str, Any]]:
        with self._lock:
            found: list[dict[str, Any]] = [
                {"type": "message", **m.model_dump(mode="json")}
                for convo in self.messages.values()
                for m in convo.values()
                if m.created_at >= since
            ]
            found += [
                {"type": "task", **t.model_dump(mode="json")} for t in self.tasks.values() if t.created_at >= since
            ]
        yield from found

    def put_export_job(self, job: ExportJob) -> None:
        with self._lock:
            self.export_jobs[job.id] = job.model_copy(deep=True)

    def get_export_job(self, job_id: str) -> ExportJob | None:
        with self._lock:
            found = self.export_jobs.get(job_id)
            return found.model_copy(deep=True) if found else None

    # -- messages ------------------------------------------------------------------------
    def _put_message(self, message: Message) -> None:
        convo = self.messages.setdefault(message.person_id, {})
        convo[(iso(message.created_at), message.id)] = message.model_copy(deep=True)

    def put_message(self, message: Message) -> None:
        with self._lock:
            self._put_message(message)

    def get_message(self, ref: MessageRef) -> Message | None:
        with self._lock:
            found = self.messages.get(ref.person_id, {}).get((iso(ref.created_at), ref.message_id))
            return found.model_copy(deep=True) if found else None

    def list_messages(self, person_id: str) -> list[Message]:
        with self._lock:
            convo = self.messages.get(person_id, {})
            return [convo[k].model_copy(deep=True) for k in sorted(convo)]

    def link_provider_id(self, channel: Channel, provider_id: str, ref: MessageRef) -> None:
        with self._lock:
            self.pointers[(channel.value, provider_id)] = ref
            # people, stance, exports: the message names its pointer (as in DynamoDBStore).
            found = self.messages.get(ref.person_id, {}).get((iso(ref.created_at), ref.message_id))
            if found is not None:
                found.provider_id = provider_id

    def find_by_provider_id(self, channel: Channel, provider_id: str) -> MessageRef | None:
        with self._lock:
            return self.pointers.get((channel.value, provider_id))

    def advance_status(
        self,
        ref: MessageRef,
        status: MessageStatus,
        error_code: str | None = None,
        error_reason: str | None = None,
    ) -> bool:
        with self._lock:
            found = self.messages.get(ref.person_id, {}).get((iso(ref.created_at), ref.message_id))
            if found is None or STATUS_RANK[found.status] >= STATUS_RANK[status]:
                return False
            found.status = status
            found.error_code = error_code or found.error_code
            found.error_reason = error_reason or found.error_reason
            return True

    def set_subscription(self, kind: str, address: str, channel: Channel, status: SubscriptionStatus) -> None:
        with self._lock:
            identity = self.identities.get((kind, address))
            if identity is not None:
                identity.subscriptions[channel.value] = status

    # -- tasks ---------------------------------------------------------------------------
    def get_task(self, task_id: str) -> Task | None:
        with self._lock:
            found = self.tasks.get(task_id)
            return found.model_copy(deep=True) if found else None

    def list_tasks(self, status: TaskStatus, limit: int, after: str | None) -> TaskPage:
        with self._lock:
            ordered = sorted(
                (t for t in self.tasks.values() if t.status is status),
                key=lambda t: (iso(t.due_at), t.id),
            )
        if after:
            start = decode_cursor(after)
            ordered = [t for t in ordered if f"{iso(t.due_at)}#{t.id}" > start]
        page = ordered[:limit]
        more = len(ordered) > limit
        cursor = encode_cursor(f"{iso(page[-1].due_at)}#{page[-1].id}") if more and page else None
        return TaskPage([t.model_copy(deep=True) for t in page], cursor)

    # -- follow-up: claims, outbound sends, volunteers' phones --------------------
    def claim_task(self, task_id: str, user_id: str, now: datetime, lease_until: datetime) -> Task:
        with self._lock:
            task = self.tasks.get(task_id)
            if task is None or not _claimable(task, user_id, now):
                raise TaskStateError(task.model_copy(deep=True) if task else None)
            task.status = TaskStatus.CLAIMED
            task.claimed_by = user_id
            task.lease_until = lease_until
            return task.model_copy(deep=True)

    def release_task(self, task_id: str, holder: str | None) -> Task:
        with self._lock:
            task = self.tasks.get(task_id)
            if task is None or task.status is TaskStatus.DONE:
                raise TaskStateError(task.model_copy(deep=True) if task else None)
            if task.status is TaskStatus.CLAIMED:
                if holder is not None and task.claimed_by != holder:
                    raise TaskStateError(task.model_copy(deep=True))
                _reopen(task)
            return task.model_copy(deep=True)

    def complete_task(self, task_id: str, holder: str | None, outcome: str, now: datetime) -> Task:
        with self._lock:
            task = self.tasks.get(task_id)
            if task is None:
                raise TaskStateError(None)
            if task.status is TaskStatus.DONE:
                return task.model_copy(deep=True)
            if holder is not None and (task.status is not TaskStatus.CLAIMED or task.claimed_by != holder):
                raise TaskStateError(task.model_copy(deep=True))
            task.status = TaskStatus.DONE
            task.outcome = outcome
            task.done_at = now
            task.lease_until = None
            person = self.people.get(task.person_id)
            if person is not None and person.open_task_id == task_id:
                person.open_task_id = None
                for ref in person.identities:
                    kind, _, address = ref.partition(":")
                    identity = self.identities.get((kind, address))
                    if identity is not None:
                        identity.open_task_id = None
            return task.model_copy(deep=True)

    def expire_leases(self, now: datetime) -> list[Task]:
        with self._lock:
            expired = [
                t for t in self.tasks.values()
                if t.status is TaskStatus.CLAIMED and t.lease_until is not None and t.lease_until < now
            ]  # fmt: skip
            for task in expired:
                _reopen(task)
            return [t.model_copy(deep=True) for t in expired]

    def overdue_tasks(self, now: datetime, below_priority: int, due_before: datetime) -> list[Task]:
        with self._lock:
            found = [
                t for t in self.tasks.values()
                if t.status is TaskStatus.OPEN and t.due_at < due_before and t.priority < below_priority
            ]  # fmt: skip
            return [t.model_copy(deep=True) for t in sorted(found, key=lambda t: (iso(t.due_at), t.id))]

    def raise_priority(self, task_id: str, priority: int) -> bool:
        with self._lock:
            task = self.tasks.get(task_id)
            if task is None or task.priority >= priority:
                return False
            task.priority = priority
            return True

    def _stored(self, ref: MessageRef) -> Message | None:
        return self.messages.get(ref.person_id, {}).get((iso(ref.created_at), ref.message_id))

    def begin_send(self, ref: MessageRef, now: datetime, lease_until: datetime) -> SendStart:
        with self._lock:
            found = self._stored(ref)
            if found is None:
                return SendStart(False, None)
            lease = self.send_leases.get(ref.message_id)
            expired = found.status is MessageStatus.SENDING and lease is not None and lease < now
            early = found.send_after is not None and found.send_after > now
            if (found.status is not MessageStatus.QUEUED and not expired) or early:
                return SendStart(False, found.model_copy(deep=True))
            found.status = MessageStatus.SENDING
            self.send_leases[ref.message_id] = lease_until
            return SendStart(True, found.model_copy(deep=True))

    def mark_sent(self, ref: MessageRef, channel: Channel, provider_id: str, now: datetime) -> None:
        with self._lock:
            found = self._stored(ref)
            if found is None:
                return
            found.provider_id = provider_id
            if STATUS_RANK[found.status] < STATUS_RANK[MessageStatus.SENT]:
                found.status = MessageStatus.SENT
            self.send_leases.pop(ref.message_id, None)
            self.pointers[(channel.value, provider_id)] = ref

    def mark_failed(self, ref: MessageRef, code: str | None, reason: str) -> None:
        with self._lock:
            found = self._stored(ref)
            if found is None or STATUS_RANK[found.status] >= STATUS_RANK[MessageStatus.SENT]:
                return
            found.status = MessageStatus.FAILED
            found.error_code = code
            found.error_reason = reason
            self.send_leases.pop(ref.message_id, None)

    def retry_later(self, ref: MessageRef, reason: str) -> None:
        with self._lock:
            found = self._stored(ref)
            if found is None or found.status is not MessageStatus.SENDING:
                return
            found.status = MessageStatus.QUEUED
            self.send_attempts[ref.message_id] = self.send_attempts.get(ref.message_id, 0) + 1
            self.send_leases.pop(ref.message_id, None)

    def put_staff_phone(self, staff: StaffPhone) -> None:
        with self._lock:
            self.staff[staff.phone] = staff.model_copy(deep=True)

    def find_staff_phone(self, phone: str) -> StaffPhone | None:
        with self._lock:
            found = self.staff.get(phone)
            return found.model_copy(deep=True) if found else None

    def set_shift(self, phone: str, on: bool) -> StaffPhone | None:
        with self._lock:
            found = self.staff.get(phone)
            if found is None:
                return None
            found.on_shift = on
            return found.model_copy(deep=True)

    def on_shift(self) -> list[StaffPhone]:
        with self._lock:
            found = [s for s in self.staff.values() if s.on_shift]
            found.sort(key=lambda s: (iso(s.last_offered_at) if s.last_offered_at else "", s.user_id))
            return [s.model_copy(deep=True) for s in found]

    def staff_with_role(self, role: Role) -> list[StaffPhone]:
        with self._lock:
            return [s.model_copy(deep=True) for s in self.staff.values() if s.role is role]

    def set_current_task(self, phone: str, task_id: str | None, now: datetime) -> None:
        with self._lock:
            found = self.staff.get(phone)
            if found is None:
                return
            found.current_task_id = task_id
            if task_id is not None:
                found.last_offered_at = found.forwarded_at = now

    def find_sender(self, kind: str, address: str) -> SenderLookup:
        return SenderLookup(self.find_identity(kind, address), self.find_staff_phone(address))

    def mark_forwarded(self, phone: str, until: datetime) -> None:
        with self._lock:
            found = self.staff.get(phone)
            if found is not None:
                found.forwarded_at = until

    def mark_handled(self, dedupe_key: str, now: datetime) -> bool:
        with self._lock:
            if dedupe_key in self.markers or dedupe_key in self.handled:
                return False
            self.handled.add(dedupe_key)
            return True

    # -- users ---------------------------------------------------------------------------
    def put_user(self, user: User, token_hash: str) -> None:
        with self._lock:
            self.users[user.id] = user.model_copy()
            self.tokens[token_hash] = user.id

    def user_for_token(self, token_hash: str) -> User | None:
        with self._lock:
            user_id = self.tokens.get(token_hash)
            return self.users[user_id].model_copy() if user_id else None

    def get_user(self, user_id: str) -> User | None:
        with self._lock:
            found = self.users.get(user_id)
            return found.model_copy() if found else None

    # -- channels: content that arrives after the message ----------------------
    @property
    def _final_texts(self) -> dict[tuple[str, str, str], str]:
        # Final texts (transcripts) kept apart, as DynamoDB keeps ``final_text`` on the item.
        return self.__dict__.setdefault("_finals", {})  # type: ignore[no-any-return]

    def fill_message(self, ref: MessageRef, fill: MessageFill) -> Message | None:
        with self._lock:
            key = (iso(ref.created_at), ref.message_id)
            found = self.messages.get(ref.person_id, {}).get(key)
            if found is None:
                return None
            finals = self._final_texts
            if fill.final_text is not None:
                finals[(ref.person_id, *key)] = fill.final_text
                found.text = fill.final_text
            elif fill.provisional_text is not None:
                found.text = finals.get((ref.person_id, *key), fill.provisional_text)
            if fill.media_urls is not None:
                found.media_urls = list(fill.media_urls)
            found.meta.update(fill.meta or {})
            return found.model_copy(deep=True)

    def set_task_preview(self, task_id: str, preview: str, replaces: tuple[str, ...]) -> bool:
        with self._lock:
            task = self.tasks.get(task_id)
            if task is None or task.preview not in replaces:
                return False
            task.preview = preview
            return True

    # -- saved replies ------------------------------------------
    def put_saved_reply(self, reply: SavedReply) -> None:
        with self._lock:
            self._saved_replies()[reply.id] = reply.model_copy()

    def list_saved_replies(self) -> list[SavedReply]:
        with self._lock:
            return [r.model_copy() for r in self._saved_replies().values()]

    def delete_saved_reply(self, reply_id: str) -> bool:
        with self._lock:
            return self._saved_replies().pop(reply_id, None) is not None

    def _saved_replies(self) -> dict[str, SavedReply]:
        # Created on first use so that this block stays self-contained (merges stay clean).
        if not hasattr(self, "saved_replies"):
            self.saved_replies: dict[str, SavedReply] = {}
        return self.saved_replies


# -- follow-up -------------------------------------------------------------------
def _claimable(task: Task, user_id: str, now: datetime) -> bool:
    if task.status is TaskStatus.OPEN:
        return True
    if task.status is TaskStatus.CLAIMED:
        return task.claimed_by == user_id or (task.lease_until is not None and task.lease_until < now)
    return False


def _reopen(task: Task) -> None:
    task.status = TaskStatus.OPEN
    task.claimed_by = None
    task.lease_until = None


@dataclass
class InMemoryQueue:
    """The outbound queue as a list; ``sent`` keeps everything ever enqueued."""

    items: list[tuple[MessageRef, int]] = field(default_factory=list)
    retries: list[tuple[str, int]] = field(default_factory=list)

    def enqueue(self, ref: MessageRef, delay_seconds: int = 0) -> None:
        self.items.append((ref, delay_seconds))

    # -- follow-up -------------------------------------------------------------
    def retry_after(self, receipt_handle: str, delay_seconds: int) -> None:
        self.retries.append((receipt_handle, delay_seconds))


# -- people, stance, exports -----------------------------------------------------------------
@dataclass
class InMemoryBlobStore:
    """Export files in a dict; links are fake but name the key."""

    blobs: dict[str, bytes] = field(default_factory=dict)

    def write_stream(self, key: str, chunks: Iterator[bytes], content_type: str) -> int:
        self.blobs[key] = b"".join(chunks)
        return len(self.blobs[key])

    def link(self, key: str, expires_seconds: int, filename: str) -> str:
        return f"memory://exports/{key}?expires={expires_seconds}"


@dataclass
class InMemoryExportJobQueue:
    jobs: list[str] = field(default_factory=list)

    def enqueue_export(self, job_id: str) -> None:
        self.jobs.append(job_id)
