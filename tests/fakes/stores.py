"""Every storage port in memory, over one shared set of dicts (as the real ones share a table).

The policy both stores follow comes from the domain (``moves_forward``, ``claimable``,
``lease_expired``, ``may_close``, ``Contact.of``); what DynamoDB does with conditions these do
under one lock.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.adapters.cursor import decode_cursor, encode_cursor
from chalicelib.domain.exports import Contact, changed_at
from chalicelib.domain.followup import StaffPhone, claimable, lease_expired, may_close
from chalicelib.domain.inbound import Answer, InboundPlan
from chalicelib.domain.model import (
    STATUS_RANK,
    Address,
    Channel,
    Identity,
    Message,
    MessageStatus,
    Outcome,
    Person,
    Role,
    SubscriptionStatus,
    Task,
    TaskStatus,
    User,
    iso,
    moves_forward,
    preview_of,
)
from chalicelib.domain.saved_replies import SavedReply
from chalicelib.domain.stance import Stance, is_newer
from chalicelib.services.ports import Stores
from chalicelib.services.ports.exports import ExportJob
from chalicelib.services.ports.inbound import DuplicateDeliveryError, SenderLookup, StalePlanError
from chalicelib.services.ports.messages import MessageFill, MessageRef
from chalicelib.services.ports.outbound import SendStart
from chalicelib.services.ports.people import IdentityTakenError, PersonNotFoundError, PersonRow
from chalicelib.services.ports.tasks import TaskPage, TaskStateError

MessageKey = tuple[str, str]  # (iso created_at, message id): sorts as the conversation reads


@dataclass
class InMemoryData:
    """The items, by type. Tests may look inside; the ports copy everything in and out."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    people: dict[str, Person] = field(default_factory=dict)
    identities: dict[Address, Identity] = field(default_factory=dict)
    messages: dict[str, dict[MessageKey, Message]] = field(default_factory=dict)
    final_texts: dict[tuple[str, MessageKey], str] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)
    markers: dict[str, Answer] = field(default_factory=dict)
    handled: set[str] = field(default_factory=set)
    pointers: dict[tuple[str, str], MessageRef] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    stances: dict[str, dict[tuple[str, str], Stance]] = field(default_factory=dict)
    current_stance: dict[str, Stance] = field(default_factory=dict)
    suppressed: set[str] = field(default_factory=set)
    deletions: dict[str, dict[str, str]] = field(default_factory=dict)
    stats: dict[str, Any] | None = None
    export_jobs: dict[str, ExportJob] = field(default_factory=dict)
    send_leases: dict[str, datetime] = field(default_factory=dict)
    send_attempts: dict[str, int] = field(default_factory=dict)
    staff: dict[str, StaffPhone] = field(default_factory=dict)
    saved_replies: dict[str, SavedReply] = field(default_factory=dict)

    def message(self, ref: MessageRef) -> Message | None:
        return self.messages.get(ref.person_id, {}).get((iso(ref.created_at), ref.message_id))

    def put_message(self, message: Message) -> None:
        convo = self.messages.setdefault(message.person_id, {})
        convo[(iso(message.created_at), message.id)] = message.model_copy(deep=True)


def _copy(model: Any) -> Any:
    return model.model_copy(deep=True) if model is not None else None


class _Area:
    def __init__(self, data: InMemoryData) -> None:
        self.data = data

    def get_person(self, person_id: str) -> Person | None:
        with self.data.lock:
            return _copy(self.data.people.get(person_id))

    def find_identity(self, address: Address) -> Identity | None:
        with self.data.lock:
            return _copy(self.data.identities.get(address))


