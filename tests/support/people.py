"""Builders for people, stance and conversations, shared by the people/stance/export tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.channels import SMS
from chalicelib.domain.ids import new_id
from chalicelib.domain.inbound import AnswerTexts, InboundMessage, plan_inbound
from chalicelib.domain.model import Address, Channel, Identity, Person, SubscriptionStatus
from chalicelib.domain.stance import IssuePosition, Stance, StanceSource
from chalicelib.services.inbound import receive_message

TEXTS = AnswerTexts(ack="Thanks!", first_contact_notice="Reply STOP to opt out.", help="Help text")


def inbound(
    store: Any,
    queue: Any,
    at: datetime,
    text: str = "hello",
    address: str = "+16175550123",
    channel: Channel = SMS,
    **extra: Any,
) -> Any:
    """A constituent's message through the real use case; returns the answer."""
    msg = InboundMessage(
        channel=channel, provider_id="SM" + new_id(), address=address, text=text, received_at=at, **extra
    )
    return receive_message(msg, store.inbound, queue, TEXTS, sla_minutes=60)


def record_plan(store: Any, at: datetime, address: str = "+16175550123", text: str = "hi") -> str:
    """Write an inbound message straight through the store (no queue); returns the person id."""
    msg = InboundMessage(channel=SMS, provider_id="SM" + new_id(), address=address, text=text, received_at=at)
    identity = store.people.find_identity(Address("phone", address))
    plan = plan_inbound(msg, identity, identity.open_task_id if identity else None, TEXTS, 60)
    store.inbound.record_inbound(plan)
    return plan.person_id


def known_person(
    store: Any,
    at: datetime,
    phone: str = "+16175550123",
    first_name: str = "Ana",
    sms: SubscriptionStatus | None = None,
    stance: dict[str, Any] | None = None,
    **fields: Any,
) -> Person:
    person_id = new_id()
    person = Person(
        id=person_id,
        first_name=first_name,
        identities=[Address("phone", phone)],
        created_at=at,
        updated_at=at,
        **fields,
    )
    subs = {"sms": sms} if sms else {}
    identity = Identity(kind="phone", address=phone, person_id=person_id, subscriptions=subs, created_at=at)
    point = None
    if stance is not None:
        point = make_stance(person_id, at, **stance)
    store.people.create_person(person, [identity], point)
    return person


def make_stance(person_id: str, at: datetime, **fields: Any) -> Stance:
    values: dict[str, Any] = {"source": StanceSource.VOLUNTEER, "support_level": 2, **fields}
    if "issues" in values:
        values["issues"] = {k: IssuePosition(v) for k, v in values["issues"].items()}
    return Stance(id=new_id(int(at.timestamp() * 1000)), person_id=person_id, recorded_at=at, **values)


def later(at: datetime, minutes: float) -> datetime:
    return at + timedelta(minutes=minutes)
