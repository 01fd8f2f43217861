"""The inbound use case against the in-memory fakes: rules, not transport."""

from __future__ import annotations

import threading
from datetime import timedelta

from chalicelib.adapters.channels.email import EMAIL
from chalicelib.adapters.channels.voice import VOICE
from chalicelib.adapters.channels.whatsapp import WHATSAPP
from chalicelib.bootstrap import Container
from chalicelib.domain.channels import SMS
from chalicelib.domain.inbound import InboundMessage
from chalicelib.domain.keywords import Keyword
from chalicelib.domain.model import Address, Channel, MessageStatus, SubscriptionStatus, TaskStatus
from chalicelib.services.inbound import receive_message
from tests.fakes import InMemoryData, InMemoryQueue
from tests.fakes.stores import InMemoryInboundStore


def inbound(container: Container, text: str, pid: str, channel: Channel = SMS, **kw: object) -> InboundMessage:
    return InboundMessage(
        channel=channel,
        provider_id=pid,
        address="+16175550199",
        text=text,
        received_at=container.clock(),
        answers_inline=channel in (SMS, VOICE),
        **kw,  # type: ignore[arg-type]
    )


def receive(container: Container, msg: InboundMessage):  # type: ignore[no-untyped-def]
    return receive_message(msg, container.inbound, container.queue, container.answer_texts(msg.channel), 60)


def store_of(container: Container) -> InMemoryData:
    """The items behind the in-memory fakes, to look inside (and to stage a stale mirror)."""
    inbound_store = container.stores.inbound
    assert isinstance(inbound_store, InMemoryInboundStore)
    return inbound_store.data


def test_first_message_opens_a_task_due_after_the_sla(memory_container: Container) -> None:
    answer = receive(memory_container, inbound(memory_container, "hello", "p1"))

    assert answer.outcome == "task_opened" and answer.reply_text
    task = store_of(memory_container).tasks[answer.task_id or ""]
    assert task.due_at - task.created_at == timedelta(minutes=60)
    assert task.status is TaskStatus.OPEN


def test_queued_channels_get_the_acknowledgement_through_the_queue(memory_container: Container) -> None:
    answer = receive(memory_container, inbound(memory_container, "hola", "wamid.1", WHATSAPP))

    queue = memory_container.queue
    assert isinstance(queue, InMemoryQueue)
    [(ref, _delay)] = queue.items
    ack = memory_container.messages.get_message(ref)
    assert ack is not None and ack.status is MessageStatus.QUEUED and ack.kind == "acknowledgement"
    assert ack.task_id == answer.task_id and ack.channel == WHATSAPP


def test_sms_and_whatsapp_from_one_number_are_one_person_with_one_task(memory_container: Container) -> None:
    first = receive(memory_container, inbound(memory_container, "by sms", "SM1"))
    second = receive(memory_container, inbound(memory_container, "by whatsapp", "wamid.2", WHATSAPP))

    assert second.person_id == first.person_id
    assert second.outcome == "task_joined" and second.task_id == first.task_id
    assert second.reply_text is None


def test_automated_senders_are_recorded_but_never_acknowledged(memory_container: Container) -> None:
    answer = receive(memory_container, inbound(memory_container, "I am away", "m1", EMAIL, automated=True))

    assert answer.outcome == "task_opened" and answer.reply_text is None


def test_opt_out_then_message_opens_task_without_acknowledgement(memory_container: Container) -> None:
    receive(memory_container, inbound(memory_container, "STOP", "k1", keyword=Keyword.OPT_OUT))
    answer = receive(memory_container, inbound(memory_container, "but I have a question", "k2"))

    assert answer.outcome == "task_opened" and answer.reply_text is None
    identity = memory_container.people.find_identity(Address("phone", "+16175550199"))
    assert identity is not None and identity.status_of(SMS) is SubscriptionStatus.OPTED_OUT


def test_opt_out_on_sms_leaves_whatsapp_alone(memory_container: Container) -> None:
    receive(memory_container, inbound(memory_container, "STOP", "k1", keyword=Keyword.OPT_OUT))
    answer = receive(memory_container, inbound(memory_container, "hi", "wamid.9", WHATSAPP))

    assert answer.reply_text is not None


def test_stale_mirror_is_detected_and_the_message_joins_the_real_open_task(memory_container: Container) -> None:
    store = store_of(memory_container)
    first = receive(memory_container, inbound(memory_container, "one", "s1"))
    # Another identity of the person opened the task; this identity's mirror does not know.
    store.identities[Address("phone", "+16175550199")].open_task_id = None

    second = receive(memory_container, inbound(memory_container, "two", "s2"))

    assert second.outcome == "task_joined" and second.task_id == first.task_id
    assert len(store.tasks) == 1


def test_concurrent_redeliveries_store_one_message_and_one_task(memory_container: Container) -> None:
    msg = inbound(memory_container, "race", "SMrace")
    answers = []

    def deliver() -> None:
        answers.append(receive(memory_container, msg))

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    store = store_of(memory_container)
    assert len(store.tasks) == 1
    assert len({a.task_id for a in answers}) == 1
    assert sum(not a.duplicate for a in answers) == 1
    assert {a.reply_text for a in answers} == {answers[0].reply_text}
