"""Use case: a provider delivers several messages at once (Meta and X batch their webhooks)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from chalicelib.domain.inbound import Answer, AnswerTexts, InboundMessage
from chalicelib.domain.model import Channel
from chalicelib.services.errors import ConflictError
from chalicelib.services.inbound import receive_message
from chalicelib.services.ports.inbound import InboundStore
from chalicelib.services.ports.outbound import OutboundQueue

TextsFor = Callable[[Channel], AnswerTexts]


def receive_batch(
    messages: Iterable[InboundMessage],
    store: InboundStore,
    queue: OutboundQueue,
    texts_for: TextsFor,
    sla_minutes: int,
) -> list[Answer]:
    """Record every message of a batch; one that cannot be recorded now does not stop the others.

    A message caught mid-write by a concurrent copy is left for the provider's retry: the
    batch answers 409 after all the others were recorded (their redelivery is deduplicated).
    """
    answers: list[Answer] = []
    conflict: ConflictError | None = None
    for msg in messages:
        try:
            answers.append(receive_message(msg, store, queue, texts_for(msg.channel), sla_minutes))
        except ConflictError as exc:
            conflict = conflict or exc
    if conflict is not None:
        raise conflict
    return answers
