"""Helpers for the follow-up tests: tasks from real inbound plans, users, SQS events,
and senders that fail on purpose."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.adapters.sqs import encode_ref
from chalicelib.domain.channels import SMS, WindowState
from chalicelib.domain.ids import new_id
from chalicelib.domain.inbound import Answer, AnswerTexts, InboundMessage
from chalicelib.domain.model import Channel, Message, Role, User
from chalicelib.services import users
from chalicelib.services.inbound import receive_message
from chalicelib.services.ports import Stores
from chalicelib.services.ports.messages import MessageRef
from chalicelib.services.ports.outbound import SendContext, SendError
from tests.fakes import InMemoryQueue

TEXTS = AnswerTexts(ack="Thanks for writing.", first_contact_notice="Reply STOP to opt out.", help="Help text")
CONSTITUENT = "+16175550123"
# What the outbound worker hands a sender on a channel without a reply window (SMS, X, email).
ANY_TIME = SendContext(window=WindowState(open=True, tagged=False, closes_at=None))


def inbound(
    store: Stores,
    when: datetime,
    text: str = "Please fix the pothole on Main St",
    sender: str = CONSTITUENT,
    channel: Channel = SMS,
    first_name: str | None = None,
) -> Answer:
    """A constituent's message through the real inbound use case."""
    msg = InboundMessage(
        channel=channel,
        provider_id="SM" + new_id(),
        address=sender,
        text=text,
        received_at=when,
        answers_inline=channel == SMS,
        first_name=first_name,
    )
    return receive_message(msg, store.inbound, InMemoryQueue(), TEXTS, 60)


def make_user(store: Stores, when: datetime, role: Role = Role.VOLUNTEER, name: str = "Val",
              phone: str | None = None) -> tuple[User, str]:  # fmt: skip
    return users.create_user(store.users, store.staff, lambda: when, name, role, phone=phone)


def sqs_event(refs: list[MessageRef] | list[str], receive_count: int = 1) -> dict[str, Any]:
    """A real SQS event shape, with distinct message ids and receipt handles."""
    records = []
    for n, ref in enumerate(refs):
        body = ref if isinstance(ref, str) else encode_ref(ref)
        records.append({
            "messageId": f"msg-{n}-{new_id()}",
            "receiptHandle": f"receipt-{n}-{new_id()}",
            "body": body,
            "attributes": {
                "ApproximateReceiveCount": str(receive_count),
                "SentTimestamp": "1764169200000",
                "SenderId": "AIDAEXAMPLE",
                "ApproximateFirstReceiveTimestamp": "1764169200001",
            },
            "messageAttributes": {},
            "md5OfBody": "0" * 32,
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:hearback-outbound",
            "awsRegion": "us-east-1",
        })  # fmt: skip
    return {"Records": records}


@dataclass
class FlakySender:
    """Fails its first ``failures`` sends (transient unless ``permanent``), then succeeds."""

    failures: int = 0
    permanent: bool = False
    code: str | None = None
    reason: str = "HTTP 503 from provider"
    attempts: int = 0
    delivered: list[Message] = field(default_factory=list)

    def send(self, message: Message, context: SendContext) -> str:
        self.attempts += 1
        if self.attempts <= self.failures:
            raise SendError(self.reason, code=self.code, permanent=self.permanent,
                            recipient_opted_out=self.code == "21610")  # fmt: skip
        self.delivered.append(message)
        return f"SM{self.attempts:032d}"


def failing(code: str, reason: str) -> FlakySender:
    return FlakySender(failures=10**6, permanent=True, code=code, reason=reason)


def body_refs(queue: InMemoryQueue) -> list[MessageRef]:
    return [ref for ref, _ in queue.items]


def dumps(value: Any) -> str:
    return json.dumps(value)
