"""The sending port: every outbound message sent once, retried or failed with its reason.

Every test runs on the in-memory fake and on DynamoDB under moto (the ``store`` fixture).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.domain.channels import SMS
from chalicelib.domain.model import (
    MessageStatus,
)
from chalicelib.services.ports import Stores
from tests.contract.support import outbound_message


def test_a_message_is_sent_once_even_when_two_workers_try(store: Stores, clock: Any) -> None:
    ref = outbound_message(store, clock)
    lease = clock() + timedelta(seconds=30)

    first = store.sending.begin_send(ref, clock(), lease)
    second = store.sending.begin_send(ref, clock(), lease)

    assert first.started and first.message is not None and first.message.text == "hello"
    assert not second.started and second.message is not None and second.message.status is MessageStatus.SENDING
    store.sending.mark_sent(ref, SMS, "SM123", clock())
    sent = store.messages.get_message(ref)
    assert sent is not None and sent.status is MessageStatus.SENT and sent.provider_id == "SM123"
    assert store.messages.find_by_provider_id(SMS, "SM123") == ref
    assert not store.sending.begin_send(ref, clock() + timedelta(hours=1), lease).started


def test_a_crashed_send_may_be_retried_after_its_lease(store: Stores, clock: Any) -> None:
    ref = outbound_message(store, clock)
    store.sending.begin_send(ref, clock(), clock() + timedelta(seconds=30))
    assert store.sending.begin_send(ref, clock() + timedelta(seconds=31), clock() + timedelta(seconds=61)).started


def test_transient_errors_requeue_and_permanent_ones_fail_with_the_reason(store: Stores, clock: Any) -> None:
    ref = outbound_message(store, clock)
    store.sending.begin_send(ref, clock(), clock() + timedelta(seconds=30))
    store.sending.retry_later(ref, "HTTP 503")
    assert store.messages.get_message(ref).status is MessageStatus.QUEUED  # type: ignore[union-attr]
    assert store.sending.begin_send(ref, clock(), clock() + timedelta(seconds=30)).started

    store.sending.mark_failed(ref, "21211", "invalid 'To' phone number")
    failed = store.messages.get_message(ref)
    assert failed is not None and failed.status is MessageStatus.FAILED
    assert (failed.error_code, failed.error_reason) == ("21211", "invalid 'To' phone number")
    assert not store.sending.begin_send(ref, clock(), clock() + timedelta(seconds=30)).started


def test_a_message_held_for_sending_hours_is_not_started_early(store: Stores, clock: Any) -> None:
    ref = outbound_message(store, clock, send_after=clock() + timedelta(hours=10))

    early = store.sending.begin_send(ref, clock(), clock() + timedelta(seconds=30))
    assert not early.started and early.message is not None
    assert early.message.send_after == clock() + timedelta(hours=10)
    on_time = clock() + timedelta(hours=10, seconds=1)
    assert store.sending.begin_send(ref, on_time, on_time + timedelta(seconds=30)).started
