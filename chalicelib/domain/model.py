"""Hearback's vocabulary: people, their channel identities, messages and follow-up tasks.

Pure types and rules; no I/O. Times are timezone-aware UTC datetimes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler
from pydantic_core import core_schema

from chalicelib.domain.channels import Channel


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """ISO 8601 UTC with millisecond precision: sorts as text, as DynamoDB sort keys need."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# The address kinds the core knows by name: exports have phone and email columns, and the
# volunteers' relay texts from the campaign number.
PHONE, EMAIL = "phone", "email"


@dataclass(frozen=True, order=True)
class Address:
    """One place a person can be reached: the kind of address and the address itself.

    Phone channels share the kind ``phone`` (an E.164 number); the others use their own
    (``messenger`` page-scoped id, ``x`` user id, ``email`` lower-cased address...). Stored and
    exchanged as the text ``"<kind>:<value>"``; the value may itself contain ``:``.
    """

    kind: str
    value: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"

    @classmethod
    def parse(cls, text: str) -> Address:
        kind, sep, value = text.partition(":")
        if not sep or not kind or not value:
            raise ValueError(f"not an address: expected '<kind>:<value>', got {text[:40]!r}")
        return cls(kind, value)

    @classmethod
    def _validate(cls, value: Any) -> Address:
        if isinstance(value, Address):
            return value
        if isinstance(value, str):
            return cls.parse(value)
        raise ValueError("an address is '<kind>:<value>' text")

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls._validate, serialization=core_schema.plain_serializer_function_ser_schema(str)
        )


class Direction(enum.StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class MessageStatus(enum.StrEnum):
    RECEIVED = "received"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    READ = "read"


# Status callbacks arrive out of order; a message only ever moves up this ladder.
STATUS_RANK: dict[MessageStatus, int] = {
    MessageStatus.RECEIVED: 0,
    MessageStatus.QUEUED: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.SENT: 2,
    MessageStatus.DELIVERED: 3,
    MessageStatus.UNDELIVERED: 3,
    MessageStatus.FAILED: 3,
    MessageStatus.READ: 4,
}


def moves_forward(current: MessageStatus, new: MessageStatus) -> bool:
    """Whether a status report may replace ``current`` (never down or sideways the ladder)."""
    return STATUS_RANK[new] > STATUS_RANK[current]


class MessageKind(enum.StrEnum):
    """What a message is, beyond its direction: what the stats and the relay tell apart."""

    MESSAGE = "message"  # a constituent's own message
    ACKNOWLEDGEMENT = "acknowledgement"
    HELP = "help"
    KEYWORD = "keyword"  # STOP, START, HELP and the like
    REPLY = "reply"  # a volunteer's answer
    RELAY = "relay"  # texts to and from volunteers' own phones
    NOTIFICATION = "notification"  # escalations to staff


class Outcome(enum.StrEnum):
    """How a follow-up task ended."""

    ANSWERED = "answered"
    NO_REPLY_NEEDED = "no_reply_needed"
    WRONG_NUMBER = "wrong_number"
    HOSTILE = "hostile"
    SPAM = "spam"
    DUPLICATE = "duplicate"
    OTHER = "other"


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    DONE = "done"


class Role(enum.StrEnum):
    VOLUNTEER = "volunteer"
    ORGANIZER = "organizer"

    def allows(self, required: Role) -> bool:
        return ROLE_RANK[self] >= ROLE_RANK[required]


ROLE_RANK = {Role.VOLUNTEER: 1, Role.ORGANIZER: 2}


class SubscriptionStatus(enum.StrEnum):
    SUBSCRIBED = "subscribed"
    OPTED_OUT = "opted_out"
    UNKNOWN = "unknown"


class Model(BaseModel):
    """Every domain model. Validators and serializers are built on first use (``defer_build``),
    not at import: a function imports every model and a request touches a handful of them."""

    model_config = ConfigDict(frozen=False, extra="ignore", defer_build=True)


class Identity(Model):
    """One address a person writes from. Phone channels share one identity per number."""

    kind: str  # "phone", "messenger", "instagram", "x", "email"
    address: str  # E.164, page-scoped id, X user id, lower-cased email
    person_id: str
    # Channel -> subscription status; opt-out is per channel ("STOP" by SMS leaves WhatsApp alone).
    subscriptions: dict[str, SubscriptionStatus] = Field(default_factory=dict)
    # Channel -> last time the person wrote on it (reply windows are per channel).
    last_inbound: dict[str, datetime] = Field(default_factory=dict)
    # Mirror of the person's open task, so a known person costs one read; the person item
    # is authoritative and every write that relies on the mirror is conditioned on it.
    open_task_id: str | None = None
    created_at: datetime

    def status_of(self, channel: Channel | str) -> SubscriptionStatus:
        return self.subscriptions.get(Channel(channel).value, SubscriptionStatus.UNKNOWN)

    @property
    def ref(self) -> Address:
        return Address(self.kind, self.address)


class Person(Model):
    id: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    zip: str | None = None
    city: str | None = None
    state: str | None = None
    # Organizer-edited fields and the change time that
    # exports filter on (``since=``); the current stance lives on the person item too.
    address: str | None = None
    van_id: str | None = None
    updated_at: datetime | None = None
    identities: list[Address] = Field(default_factory=list)
    open_task_id: str | None = None
    first_contact_at: datetime | None = None
    last_contact_at: datetime | None = None
    last_contact_channel: Channel | None = None
    created_at: datetime


class Message(Model):
    id: str
    person_id: str
    direction: Direction
    channel: Channel
    text: str = ""
    status: MessageStatus
    created_at: datetime
    address: str | None = None  # the constituent's address on this channel
    provider_id: str | None = None
    task_id: str | None = None
    media_urls: list[str] = Field(default_factory=list)
    error_code: str | None = None
    error_reason: str | None = None
    kind: MessageKind = MessageKind.MESSAGE
    sent_by: str | None = None  # user id for volunteer replies
    meta: dict[str, str] = Field(default_factory=dict)  # provider extras (geo fields, ...)
    # Not before this moment (the recipient's sending hours).
    send_after: datetime | None = None


class Task(Model):
    id: str
    person_id: str
    channel: Channel
    status: TaskStatus = TaskStatus.OPEN
    preview: str = ""
    created_at: datetime
    due_at: datetime
    claimed_by: str | None = None
    lease_until: datetime | None = None
    priority: int = 0
    inbound_count: int = 1
    last_inbound_at: datetime
    outcome: Outcome | None = None
    done_at: datetime | None = None


class User(Model):
    id: str
    name: str
    role: Role
    phone: str | None = None
    created_at: datetime


PREVIEW_LENGTH = 160


def preview_of(text: str) -> str:
    return text if len(text) <= PREVIEW_LENGTH else text[: PREVIEW_LENGTH - 1] + "\u2026"


def due_after(moment: datetime, sla_minutes: int) -> datetime:
    return moment + timedelta(minutes=sla_minutes)
