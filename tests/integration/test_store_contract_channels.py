"""Store contract for the channels' late content (voicemail recordings, transcripts).

Runs against the in-memory fake and DynamoDB under moto, so the fake cannot drift.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.ids import new_id
from chalicelib.domain.inbound import AnswerTexts, InboundMessage, plan_inbound
from chalicelib.domain.model import Channel
from chalicelib.services.ports.messages import MessageFill, MessageRef
from tests.fakes import in_memory_stores

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
TEXTS = AnswerTexts(ack="Thanks", first_contact_notice="", help="help")


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "memory":
        yield in_memory_stores()
    else:
        yield request.getfixturevalue("dynamo_container").store


def record_call(store: Any, text: str = "called, left no message") -> tuple[MessageRef, str]:
    msg = InboundMessage(Channel.VOICE, "CA" + new_id(), "+16175550123", text, NOW, answers_inline=True)
    plan = plan_inbound(msg, None, None, TEXTS, 60)
    store.inbound.record_inbound(plan)
    assert plan.open_task is not None
    return MessageRef(plan.person_id, plan.message.id, NOW), plan.open_task.id


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


def test_task_preview_changes_only_while_it_is_a_placeholder(store: Any) -> None:
    _, task_id = record_call(store)

    assert store.tasks.set_task_preview(task_id, "voicemail", ("called, left no message", "voicemail")) is True
    assert store.tasks.get_task(task_id).preview == "voicemail"
    assert store.tasks.set_task_preview(task_id, "real words", ("called, left no message", "voicemail")) is True
    assert store.tasks.set_task_preview(task_id, "late", ("called, left no message", "voicemail")) is False
    assert store.tasks.get_task(task_id).preview == "real words"
    assert store.tasks.set_task_preview("no-such-task", "x", ("real words",)) is False
