"""What happens when a constituent writes: the rules, as a plan the store commits atomically.

:func:`plan_inbound` is pure. Given what the store knows of the sender (their identity and,
when the identity's mirror may be stale, their person), it decides the message to store,
whether a task opens or the open one is joined, what the person hears back, and how their
subscription changes. The store writes the whole plan in one transaction together with the
provider's dedupe marker, so a redelivery can never produce a second task or answer.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from chalicelib.domain.channels import address_kind
from chalicelib.domain.ids import new_id
from chalicelib.domain.keywords import Keyword
from chalicelib.domain.model import (
    Address,
    Channel,
    Direction,
    Identity,
    Message,
    MessageKind,
    MessageStatus,
    Model,
    Person,
    SubscriptionStatus,
    Task,
    due_after,
    preview_of,
)


@dataclass(frozen=True)
class InboundMessage:
    """A message as a channel adapter parsed it, already verified and normalised."""

    channel: Channel
    provider_id: str
    address: str
    text: str
    received_at: datetime
    media_urls: tuple[str, ...] = ()
    meta: dict[str, str] = field(default_factory=dict)
    keyword: Keyword | None = None
    # Twilio already answered the keyword (Advanced Opt-Out): we must not answer again.
    keyword_answered_by_provider: bool = False
    # The acknowledgement travels in the webhook's own answer (TwiML) rather than the queue.
    answers_inline: bool = False
    # The sender is an automaton (auto-reply, mailing list): record, never acknowledge.
    automated: bool = False
    first_name: str | None = None
    last_name: str | None = None

    @property
    def dedupe_key(self) -> str:
        return f"{self.channel.value}#{self.provider_id}"


class AnswerOutcome(enum.StrEnum):
    """What an inbound message did."""

    TASK_OPENED = "task_opened"
    TASK_JOINED = "task_joined"
    OPTED_OUT = "opted_out"
    OPTED_IN = "opted_in"
    HELP = "help"
    RECORDED = "recorded"  # stored only (a keyword with nothing to change)


class Answer(Model):
    """What the sender was told; stored with the dedupe marker so redeliveries repeat it."""

    outcome: AnswerOutcome
    reply_text: str | None = None
    task_id: str | None = None
    message_id: str
    person_id: str
    duplicate: bool = False


class AnswerTexts(Model):
    ack: str
    first_contact_notice: str
    help: str


@dataclass
class InboundPlan:
    inbound: InboundMessage
    answer: Answer
    message: Message
    person_id: str
    identity_kind: str
    new_person: Person | None = None
    new_identity: Identity | None = None
    # The person item must still have this open task (None: must have none) for the plan to hold.
    expected_open_task: str | None = None
    open_task: Task | None = None
    join_task_id: str | None = None
    subscription: SubscriptionStatus | None = None
    outbound: list[Message] = field(default_factory=list)

    @property
    def address(self) -> Address:
        """The sender's address (the identity this plan writes)."""
        return Address(self.identity_kind, self.inbound.address)

    @property
    def queued(self) -> list[Message]:
        return [m for m in self.outbound if m.status is MessageStatus.QUEUED]


_KEYWORD_STATUS = {Keyword.OPT_OUT: SubscriptionStatus.OPTED_OUT, Keyword.OPT_IN: SubscriptionStatus.SUBSCRIBED}
_KEYWORD_OUTCOME = {
    Keyword.OPT_OUT: AnswerOutcome.OPTED_OUT,
    Keyword.OPT_IN: AnswerOutcome.OPTED_IN,
    Keyword.HELP: AnswerOutcome.HELP,
}


def plan_inbound(
    msg: InboundMessage,
    identity: Identity | None,
    open_task_id: str | None,
    texts: AnswerTexts,
    sla_minutes: int,
) -> InboundPlan:
    """Decide everything one inbound message causes.

    ``open_task_id`` is the sender's open task as far as the caller knows (the identity's
    mirror, or the person item after a stale mirror was detected).
    """
    now = msg.received_at
    kind = address_kind(msg.channel)
    person_id = identity.person_id if identity else new_id()
    new_person = new_identity = None
    if identity is None:
        new_person = Person(
            id=person_id,
            first_name=msg.first_name,
            last_name=msg.last_name,
            zip=msg.meta.get("from_zip"),
            city=msg.meta.get("from_city"),
            state=msg.meta.get("from_state"),
            identities=[Address(kind, msg.address)],
            created_at=now,
        )
        new_identity = Identity(kind=kind, address=msg.address, person_id=person_id, created_at=now)
    current = identity.status_of(msg.channel) if identity else SubscriptionStatus.UNKNOWN

    message = Message(
        id=new_id(),
        person_id=person_id,
        direction=Direction.INBOUND,
        channel=msg.channel,
        text=msg.text,
        status=MessageStatus.RECEIVED,
        created_at=now,
        address=msg.address,
        provider_id=msg.provider_id,
        media_urls=list(msg.media_urls),
        meta=msg.meta,
    )
    plan = InboundPlan(
        inbound=msg,
        answer=Answer(outcome=AnswerOutcome.RECORDED, message_id=message.id, person_id=person_id),
        message=message,
        person_id=person_id,
        identity_kind=kind,
        new_person=new_person,
        new_identity=new_identity,
        expected_open_task=open_task_id,
    )

    if msg.keyword is not None:
        # Compliance keywords change the subscription only: no acknowledgement, no task.
        message.kind = MessageKind.KEYWORD
        plan.subscription = _KEYWORD_STATUS.get(msg.keyword)
        plan.answer.outcome = _KEYWORD_OUTCOME[msg.keyword]
        if msg.keyword is Keyword.HELP and not msg.keyword_answered_by_provider:
            _answer(plan, texts.help, kind=MessageKind.HELP)
        return plan

    if current is SubscriptionStatus.UNKNOWN:
        plan.subscription = SubscriptionStatus.SUBSCRIBED

    if open_task_id is not None:
        message.task_id = open_task_id
        plan.join_task_id = open_task_id
        plan.answer.outcome = AnswerOutcome.TASK_JOINED
        plan.answer.task_id = open_task_id
        return plan

    task = Task(
        id=new_id(),
        person_id=person_id,
        channel=msg.channel,
        preview=preview_of(msg.text),
        created_at=now,
        due_at=due_after(now, sla_minutes),
        last_inbound_at=now,
    )
    message.task_id = task.id
    plan.open_task = task
    plan.answer.outcome = AnswerOutcome.TASK_OPENED
    plan.answer.task_id = task.id
    if current is not SubscriptionStatus.OPTED_OUT and not msg.automated:
        text = texts.ack
        if current is SubscriptionStatus.UNKNOWN and texts.first_contact_notice:
            text = f"{text} {texts.first_contact_notice}"
        _answer(plan, text, kind=MessageKind.ACKNOWLEDGEMENT, task_id=task.id)
    return plan


def _answer(plan: InboundPlan, text: str, kind: MessageKind, task_id: str | None = None) -> None:
    msg = plan.inbound
    plan.answer.reply_text = text
    plan.outbound.append(
        Message(
            id=new_id(),
            person_id=plan.person_id,
            direction=Direction.OUTBOUND,
            channel=msg.channel,
            text=text,
            # An inline answer is handed to the provider in the webhook response itself.
            status=MessageStatus.SENT if msg.answers_inline else MessageStatus.QUEUED,
            # A millisecond after the message it answers, so the conversation reads in order.
            created_at=msg.received_at + timedelta(milliseconds=1),
            address=msg.address,
            task_id=task_id,
            kind=kind,
            meta={"in_reply_to": msg.provider_id},
        )
    )
