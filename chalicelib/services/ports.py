"""The ports the use cases talk through. Adapters implement them; tests use the fakes.

``chalicelib/adapters/dynamodb.py`` and ``chalicelib/adapters/memory.py`` implement
:class:`Store`; ``tests/integration/test_store_contract.py`` runs one suite against both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chalicelib.domain.inbound import Answer, InboundPlan
from chalicelib.domain.model import (
    Channel,
    Identity,
    Message,
    MessageStatus,
    Person,
    SubscriptionStatus,
    Task,
    TaskStatus,
    User,
)
from chalicelib.domain.saved_replies import SavedReply

Clock = Callable[[], datetime]


class DuplicateDeliveryError(Exception):
    """The provider's message id was already recorded; carries the first answer."""

    def __init__(self, answer: Answer) -> None:
        super().__init__("duplicate delivery")
        self.answer = answer


class InFlightError(Exception):
    """Another copy of the same delivery is being written at this moment."""


class StalePlanError(Exception):
    """What the plan assumed about the person changed before it was written; plan again."""


@dataclass(frozen=True)
class TaskPage:
    tasks: list[Task]
    next: str | None


@dataclass(frozen=True)
class MessageRef:
    """Enough to find a stored message again (queue bodies and provider-id lookups)."""

    person_id: str
    message_id: str
    created_at: datetime


class Store(Protocol):
    # -- inbound -------------------------------------------------------------------------
    def find_identity(self, kind: str, address: str) -> Identity | None:
        """The identity for an address, read consistently, or None."""

    def get_person(self, person_id: str) -> Person | None: ...

    def record_inbound(self, plan: InboundPlan) -> None:
        """Write the plan and its dedupe marker atomically.

        Raises DuplicateDeliveryError (with the first answer) when the provider id was
        already recorded, StalePlanError when the person's open task or the identity changed
        underneath the plan, InFlightError when a concurrent copy is mid-write.
        """

    # -- messages ------------------------------------------------------------------------
    def get_message(self, ref: MessageRef) -> Message | None: ...

    def list_messages(self, person_id: str) -> list[Message]:
        """The whole conversation with a person, oldest first."""

    def link_provider_id(self, channel: Channel, provider_id: str, ref: MessageRef) -> None:
        """Remember which of our messages a provider id belongs to (for status callbacks)."""

    def find_by_provider_id(self, channel: Channel, provider_id: str) -> MessageRef | None: ...

    def advance_status(
        self,
        ref: MessageRef,
        status: MessageStatus,
        error_code: str | None = None,
        error_reason: str | None = None,
    ) -> bool:
        """Move a message to ``status`` only if that is forward; True when it moved."""

    def set_subscription(self, kind: str, address: str, channel: Channel, status: SubscriptionStatus) -> None: ...

    # -- tasks ---------------------------------------------------------------------------
    def get_task(self, task_id: str) -> Task | None: ...

    def list_tasks(self, status: TaskStatus, limit: int, after: str | None) -> TaskPage:
        """Tasks with a status, oldest due first; ``after`` is the previous page's ``next``."""

    # -- users ---------------------------------------------------------------------------
    def put_user(self, user: User, token_hash: str) -> None: ...

    def user_for_token(self, token_hash: str) -> User | None: ...

    def get_user(self, user_id: str) -> User | None: ...

    # -- saved replies (issue 6: the inbox page) ------------------------------------------
    def put_saved_reply(self, reply: SavedReply) -> None:
        """Create or replace the saved reply with ``reply.id``."""

    def list_saved_replies(self) -> list[SavedReply]:
        """Every saved reply (organizers keep a short list), in no particular order."""

    def delete_saved_reply(self, reply_id: str) -> bool:
        """Remove a saved reply; False when there was none."""


class SendError(Exception):
    """A provider refused a message. ``permanent`` errors are never retried."""

    def __init__(self, reason: str, code: str | None = None, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.permanent = permanent


class Sender(Protocol):
    """Sends one stored outbound message through a provider (or the local outbox).

    Returns the provider's id for the message; raises SendError.
    """

    def send(self, message: Message) -> str: ...


class OutboundQueue(Protocol):
    def enqueue(self, ref: MessageRef, delay_seconds: int = 0) -> None:
        """Hand a stored outbound message to the senders."""
