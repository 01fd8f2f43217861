"""What the channel blueprints share: the inbound use cases with the container's texts."""

from __future__ import annotations

from chalicelib.bootstrap import Container
from chalicelib.domain.inbound import Answer, InboundMessage
from chalicelib.services.batch import receive_batch
from chalicelib.services.inbound import receive_message


def receive(c: Container, msg: InboundMessage) -> Answer:
    return receive_message(msg, c.inbound, c.queue, c.answer_texts(msg.channel), c.settings.task_sla_minutes)


def receive_all(c: Container, messages: list[InboundMessage]) -> list[Answer]:
    return receive_batch(messages, c.inbound, c.queue, c.answer_texts, c.settings.task_sla_minutes)
