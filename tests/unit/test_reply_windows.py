"""Reply windows checked before a volunteer's reply is stored (422 when closed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from chalicelib.services.windows import ensure_reply_window

from chalicelib.domain.inbound import AnswerTexts, InboundMessage, plan_inbound
from chalicelib.domain.model import Channel
from chalicelib.services.errors import UnprocessableError
from tests.fakes import in_memory_stores

WROTE = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def store_with(channel: Channel, address: str) -> InMemoryStore:
    store = in_memory_stores()
    msg = InboundMessage(channel, "p-1", address, "hi", WROTE)
    store.inbound.record_inbound(plan_inbound(msg, None, None, AnswerTexts(ack="a", first_contact_notice="", help="h"), 60))
    return store


@pytest.mark.parametrize(
    ("channel", "address", "hours", "open_", "tagged"),
    [
        (Channel.WHATSAPP, "+16505551234", 23, True, False),
        (Channel.WHATSAPP, "+16505551234", 25, False, False),
        (Channel.MESSENGER, "700", 25, True, True),
        (Channel.INSTAGRAM, "800", 24 * 7 + 1, False, False),
        (Channel.X, "42", 24 * 30, True, False),
        (Channel.EMAIL, "a@b.org", 24 * 30, True, False),
    ],
)
def test_windows(channel: Channel, address: str, hours: int, open_: bool, tagged: bool) -> None:
    store = store_with(channel, address)
    now = WROTE + timedelta(hours=hours)
    if open_:
        state = ensure_reply_window(store, lambda: now, channel, address)
        assert state.tagged is tagged
    else:
        with pytest.raises(UnprocessableError, match="window is closed"):
            ensure_reply_window(store, lambda: now, channel, address)


def test_no_message_ever_means_no_whatsapp_window() -> None:
    with pytest.raises(UnprocessableError):
        ensure_reply_window(in_memory_stores(), lambda: WROTE, Channel.WHATSAPP, "+16505550000")
