"""What the contract suites share: messages planned and recorded the way the inbound path does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.adapters.channels.voice import VOICE
from chalicelib.domain.channels import SMS
from chalicelib.domain.ids import new_id
from chalicelib.domain.inbound import AnswerTexts, InboundMessage, plan_inbound
from chalicelib.domain.model import (
    Address,
    Direction,
    Message,
    MessageStatus,
)
from chalicelib.domain.saved_replies import SavedReply, saved_reply_id
from chalicelib.services.ports import Stores
from chalicelib.services.ports.messages import MessageRef
from tests.support.followup import CONSTITUENT
from tests.support.followup import inbound as text_in

T0 = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
TEXTS = AnswerTexts(ack="Thanks", first_contact_notice="Reply STOP to opt out.", help="help")
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
TEXTS = AnswerTexts(ack="Thanks", first_contact_notice="", help="help")
LEASE = timedelta(minutes=15)


def msg(
    pid: str, text: str = "hello", at: datetime = T0, address: str = "+16175550199", **kw: object
) -> InboundMessage:
    return InboundMessage(SMS, pid, address, text, at, answers_inline=True, **kw)  # type: ignore[arg-type]


def record(store: Stores, m: InboundMessage) -> str | None:
    """Plan against what the store knows and write; returns the task id."""
    identity = store.people.find_identity(Address("phone", m.address))
    plan = plan_inbound(m, identity, identity.open_task_id if identity else None, TEXTS, 60)
    store.inbound.record_inbound(plan)
    return plan.answer.task_id


def record_call(store: Any, text: str = "called, left no message") -> tuple[MessageRef, str]:
    msg = InboundMessage(VOICE, "CA" + new_id(), "+16175550123", text, NOW, answers_inline=True)
    plan = plan_inbound(msg, None, None, TEXTS, 60)
    store.inbound.record_inbound(plan)
    assert plan.open_task is not None
    return MessageRef(plan.person_id, plan.message.id, NOW), plan.open_task.id


def open_task(store: Stores, clock: Any, **kwargs: Any) -> str:
    answer = text_in(store, clock(), **kwargs)
    assert answer.task_id is not None
    return answer.task_id


def outbound_message(store: Stores, clock: Any, **kwargs: Any) -> MessageRef:
    message = Message(id=new_id(), person_id="p1", direction=Direction.OUTBOUND, channel=SMS,
                      text="hello", status=MessageStatus.QUEUED, created_at=clock(), address=CONSTITUENT,
                      kind="reply", **kwargs)  # fmt: skip
    store.messages.put_message(message)
    return MessageRef(message.person_id, message.id, message.created_at)


def all_people(store: Any, since: datetime | None = None, page_size: int = 2) -> list[Any]:
    return [row for page in store.people.people_pages(since, page_size) for row in page]


def contacts_of(store: Any, person_id: str) -> dict[str, tuple[dict[str, str], set[str]]]:
    """The listed row's contacts: "kind:address" -> (channel -> status, channels written on)."""
    [row] = [r for r in all_people(store) if r.person.id == person_id]
    return {
        f"{c.kind}:{c.address}": ({ch: s.value for ch, s in c.subscriptions.items()}, set(c.channels))
        for c in row.contacts
    }


def reply(title: str, text: str = "Thanks for writing!") -> SavedReply:
    return SavedReply(id=saved_reply_id(title), title=title, text=text, created_by="u1", created_at=T0)
