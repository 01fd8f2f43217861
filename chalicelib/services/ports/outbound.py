"""Ports: the outbound queue, the senders, and the send state of each outbound message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chalicelib.domain.channels import WindowState
from chalicelib.domain.model import Channel, Message
from chalicelib.services.ports.messages import MessageRef


@dataclass(frozen=True)
class SendStart:
    started: bool
    message: Message | None  # None: no such message


class SendingStore(Protocol):
    def begin_send(self, ref: MessageRef, now: datetime, lease_until: datetime) -> SendStart:
        """queued (or sending with an expired lease) -> sending, in one conditional write.

        Not started when the message was sent, failed, is being sent by another worker, or
        its ``send_after`` (sending hours) is still ahead; ``message`` is then what is stored.
        """

    def mark_sent(self, ref: MessageRef, channel: Channel, provider_id: str, now: datetime) -> None:
        """sending -> sent with the provider's id, linked for status callbacks (one write)."""

    def mark_failed(self, ref: MessageRef, code: str | None, reason: str) -> None:
        """Failed for good, with the reason shown in the conversation."""

    def retry_later(self, ref: MessageRef, reason: str) -> None:
        """sending -> queued after a transient error, so a redelivery may try again."""


class SendError(Exception):
    """A provider refused a message. ``permanent`` errors are never retried."""

    def __init__(
        self, reason: str, code: str | None = None, permanent: bool = False, recipient_opted_out: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.permanent = permanent
        # The provider says the recipient opted out (Twilio 21610).
        self.recipient_opted_out = recipient_opted_out


@dataclass(frozen=True)
class SendContext:
    """What the outbound worker knows about a message's recipient when it sends, decided once.

    ``window`` is the reply window on the message's channel (Meta's 24 h / 7-day tagged
    window); ``reply_to`` is the person's latest inbound message on that channel, which
    threaded channels answer (an email's Message-ID and subject).
    """

    window: WindowState
    reply_to: Message | None = None


class Sender(Protocol):
    """Sends one stored outbound message through a provider (or the local outbox).

    Returns the provider's id for the message; raises SendError.
    """

    def send(self, message: Message, context: SendContext) -> str: ...


class OutboundQueue(Protocol):
    def enqueue(self, ref: MessageRef, delay_seconds: int = 0) -> None:
        """Hand a stored outbound message to the senders."""

    def retry_after(self, receipt_handle: str, delay_seconds: int) -> None:
        """Let a received queue message reappear after ``delay_seconds`` (retry backoff)."""
