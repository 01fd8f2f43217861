"""Port: the conversation with each person, and the provider ids that point into it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chalicelib.domain.model import Channel, Message, MessageStatus


@dataclass(frozen=True)
class MessageRef:
    """Enough to find a stored message again (queue bodies and provider-id lookups)."""

    person_id: str
    message_id: str
    created_at: datetime

    @classmethod
    def of(cls, message: Message) -> MessageRef:
        return cls(message.person_id, message.id, message.created_at)


@dataclass(frozen=True)
class MessageFill:
    """Late content for a stored message; see :meth:`MessageStore.fill_message`."""

    final_text: str | None = None
    provisional_text: str | None = None
    media_urls: tuple[str, ...] | None = None
    meta: dict[str, str] | None = None


class MessageStore(Protocol):
    def put_message(self, message: Message) -> None:
        """Store a new message (outbound ones before they are queued)."""

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
        """Move a message to ``status`` only if that is forward (:func:`moves_forward`); True when it moved."""

    def fill_message(self, ref: MessageRef, fill: MessageFill) -> Message | None:
        """Add late content to a stored message (a voicemail's recording, its transcript).

        Order-independent: a ``final_text`` always wins over a ``provisional_text``, whichever
        is applied first; media and meta are set. Returns the message as now stored, or None.
        """