class InMemoryInboundStore(_Area):
    def find_sender(self, address: Address) -> SenderLookup:
        with self.data.lock:
            return SenderLookup(_copy(self.data.identities.get(address)), _copy(self.data.staff.get(address.value)))

    def is_suppressed(self, identity_hash: str) -> bool:
        with self.data.lock:
            return identity_hash in self.data.suppressed

    def mark_handled(self, dedupe_key: str, now: datetime) -> bool:
        with self.data.lock:
            if dedupe_key in self.data.markers or dedupe_key in self.data.handled:
                return False
            self.data.handled.add(dedupe_key)
            return True

    def record_inbound(self, plan: InboundPlan) -> None:
        d, msg = self.data, plan.inbound
        channel = msg.channel.value
        task_id = plan.open_task.id if plan.open_task else plan.join_task_id
        with d.lock:
            if msg.dedupe_key in d.markers:
                raise DuplicateDeliveryError(d.markers[msg.dedupe_key].model_copy())
            address = plan.address
            if plan.new_identity is not None and plan.new_person is not None:
                if address in d.identities or plan.person_id in d.people:
                    raise StalePlanError()
                identity = plan.new_identity.model_copy(deep=True)
                person = plan.new_person.model_copy(deep=True)
            else:
                found_identity, found_person = d.identities.get(address), d.people.get(plan.person_id)
                if found_identity is None or found_person is None or found_identity.person_id != plan.person_id:
                    raise StalePlanError()
                identity, person = found_identity, found_person
                if (plan.open_task or plan.join_task_id) and person.open_task_id != plan.expected_open_task:
                    raise StalePlanError()
                if plan.join_task_id and plan.join_task_id not in d.tasks:
                    raise StalePlanError()
            # All conditions hold: apply everything.
            d.markers[msg.dedupe_key] = plan.answer.model_copy()
            for m in [plan.message, *plan.outbound]:
                d.put_message(m)
            d.identities[address] = identity
            d.people[person.id] = person
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
                d.tasks[plan.open_task.id] = plan.open_task.model_copy(deep=True)
            elif plan.join_task_id is not None:
                task = d.tasks[plan.join_task_id]
                task.preview = preview_of(plan.message.text)
                task.last_inbound_at = msg.received_at
                task.channel = msg.channel
                task.inbound_count += 1


