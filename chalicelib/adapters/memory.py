"""In-memory fakes of the ports, for unit tests and benchmarks.

They keep the same promises as the real adapters (atomic inbound writes, duplicate and
stale-plan detection, forward-only statuses, due-time ordering with cursors) and are held
to them by the shared contract suite in ``tests/integration/test_store_contract.py``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from chalicelib.adapters.cursor import decode_cursor, encode_cursor
from chalicelib.domain.inbound import Answer, InboundPlan
from chalicelib.domain.model import (
    STATUS_RANK,
    Channel,
    Identity,
    Message,
    MessageStatus,
    Person,
    SubscriptionStatus,
    Task,
    TaskStatus,
    User,
    iso,
    preview_of,
)
from chalicelib.domain.saved_replies import SavedReply
from chalicelib.services.ports import (
    DuplicateDeliveryError,
    MessageRef,
    StalePlanError,
    TaskPage,
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

    # -- saved replies (issue 6: the inbox page) ------------------------------------------
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


@dataclass
class InMemoryQueue:
    """The outbound queue as a list; ``sent`` keeps everything ever enqueued."""

    items: list[tuple[MessageRef, int]] = field(default_factory=list)

    def enqueue(self, ref: MessageRef, delay_seconds: int = 0) -> None:
        self.items.append((ref, delay_seconds))
