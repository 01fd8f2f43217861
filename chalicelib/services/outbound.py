"""Use cases: every outbound message is stored, queued, and sent exactly once.

:func:`queue_message` stores a message and hands it to the queue (delayed to the
recipient's sending hours when it is not an immediate answer). :func:`deliver` is what the
queue worker runs for each queue message: a conditional ``queued -> sending`` write keyed
on our message id makes redeliveries harmless, transient provider errors are retried by the
queue with backoff, permanent ones fail the message at once with the reason.
"""

from __future__ import annotations

import enum
import logging
from datetime import datetime, timedelta
from typing import Protocol

from chalicelib.domain.channels import address_kind, reply_window, rules_of
from chalicelib.domain.hours import SendingHours, next_send_time, zone_for
from chalicelib.domain.model import (
    Address,
    Channel,
    Direction,
    Identity,
    Message,
    MessageStatus,
    SubscriptionStatus,
)
from chalicelib.services.ports import Clock
from chalicelib.services.ports.messages import MessageRef, MessageStore
from chalicelib.services.ports.outbound import OutboundQueue, SendContext, Sender, SendError, SendingStore
from chalicelib.services.ports.people import PeopleStore
from chalicelib.settings import CoreSettings

log = logging.getLogger(__name__)

# SQS caps DelaySeconds at 15 minutes; longer waits are re-delayed by the worker.
MAX_QUEUE_DELAY = 900


class QueueDeps(Protocol):
    """What storing and queueing a message needs."""

    @property
    def settings(self) -> CoreSettings: ...
    @property
    def messages(self) -> MessageStore: ...
    @property
    def queue(self) -> OutboundQueue: ...
    @property
    def clock(self) -> Clock: ...


class SendDeps(QueueDeps, Protocol):
    """What the outbound worker needs to send one message."""

    @property
    def sending(self) -> SendingStore: ...
    @property
    def people(self) -> PeopleStore: ...
    @property
    def senders(self) -> dict[Channel, Sender]: ...


class Delivery(enum.StrEnum):
    SENT = "sent"
    FAILED = "failed"
    DELAYED = "delayed"  # outside the recipient's sending hours: queued again for later
    SKIPPED = "skipped"  # already sent or failed, or another worker is sending it
    MISSING = "missing"  # no such message (e.g. the person was deleted on request)


class RetryLaterError(Exception):
    """A transient provider error: the queue should offer the message again after ``delay``."""

    def __init__(self, reason: str, delay_seconds: int) -> None:
        super().__init__(reason)
        self.delay_seconds = delay_seconds


def hold_until(settings: CoreSettings, now: datetime, phone: str | None, zip_code: str | None) -> datetime | None:
    """When a non-immediate message to this recipient may go out (None: now)."""
    hours = SendingHours.parse(settings.sending_hours_start, settings.sending_hours_end)
    at = next_send_time(now, zone_for(phone, zip_code, settings.default_timezone), hours)
    return at if at > now else None


def queue_message(deps: QueueDeps, message: Message) -> Message:
    """Store first, then queue: the queue body is only a reference to the stored message."""
    deps.messages.put_message(message)
    deps.queue.enqueue(MessageRef.of(message), _delay(message.send_after, deps.clock()))
    return message


def _delay(send_after: datetime | None, now: datetime) -> int:
    if send_after is None or send_after <= now:
        return 0
    return min(MAX_QUEUE_DELAY, int((send_after - now).total_seconds()) + 1)


def backoff_seconds(attempt: int) -> int:
    """20 s, 40 s, 80 s, ... capped at 15 minutes."""
    return int(min(MAX_QUEUE_DELAY, 10 * 2 ** max(1, attempt)))


def deliver(deps: SendDeps, ref: MessageRef, attempt: int = 1) -> Delivery:
    """Send one stored message. Raises RetryLaterError for transient errors.

    ``attempt`` is the queue's receive count; at ``send_max_attempts`` a transient error
    becomes final, so the message ends failed with its reason before the queue gives it
    up to the dead-letter queue.
    """
    settings = deps.settings
    now = deps.clock()
    start = deps.sending.begin_send(ref, now, now + timedelta(seconds=settings.send_lease_seconds))
    message = start.message
    if not start.started:
        if message is None:
            return Delivery.MISSING
        if message.status is MessageStatus.QUEUED and message.send_after and message.send_after > now:
            deps.queue.enqueue(ref, _delay(message.send_after, now))
            return Delivery.DELAYED
        return Delivery.SKIPPED
    assert message is not None
    identity = _recipient(deps.people, message)
    if identity is not None and identity.status_of(message.channel) is SubscriptionStatus.OPTED_OUT:
        # STOP arrived after this was queued (e.g. while it waited for sending hours).
        reason = f"the recipient opted out of {message.channel.value} before it was sent"
        deps.sending.mark_failed(ref, "opted_out", reason)
        return Delivery.FAILED
    sender = deps.senders.get(message.channel)
    if sender is None:
        deps.sending.mark_failed(ref, "no_sender", f"no sender is configured for {message.channel.value}")
        return Delivery.FAILED
    try:
        provider_id = sender.send(message, send_context(deps, message, identity, now))
    except SendError as err:
        if err.permanent or attempt >= settings.send_max_attempts:
            reason = err.reason if err.permanent else f"gave up after {attempt} attempts: {err.reason}"
            deps.sending.mark_failed(ref, err.code, reason)
            if err.recipient_opted_out and message.address:
                address = Address(address_kind(message.channel), message.address)
                deps.people.set_subscription(address, message.channel, SubscriptionStatus.OPTED_OUT)
            # The reason is stored, not logged: providers' messages may quote the number.
            log.warning("message %s failed (code %s)", message.id, err.code or "none")
            return Delivery.FAILED
        deps.sending.retry_later(ref, err.reason)
        raise RetryLaterError(err.reason, backoff_seconds(attempt)) from None
    deps.sending.mark_sent(ref, message.channel, provider_id, deps.clock())
    return Delivery.SENT


def _recipient(people: PeopleStore, message: Message) -> Identity | None:
    """The one read a send costs: the recipient's identity (a STOP that came meanwhile, and
    when they last wrote on the channel)."""
    if not message.address or message.person_id.startswith(STAFF_PREFIX):
        return None
    return people.find_identity(Address(address_kind(message.channel), message.address))


def send_context(deps: SendDeps, message: Message, identity: Identity | None, now: datetime) -> SendContext:
    """Everything a sender must know about the recipient, decided here once: the reply window
    from the identity already read, and the person's message being answered on threaded
    channels (read only there)."""
    rules = rules_of(message.channel)
    last = identity.last_inbound.get(message.channel.value) if identity else None
    window = reply_window(message.channel, last, now)
    reply_to = None
    if rules.threaded and identity is not None:
        reply_to = latest_inbound(deps.messages, message)
    return SendContext(window=window, reply_to=reply_to)


def latest_inbound(messages: MessageStore, message: Message) -> Message | None:
    """The person's message this one answers: the one named ``in_reply_to`` (an acknowledgement
    names its message), else their latest on the same channel."""
    wanted = message.meta.get("in_reply_to")
    latest: Message | None = None
    for earlier in messages.list_messages(message.person_id):
        if earlier.direction is not Direction.INBOUND or earlier.channel != message.channel:
            continue
        if wanted and earlier.provider_id == wanted:
            return earlier
        latest = earlier
    return latest


# Texts to volunteers' and organizers' own phones live in a conversation of their own.
STAFF_PREFIX = "staff-"


def staff_conversation(user_id: str) -> str:
    return f"{STAFF_PREFIX}{user_id}"