class InMemoryPeopleStore(_Area):
    def get_identities(self, addresses: list[Address]) -> list[Identity]:
        with self.data.lock:
            return [_copy(self.data.identities[a]) for a in dict.fromkeys(addresses) if a in self.data.identities]

    def set_subscription(self, address: Address, channel: Channel, status: SubscriptionStatus) -> None:
        with self.data.lock:
            identity = self.data.identities.get(address)
            if identity is not None:
                identity.subscriptions[channel.value] = status

    def add_stance(self, stance: Stance, changed_at: datetime | None = None) -> bool:
        d = self.data
        with d.lock:
            person = d.people.get(stance.person_id)
            if person is None:
                raise PersonNotFoundError(stance.person_id)
            d.stances.setdefault(stance.person_id, {})[(iso(stance.recorded_at), stance.id)] = stance.model_copy()
            if not is_newer(stance, d.current_stance.get(stance.person_id)):
                return False
            d.current_stance[stance.person_id] = stance.model_copy()
            person.updated_at = changed_at or stance.recorded_at
            return True

    def list_stances(self, person_id: str) -> list[Stance]:
        with self.data.lock:
            points = self.data.stances.get(person_id, {})
            return [points[k].model_copy() for k in sorted(points)]

    def get_current_stance(self, person_id: str) -> Stance | None:
        with self.data.lock:
            return _copy(self.data.current_stance.get(person_id))

    def update_person(self, person_id: str, changes: dict[str, str | None], at: datetime) -> Person:
        with self.data.lock:
            person = self.data.people.get(person_id)
            if person is None:
                raise PersonNotFoundError(person_id)
            for name, value in changes.items():
                setattr(person, name, value)
            person.updated_at = at
            return person.model_copy(deep=True)

    def people_pages(self, since: datetime | None, page_size: int) -> Iterator[list[PersonRow]]:
        d = self.data
        with d.lock:
            ordered = sorted(d.people.values(), key=lambda p: (iso(changed_at(p)), p.id))
            if since is not None:
                ordered = [p for p in ordered if changed_at(p) >= since]
            rows = [PersonRow(_copy(p), _copy(d.current_stance.get(p.id)), self._contacts(p)) for p in ordered]
        for start in range(0, len(rows), page_size):
            yield rows[start : start + page_size]

    def _contacts(self, person: Person) -> tuple[Contact, ...]:
        found = (self.data.identities.get(ref) for ref in person.identities)
        return tuple(Contact.of(identity) for identity in found if identity is not None)

    def count_people(self, since: datetime | None) -> int:
        with self.data.lock:
            return sum(1 for p in self.data.people.values() if since is None or changed_at(p) >= since)

    def create_person(self, person: Person, identities: list[Identity], stance: Stance | None) -> None:
        d = self.data
        with d.lock:
            for identity in identities:
                taken = d.identities.get(identity.ref)
                if taken is not None:
                    raise IdentityTakenError(taken.person_id)
            if person.id in d.people:
                raise IdentityTakenError(person.id)
            d.people[person.id] = person.model_copy(deep=True)
            for identity in identities:
                d.identities[identity.ref] = identity.model_copy(deep=True)
            if stance is not None:
                d.stances.setdefault(person.id, {})[(iso(stance.recorded_at), stance.id)] = stance.model_copy()
                d.current_stance[person.id] = stance.model_copy()

    def move_person_data(self, from_id: str, to_id: str) -> set[str]:
        d = self.data
        with d.lock:
            task_ids: set[str] = set()
            for key, message in d.messages.pop(from_id, {}).items():
                message.person_id = to_id
                d.messages.setdefault(to_id, {})[key] = message
                if message.task_id:
                    task_ids.add(message.task_id)
            for pointer_key, ref in list(d.pointers.items()):
                if ref.person_id == from_id:
                    d.pointers[pointer_key] = MessageRef(to_id, ref.message_id, ref.created_at)
            for key, stance in d.stances.pop(from_id, {}).items():
                stance.person_id = to_id
                d.stances.setdefault(to_id, {})[key] = stance
            for task_id in task_ids:
                if task_id in d.tasks:
                    d.tasks[task_id].person_id = to_id
            return task_ids

    def reassign_identity(self, address: Address, person_id: str, open_task_id: str | None) -> None:
        with self.data.lock:
            identity = self.data.identities[address]
            identity.person_id = person_id
            identity.open_task_id = open_task_id

    def replace_person(self, person: Person, stance: Stance | None) -> None:
        with self.data.lock:
            self.data.people[person.id] = person.model_copy(deep=True)
            if stance is None:
                self.data.current_stance.pop(person.id, None)
            else:
                self.data.current_stance[person.id] = stance.model_copy()

    def delete_profile(self, person_id: str) -> None:
        with self.data.lock:
            self.data.people.pop(person_id, None)
            self.data.current_stance.pop(person_id, None)

    def erase_person(self, person_id: str, suppress: list[str], record: dict[str, str]) -> None:
        d = self.data
        with d.lock:
            d.suppressed.update(suppress)
            person = d.people.get(person_id)
            convo = d.messages.pop(person_id, {})
            task_ids = {m.task_id for m in convo.values() if m.task_id}
            if person is not None:
                for ref in person.identities:
                    d.identities.pop(ref, None)
                if person.open_task_id:
                    task_ids.add(person.open_task_id)
            for task_id in task_ids:
                d.tasks.pop(task_id, None)
            for pointer_key, pointer in list(d.pointers.items()):
                if pointer.person_id == person_id:
                    del d.pointers[pointer_key]
            d.stances.pop(person_id, None)
            d.current_stance.pop(person_id, None)
            d.deletions[person_id] = dict(record)
            d.people.pop(person_id, None)


