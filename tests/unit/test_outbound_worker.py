"""The outbound worker with fakes: exactly once, retries, permanent failures, poison messages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.api.workers import handle_outbound_batch
from chalicelib.bootstrap import Container, use_container
from chalicelib.domain.channels import SMS
from chalicelib.domain.model import Address, MessageStatus, Role, SubscriptionStatus, TaskStatus
from chalicelib.services import followup
from chalicelib.services.outbound import Delivery, deliver
from chalicelib.services.ports.messages import MessageRef
from tests.fakes import InMemoryQueue, in_memory_stores
from tests.support.followup import CONSTITUENT, FlakySender, failing, inbound, make_user, sqs_event


@pytest.fixture
def app_container(memory_container: Container) -> Iterator[Container]:
    use_container(memory_container)
    yield memory_container
    use_container(None)


def queued_reply(c: Container, text: str = "We reported it to Public Works.") -> tuple[MessageRef, str]:
    task_id = inbound(c.stores, c.clock()).task_id
    assert task_id is not None
    user, _ = make_user(c.stores, c.clock())
    followup.claim(c, task_id, user)
    message = followup.reply(c, task_id, user, text)
    queue: InMemoryQueue = c.queue  # type: ignore[assignment]
    ref, delay = queue.items[-1]
    assert ref.message_id == message.id and delay == 0
    return ref, task_id


def status_of(c: Container, ref: MessageRef) -> Any:
    message = c.messages.get_message(ref)
    assert message is not None
    return message


def test_a_redelivered_queue_message_is_sent_once(app_container: Container) -> None:
    sender = FlakySender()
    app_container.senders = {SMS: sender}
    ref, _ = queued_reply(app_container)

    first = handle_outbound_batch(sqs_event([ref]))
    again = handle_outbound_batch(sqs_event([ref, ref], receive_count=2))

    assert first == {"batchItemFailures": []} and again == {"batchItemFailures": []}
    assert len(sender.delivered) == 1
    sent = status_of(app_container, ref)
    assert sent.status is MessageStatus.SENT and sent.provider_id == "SM" + "1".zfill(32)
    assert app_container.messages.find_by_provider_id(SMS, sent.provider_id) == ref


def test_a_provider_failing_the_first_attempts_delivers_on_retry_once(app_container: Container) -> None:
    sender = FlakySender(failures=2)
    app_container.senders = {SMS: sender}
    ref, _ = queued_reply(app_container)
    queue: InMemoryQueue = app_container.queue  # type: ignore[assignment]

    results = [handle_outbound_batch(sqs_event([ref], receive_count=n)) for n in (1, 2, 3)]

    assert [len(r["batchItemFailures"]) for r in results] == [1, 1, 0]
    assert [delay for _, delay in queue.retries] == [20, 40]  # backoff through the visibility timeout
    assert len(sender.delivered) == 1
    assert status_of(app_container, ref).status is MessageStatus.SENT


def test_a_provider_that_keeps_failing_ends_failed_with_its_reason_and_the_task_stays_open(
    app_container: Container,
) -> None:
    sender = FlakySender(failures=100, reason="HTTP 503 from Twilio")
    app_container.senders = {SMS: sender}
    ref, task_id = queued_reply(app_container)
    attempts = app_container.settings.send_max_attempts

    results = [handle_outbound_batch(sqs_event([ref], receive_count=n)) for n in range(1, attempts + 1)]

    assert [len(r["batchItemFailures"]) for r in results] == [1] * (attempts - 1) + [0]
    failed = status_of(app_container, ref)
    assert failed.status is MessageStatus.FAILED
    assert failed.error_reason == f"gave up after {attempts} attempts: HTTP 503 from Twilio"
    task = app_container.tasks.get_task(task_id)
    assert task is not None and task.status is TaskStatus.CLAIMED  # still someone's to answer
    assert handle_outbound_batch(sqs_event([ref], receive_count=attempts + 1)) == {"batchItemFailures": []}
    assert sender.attempts == attempts


def test_opted_out_at_the_provider_fails_at_once_and_opts_the_number_out(app_container: Container) -> None:
    sender = failing("21610", "Twilio 21610: the recipient has opted out (replied STOP)")
    app_container.senders = {SMS: sender}
    ref, _ = queued_reply(app_container)

    result = handle_outbound_batch(sqs_event([ref]))

    assert result == {"batchItemFailures": []}  # not retried
    failed = status_of(app_container, ref)
    assert failed.status is MessageStatus.FAILED and failed.error_code == "21610"
    assert "opted out" in (failed.error_reason or "")
    identity = app_container.people.find_identity(Address("phone", CONSTITUENT))
    assert identity is not None and identity.status_of(SMS) is SubscriptionStatus.OPTED_OUT
    assert sender.attempts == 1


def test_invalid_number_fails_at_once(app_container: Container) -> None:
    app_container.senders = {SMS: failing("21211", "Twilio 21211: invalid 'To' phone number")}
    ref, _ = queued_reply(app_container)
    handle_outbound_batch(sqs_event([ref]))
    assert status_of(app_container, ref).error_code == "21211"


def test_a_poison_message_fails_alone_and_the_rest_of_the_batch_is_sent(app_container: Container) -> None:
    sender = FlakySender()
    app_container.senders = {SMS: sender}
    ref, _ = queued_reply(app_container)
    event = sqs_event(["not json", ref])  # type: ignore[list-item]

    result = handle_outbound_batch(event)

    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert len(sender.delivered) == 1


def test_a_stop_that_arrives_while_the_message_waits_is_honoured(app_container: Container) -> None:
    sender = FlakySender()
    app_container.senders = {SMS: sender}
    ref, _ = queued_reply(app_container)
    app_container.people.set_subscription(Address("phone", CONSTITUENT), SMS, SubscriptionStatus.OPTED_OUT)

    assert deliver(app_container, ref) is Delivery.FAILED
    assert sender.delivered == []
    assert status_of(app_container, ref).error_code == "opted_out"


def test_a_channel_without_a_sender_fails_with_a_clear_reason(app_container: Container) -> None:
    app_container.senders = {}
    ref, _ = queued_reply(app_container)
    assert deliver(app_container, ref) is Delivery.FAILED
    assert status_of(app_container, ref).error_reason == "no sender is configured for sms"


def test_outbox_default_marks_the_reply_sent_in_the_conversation(settings: Any) -> None:
    c = Container(settings=settings, stores=in_memory_stores(), queue=InMemoryQueue(),
                  clock=lambda: datetime(2026, 11, 26, 15, 0, tzinfo=UTC))  # fmt: skip
    ref, _ = queued_reply(c)
    assert deliver(c, ref) is Delivery.SENT
    sent = status_of(c, ref)
    assert sent.status is MessageStatus.SENT and sent.provider_id == f"outbox-{ref.message_id}"


def test_a_late_reply_waits_for_the_recipients_sending_hours(app_container: Container, clock: Any) -> None:
    sender = FlakySender()
    app_container.senders = {SMS: sender}
    task_id = inbound(app_container.stores, clock()).task_id
    assert task_id is not None
    user, _ = make_user(app_container.stores, clock(), role=Role.VOLUNTEER)
    followup.claim(app_container, task_id, user)
    # 15:00 UTC + 8 h = 23:00 UTC = 18:00 in Boston... + 4 h more = 22:00 local: too late.
    clock.advance(hours=12)
    message = followup.reply(app_container, task_id, user, "Sorry for the wait!")
    queue: InMemoryQueue = app_container.queue  # type: ignore[assignment]
    ref, delay = queue.items[-1]
    # 09:00 in Boston next morning is 14:00 UTC: 11 hours away, so the queue delay is capped.
    assert message.send_after == datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
    assert delay == 900

    assert deliver(app_container, ref) is Delivery.DELAYED
    assert queue.items[-1] == (ref, 900)  # re-delayed: still too early
    clock.advance(hours=11)
    assert deliver(app_container, ref) is Delivery.SENT
    assert len(sender.delivered) == 1


def test_backoff_grows_and_is_capped() -> None:
    from chalicelib.services.outbound import backoff_seconds

    assert [backoff_seconds(n) for n in (1, 2, 3, 4, 10)] == [20, 40, 80, 160, 900]
    assert timedelta(seconds=backoff_seconds(20)) <= timedelta(minutes=15)
