"""In-memory fakes of the ports, for unit tests and benchmarks.

They keep the same promises as the real adapters (atomic inbound writes, duplicate and
stale-plan detection, forward-only statuses, due-time ordering with cursors) and are held
to them by the shared contract suite in ``tests/integration/test_store_contract.py``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from chalicelib.adapters.cursor import decode_cursor, encode_cursor
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
from chalicelib.services.ports import (
    DuplicateDeliveryError,
    MessageFill,
    MessageRef,
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
        # follow-up (issue 3)
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

    # -- follow-up: claims, outbound sends, volunteers' phones (issue 3) --------------------
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

    # -- channels (issue 5): content that arrives after the message ----------------------
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


# -- follow-up (issue 3) -------------------------------------------------------------------
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

    # -- follow-up (issue 3) -------------------------------------------------------------
    def retry_after(self, receipt_handle: str, delay_seconds: int) -> None:
        self.retries.append((receipt_handle, delay_seconds))