class InMemoryMessageStore(_Area):
    def put_message(self, message: Message) -> None:
        with self.data.lock:
            self.data.put_message(message)

    def get_message(self, ref: MessageRef) -> Message | None:
        with self.data.lock:
            return _copy(self.data.message(ref))

    def list_messages(self, person_id: str) -> list[Message]:
        with self.data.lock:
            convo = self.data.messages.get(person_id, {})
            return [convo[k].model_copy(deep=True) for k in sorted(convo)]

    def link_provider_id(self, channel: Channel, provider_id: str, ref: MessageRef) -> None:
        with self.data.lock:
            self.data.pointers[(channel.value, provider_id)] = ref
            found = self.data.message(ref)
            if found is not None:
                found.provider_id = provider_id  # the message names its pointer, as in DynamoDB

    def find_by_provider_id(self, channel: Channel, provider_id: str) -> MessageRef | None:
        with self.data.lock:
            return self.data.pointers.get((channel.value, provider_id))

    def advance_status(
        self, ref: MessageRef, status: MessageStatus, error_code: str | None = None, error_reason: str | None = None
    ) -> bool:
        with self.data.lock:
            found = self.data.message(ref)
            if found is None or not moves_forward(found.status, status):
                return False
            found.status = status
            found.error_code = error_code or found.error_code
            found.error_reason = error_reason or found.error_reason
            return True

    def fill_message(self, ref: MessageRef, fill: MessageFill) -> Message | None:
        d = self.data
        with d.lock:
            found = d.message(ref)
            if found is None:
                return None
            # Final texts (transcripts) are kept apart, as DynamoDB keeps ``final_text`` on the item.
            final_key = (ref.person_id, (iso(ref.created_at), ref.message_id))
            if fill.final_text is not None:
                d.final_texts[final_key] = fill.final_text
                found.text = fill.final_text
            elif fill.provisional_text is not None:
                found.text = d.final_texts.get(final_key, fill.provisional_text)
            if fill.media_urls is not None:
                found.media_urls = list(fill.media_urls)
            found.meta.update(fill.meta or {})
            return found.model_copy(deep=True)


class InMemorySendingStore(_Area):
    def begin_send(self, ref: MessageRef, now: datetime, lease_until: datetime) -> SendStart:
        d = self.data
        with d.lock:
            found = d.message(ref)
            if found is None:
                return SendStart(False, None)
            lease = d.send_leases.get(ref.message_id)
            expired = found.status is MessageStatus.SENDING and lease is not None and lease < now
            early = found.send_after is not None and found.send_after > now
            if (found.status is not MessageStatus.QUEUED and not expired) or early:
                return SendStart(False, found.model_copy(deep=True))
            found.status = MessageStatus.SENDING
            d.send_leases[ref.message_id] = lease_until
            return SendStart(True, found.model_copy(deep=True))

    def mark_sent(self, ref: MessageRef, channel: Channel, provider_id: str, now: datetime) -> None:
        d = self.data
        with d.lock:
            found = d.message(ref)
            if found is None:
                return
            found.provider_id = provider_id
            if moves_forward(found.status, MessageStatus.SENT):
                found.status = MessageStatus.SENT
            d.send_leases.pop(ref.message_id, None)
            d.pointers[(channel.value, provider_id)] = ref

    def mark_failed(self, ref: MessageRef, code: str | None, reason: str) -> None:
        d = self.data
        with d.lock:
            found = d.message(ref)
            if found is None or STATUS_RANK[found.status] >= STATUS_RANK[MessageStatus.SENT]:
                return
            found.status = MessageStatus.FAILED
            found.error_code = code
            found.error_reason = reason
            d.send_leases.pop(ref.message_id, None)

    def retry_later(self, ref: MessageRef, reason: str) -> None:
        d = self.data
        with d.lock:
            found = d.message(ref)
            if found is None or found.status is not MessageStatus.SENDING:
                return
            found.status = MessageStatus.QUEUED
            d.send_attempts[ref.message_id] = d.send_attempts.get(ref.message_id, 0) + 1
            d.send_leases.pop(ref.message_id, None)


def _reopen(task: Task) -> None:
    task.status = TaskStatus.OPEN
    task.claimed_by = None
    task.lease_until = None


def _sort_key(task: Task) -> str:
    return f"{iso(task.due_at)}#{task.id}"


