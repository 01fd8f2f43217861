"""Saved replies: the in-memory fake and the DynamoDB adapter keep the same promises."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from chalicelib.adapters.memory import InMemoryStore
from chalicelib.domain.saved_replies import SavedReply, saved_reply_id
from chalicelib.services.ports import Store

T0 = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    if request.param == "memory":
        yield InMemoryStore()
    else:
        yield request.getfixturevalue("dynamo_container").store


def reply(title: str, text: str = "Thanks for writing!") -> SavedReply:
    return SavedReply(id=saved_reply_id(title), title=title, text=text, created_by="u1", created_at=T0)


def test_an_empty_store_has_no_saved_replies(store: Store) -> None:
    assert store.list_saved_replies() == []


def test_saved_replies_are_listed_with_every_field(store: Store) -> None:
    store.put_saved_reply(reply("Polling place", "Find yours at vote.org. Reply STOP to opt out."))
    store.put_saved_reply(reply("Thanks"))

    found = {r.title: r for r in store.list_saved_replies()}
    assert set(found) == {"Polling place", "Thanks"}
    assert found["Polling place"].text == "Find yours at vote.org. Reply STOP to opt out."
    assert found["Polling place"].created_at == T0 and found["Polling place"].created_by == "u1"


def test_putting_the_same_id_replaces_the_text(store: Store) -> None:
    store.put_saved_reply(reply("Thanks", "old"))
    store.put_saved_reply(reply("Thanks", "new"))

    [only] = store.list_saved_replies()
    assert only.text == "new"


def test_delete_removes_one_and_reports_whether_it_existed(store: Store) -> None:
    keep, gone = reply("Keep"), reply("Gone")
    store.put_saved_reply(keep)
    store.put_saved_reply(gone)

    assert store.delete_saved_reply(gone.id) is True
    assert store.delete_saved_reply(gone.id) is False
    assert [r.id for r in store.list_saved_replies()] == [keep.id]


def test_unicode_text_survives_the_round_trip(store: Store) -> None:
    store.put_saved_reply(reply("Gracias", "¡Gracias por escribir! 🙏"))

    [only] = store.list_saved_replies()
    assert only.text == "¡Gracias por escribir! 🙏"
