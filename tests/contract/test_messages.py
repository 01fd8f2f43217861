"""The message port: conversations, provider-id pointers, forward-only statuses, late content.

Every test runs on the in-memory fake and on DynamoDB under moto (the ``store`` fixture).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.domain.channels import SMS
from chalicelib.domain.model import (
    Address,
    Direction,
    Message,
    MessageStatus,
)
from chalicelib.services.ports import Stores
from chalicelib.services.ports.messages import MessageFill, MessageRef
from tests.contract.support import NOW, T0, msg, record, record_call


def test_status_only_moves_forward_and_keeps_errors(store: Stores) -> None:
    record(store, msg("SM1"))
    identity = store.people.find_identity(Address("phone", "+16175550199"))
    assert identity is not None
    out = Message(
        id="01OUT", person_id=identity.person_id, direction=Direction.OUTBOUND, channel=SMS,
        text="reply", status=MessageStatus.QUEUED, created_at=T0 + timedelta(minutes=9), address="+16175550199",
    )  # fmt: skip
    store.messages.put_message(out)  # type: ignore[attr-defined]
    ref = MessageRef(out.person_id, out.id, out.created_at)
    store.messages.link_provider_id(SMS, "SMout", ref)

    assert store.messages.find_by_provider_id(SMS, "SMout") == ref
    assert store.messages.advance_status(ref, MessageStatus.DELIVERED)
    assert not store.messages.advance_status(ref, MessageStatus.SENT)
    assert not store.messages.advance_status(ref, MessageStatus.FAILED, "30003")
    assert store.messages.advance_status(ref, MessageStatus.READ)
    found = store.messages.get_message(ref)
    assert found is not None and found.status is MessageStatus.READ


def test_provisional_text_media_and_meta_are_applied(store: Any) -> None:
    ref, _ = record_call(store)

    got = store.messages.fill_message(
        ref, MessageFill(provisional_text="voicemail", media_urls=("https://r/1",), meta={"d": "9"})
    )

    assert got is not None and got.text == "voicemail" and got.media_urls == ["https://r/1"] and got.meta["d"] == "9"
    stored = store.messages.get_message(ref)
    assert stored.text == "voicemail" and stored.meta == {"d": "9"} and stored.task_id is not None


@pytest.mark.parametrize("order", ["final first", "provisional first"])
def test_final_text_wins_whatever_the_order(store: Any, order: str) -> None:
    ref, _ = record_call(store)
    fills = [MessageFill(final_text="what they said"), MessageFill(provisional_text="pending", media_urls=("u",))]
    if order == "provisional first":
        fills.reverse()

    for fill in fills:
        store.messages.fill_message(ref, fill)

    stored = store.messages.get_message(ref)
    assert stored.text == "what they said" and stored.media_urls == ["u"]


def test_filling_a_missing_message_returns_none(store: Any) -> None:
    ref = MessageRef("nobody", "nothing", NOW - timedelta(days=1))
    assert store.messages.fill_message(ref, MessageFill(final_text="x")) is None