class InMemoryTaskStore(_Area):
    def get_task(self, task_id: str) -> Task | None:
        with self.data.lock:
            return _copy(self.data.tasks.get(task_id))

    def get_tasks(self, task_ids: list[str]) -> list[Task]:
        with self.data.lock:
            return [_copy(self.data.tasks[t]) for t in dict.fromkeys(task_ids) if t in self.data.tasks]

    def list_tasks(self, status: TaskStatus, limit: int, after: str | None) -> TaskPage:
        with self.data.lock:
            ordered = sorted((t for t in self.data.tasks.values() if t.status is status), key=_sort_key)
        if after:
            start = decode_cursor(after)
            ordered = [t for t in ordered if _sort_key(t) > start]
        page = ordered[:limit]
        cursor = encode_cursor(_sort_key(page[-1])) if len(ordered) > limit and page else None
        return TaskPage([t.model_copy(deep=True) for t in page], cursor)

    def count_tasks(self, status: TaskStatus, due_before: datetime | None = None) -> int:
        with self.data.lock:
            return sum(
                1 for t in self.data.tasks.values()
                if t.status is status and (due_before is None or t.due_at < due_before)
            )  # fmt: skip

    def claim_task(self, task_id: str, user_id: str, now: datetime, lease_until: datetime) -> Task:
        with self.data.lock:
            task = self.data.tasks.get(task_id)
            if task is None or not claimable(task, user_id, now):
                raise TaskStateError(_copy(task))
            task.status = TaskStatus.CLAIMED
            task.claimed_by = user_id
            task.lease_until = lease_until
            return task.model_copy(deep=True)

    def release_task(self, task_id: str, holder: str | None) -> Task:
        with self.data.lock:
            task = self.data.tasks.get(task_id)
            if task is None or task.status is TaskStatus.DONE:
                raise TaskStateError(_copy(task))
            if task.status is TaskStatus.CLAIMED:
                if not may_close(task, holder):
                    raise TaskStateError(task.model_copy(deep=True))
                _reopen(task)
            return task.model_copy(deep=True)

    def complete_task(self, task_id: str, holder: str | None, outcome: Outcome, now: datetime) -> Task:
        d = self.data
        with d.lock:
            task = d.tasks.get(task_id)
            if task is None:
                raise TaskStateError(None)
            if task.status is TaskStatus.DONE:
                return task.model_copy(deep=True)
            if not may_close(task, holder):
                raise TaskStateError(task.model_copy(deep=True))
            task.status, task.outcome, task.done_at, task.lease_until = TaskStatus.DONE, outcome, now, None
            person = d.people.get(task.person_id)
            if person is not None and person.open_task_id == task_id:
                person.open_task_id = None
                for ref in person.identities:
                    identity = d.identities.get(ref)
                    if identity is not None:
                        identity.open_task_id = None
            return task.model_copy(deep=True)

    def expire_leases(self, now: datetime) -> list[Task]:
        with self.data.lock:
            expired = [t for t in self.data.tasks.values() if lease_expired(t, now)]
            for task in expired:
                _reopen(task)
            return [t.model_copy(deep=True) for t in expired]

    def overdue_tasks(self, now: datetime, below_priority: int, due_before: datetime) -> list[Task]:
        with self.data.lock:
            found = [
                t for t in self.data.tasks.values()
                if t.status is TaskStatus.OPEN and t.due_at < due_before and t.priority < below_priority
            ]  # fmt: skip
            return [t.model_copy(deep=True) for t in sorted(found, key=_sort_key)]

    def raise_priority(self, task_id: str, priority: int) -> bool:
        with self.data.lock:
            task = self.data.tasks.get(task_id)
            if task is None or task.priority >= priority:
                return False
            task.priority = priority
            return True

    def set_task_preview(self, task_id: str, preview: str, replaces: tuple[str, ...]) -> bool:
        with self.data.lock:
            task = self.data.tasks.get(task_id)
            if task is None or task.preview not in replaces:
                return False
            task.preview = preview
            return True


