"""The saved-reply port.

Every test runs on the in-memory fake and on DynamoDB under moto (the ``store`` fixture).
"""

from __future__ import annotations

from chalicelib.services.ports import Stores
from tests.contract.support import T0, reply


def test_an_empty_store_has_no_saved_replies(store: Stores) -> None:
    assert store.saved_replies.list_saved_replies() == []


def test_saved_replies_are_listed_with_every_field(store: Stores) -> None:
    store.saved_replies.put_saved_reply(reply("Polling place", "Find yours at vote.org. Reply STOP to opt out."))
    store.saved_replies.put_saved_reply(reply("Thanks"))

    found = {r.title: r for r in store.saved_replies.list_saved_replies()}
    assert set(found) == {"Polling place", "Thanks"}
    assert found["Polling place"].text == "Find yours at vote.org. Reply STOP to opt out."
    assert found["Polling place"].created_at == T0 and found["Polling place"].created_by == "u1"


def test_putting_the_same_id_replaces_the_text(store: Stores) -> None:
    store.saved_replies.put_saved_reply(reply("Thanks", "old"))
    store.saved_replies.put_saved_reply(reply("Thanks", "new"))

    [only] = store.saved_replies.list_saved_replies()
    assert only.text == "new"


def test_delete_removes_one_and_reports_whether_it_existed(store: Stores) -> None:
    keep, gone = reply("Keep"), reply("Gone")
    store.saved_replies.put_saved_reply(keep)
    store.saved_replies.put_saved_reply(gone)

    assert store.saved_replies.delete_saved_reply(gone.id) is True
    assert store.saved_replies.delete_saved_reply(gone.id) is False
    assert [r.id for r in store.saved_replies.list_saved_replies()] == [keep.id]


def test_unicode_text_survives_the_round_trip(store: Stores) -> None:
    store.saved_replies.put_saved_reply(reply("Gracias", "¡Gracias por escribir! 🙏"))

    [only] = store.saved_replies.list_saved_replies()
    assert only.text == "¡Gracias por escribir! 🙏"
