"""What the channel blueprints share: per-channel answer texts and the inbound use cases."""

from __future__ import annotations

from chalicelib.bootstrap import Container
from chalicelib.domain.inbound import Answer, AnswerTexts, InboundMessage
from chalicelib.domain.model import Channel
from chalicelib.services.batch import receive_batch
from chalicelib.services.inbound import receive_message
from chalicelib.settings import Settings


def answer_texts(settings: Settings, channel: Channel) -> AnswerTexts:
    """The texts a person on ``channel`` reads (or hears): settings' per-channel overrides."""
    return AnswerTexts(
        ack=settings.channel_text("ack_text", channel.value),
        first_contact_notice=settings.channel_text("first_contact_notice", channel.value),
        help=settings.channel_text("help_text", channel.value),
    )


def receive(c: Container, msg: InboundMessage) -> Answer:
    return receive_message(msg, c.store, c.queue, answer_texts(c.settings, msg.channel), c.settings.task_sla_minutes)


def receive_all(c: Container, messages: list[InboundMessage]) -> list[Answer]:
    return receive_batch(
        messages, c.store, c.queue, lambda ch: answer_texts(c.settings, ch), c.settings.task_sla_minutes
    )