class InMemoryStaffStore(_Area):
    def put_staff_phone(self, staff: StaffPhone) -> None:
        with self.data.lock:
            self.data.staff[staff.phone] = staff.model_copy(deep=True)

    def find_staff_phone(self, phone: str) -> StaffPhone | None:
        with self.data.lock:
            return _copy(self.data.staff.get(phone))

    def set_shift(self, phone: str, on: bool) -> StaffPhone | None:
        with self.data.lock:
            found = self.data.staff.get(phone)
            if found is None:
                return None
            found.on_shift = on
            return found.model_copy(deep=True)

    def on_shift(self) -> list[StaffPhone]:
        with self.data.lock:
            found = [s for s in self.data.staff.values() if s.on_shift]
            found.sort(key=lambda s: (iso(s.last_offered_at) if s.last_offered_at else "", s.phone))
            return [s.model_copy(deep=True) for s in found]

    def staff_with_role(self, role: Role) -> list[StaffPhone]:
        with self.data.lock:
            return [s.model_copy(deep=True) for s in self.data.staff.values() if s.role is role]

    def set_current_task(self, phone: str, task_id: str | None, now: datetime) -> None:
        with self.data.lock:
            found = self.data.staff.get(phone)
            if found is None:
                return
            found.current_task_id = task_id
            if task_id is not None:
                found.last_offered_at = found.forwarded_at = now

    def mark_forwarded(self, phone: str, until: datetime) -> None:
        with self.data.lock:
            found = self.data.staff.get(phone)
            if found is not None:
                found.forwarded_at = until


class InMemoryUserStore(_Area):
    def put_user(self, user: User, token_hash: str) -> None:
        with self.data.lock:
            self.data.users[user.id] = user.model_copy()
            self.data.tokens[token_hash] = user.id

    def user_for_token(self, token_hash: str) -> User | None:
        with self.data.lock:
            user_id = self.data.tokens.get(token_hash)
            return _copy(self.data.users.get(user_id)) if user_id else None

    def get_user(self, user_id: str) -> User | None:
        with self.data.lock:
            return _copy(self.data.users.get(user_id))


class InMemoryExportJobStore(_Area):
    def put_export_job(self, job: ExportJob) -> None:
        with self.data.lock:
            self.data.export_jobs[job.id] = job.model_copy(deep=True)

    def get_export_job(self, job_id: str) -> ExportJob | None:
        with self.data.lock:
            return _copy(self.data.export_jobs.get(job_id))


class InMemoryStatsStore(_Area):
    def put_stats(self, stats: dict[str, Any]) -> None:
        with self.data.lock:
            self.data.stats = json.loads(json.dumps(stats))

    def get_stats(self) -> dict[str, Any] | None:
        with self.data.lock:
            return json.loads(json.dumps(self.data.stats)) if self.data.stats is not None else None

    def scan_activity(self, since: datetime) -> Iterator[dict[str, Any]]:
        d = self.data
        with d.lock:
            found: list[dict[str, Any]] = [
                {"type": "message", **m.model_dump(mode="json")}
                for convo in d.messages.values()
                for m in convo.values()
                if m.created_at >= since
            ]
            found += [{"type": "task", **t.model_dump(mode="json")} for t in d.tasks.values() if t.created_at >= since]
        yield from found


class InMemorySavedReplyStore(_Area):
    def put_saved_reply(self, reply: SavedReply) -> None:
        with self.data.lock:
            self.data.saved_replies[reply.id] = reply.model_copy()

    def list_saved_replies(self) -> list[SavedReply]:
        with self.data.lock:
            return [r.model_copy() for r in self.data.saved_replies.values()]

    def delete_saved_reply(self, reply_id: str) -> bool:
        with self.data.lock:
            return self.data.saved_replies.pop(reply_id, None) is not None


def in_memory_stores(data: InMemoryData | None = None) -> Stores:
    """Every port over one :class:`InMemoryData` (a new one unless given)."""
    data = data or InMemoryData()
    return Stores(
        inbound=InMemoryInboundStore(data),
        people=InMemoryPeopleStore(data),
        messages=InMemoryMessageStore(data),
        tasks=InMemoryTaskStore(data),
        sending=InMemorySendingStore(data),
        staff=InMemoryStaffStore(data),
        users=InMemoryUserStore(data),
        exports=InMemoryExportJobStore(data),
        stats=InMemoryStatsStore(data),
        saved_replies=InMemorySavedReplyStore(data),
    )
