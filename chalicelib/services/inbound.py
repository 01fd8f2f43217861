"""Use case: a constituent's message arrives on any channel."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.domain.channels import address_kind
from chalicelib.domain.inbound import Answer, AnswerTexts, InboundMessage, plan_inbound
from chalicelib.domain.model import Address, SubscriptionStatus
from chalicelib.domain.people import suppression_hash
from chalicelib.services.errors import ConflictError
from chalicelib.services.ports.inbound import (
    DuplicateDeliveryError,
    InboundStore,
    InFlightError,
    SenderLookup,
    StalePlanError,
)
from chalicelib.services.ports.messages import MessageRef
from chalicelib.services.ports.outbound import OutboundQueue

# A plan goes stale only when two messages from one person race; a few tries settle it.
MAX_ATTEMPTS = 4


def receive_message(
    msg: InboundMessage,
    store: InboundStore,
    queue: OutboundQueue,
    texts: AnswerTexts,
    sla_minutes: int,
    *,
    lookup: SenderLookup | None = None,
) -> Answer:
    """Record one inbound message; return what the sender is told.

    A known person costs one read (their identity, whose open-task mirror is trusted
    optimistically) and one transactional write. Only when the write finds the mirror
    stale is the person item read. ``lookup`` is that read when the caller already made it.
    """
    identity = lookup.identity if lookup is not None else store.find_identity(_address(msg))
    open_task = identity.open_task_id if identity else None
    # Someone whose data was deleted on request is never contacted
    # again. Only an unknown sender can be suppressed, so known senders pay no extra read.
    suppressed = identity is None and msg.keyword is None and store.is_suppressed(suppression_hash(_address(msg)))
    if suppressed:
        msg = replace(msg, automated=True)  # recorded and followed up, never acknowledged
    for _ in range(MAX_ATTEMPTS):
        plan = plan_inbound(msg, identity, open_task, texts, sla_minutes)
        if suppressed:
            plan.subscription = SubscriptionStatus.OPTED_OUT
        try:
            store.record_inbound(plan)
        except DuplicateDeliveryError as dup:
            return dup.answer.model_copy(update={"duplicate": True})
        except InFlightError:
            raise ConflictError("this delivery is being processed; retry later") from None
        except StalePlanError:
            identity = store.find_identity(_address(msg))
            person = store.get_person(identity.person_id) if identity else None
            open_task = person.open_task_id if person else None
            continue
        for out in plan.queued:
            queue.enqueue(MessageRef.of(out))
        return plan.answer
    raise ConflictError("too many concurrent messages from this sender; retry later")


def _address(msg: InboundMessage) -> Address:
    return Address(address_kind(msg.channel), msg.address)
