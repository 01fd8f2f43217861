"""Reply windows are decided once, by the outbound worker, from the identity it already read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.channels.email import EMAIL
from chalicelib.adapters.channels.instagram import INSTAGRAM
from chalicelib.adapters.channels.messenger import MESSENGER
from chalicelib.adapters.channels.whatsapp import WHATSAPP
from chalicelib.adapters.channels.x_dm import X
from chalicelib.bootstrap import Container
from chalicelib.config import Settings
from chalicelib.domain.channels import address_kind
from chalicelib.domain.inbound import AnswerTexts, InboundMessage, plan_inbound
from chalicelib.domain.model import Address, Channel, Direction, Message, MessageStatus
from chalicelib.services.outbound import send_context
from tests.fakes import InMemoryQueue, in_memory_stores

WROTE = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def wrote_in(channel: Channel, address: str) -> Container:
    c = Container(settings=Settings(), stores=in_memory_stores(), queue=InMemoryQueue())
    msg = InboundMessage(channel, "p-1", address, "hi", WROTE)
    c.inbound.record_inbound(plan_inbound(msg, None, None, AnswerTexts(ack="a", first_contact_notice="", help="h"), 60))
    return c


def reply(c: Container, channel: Channel, address: str) -> Message:
    identity = c.people.find_identity(Address(address_kind(channel), address))
    assert identity is not None
    return Message(id="01OUT", person_id=identity.person_id, direction=Direction.OUTBOUND, channel=channel,
                   text="Thanks", status=MessageStatus.SENDING, created_at=WROTE, address=address)  # fmt: skip


@pytest.mark.parametrize(
    ("channel", "address", "hours", "open_", "tagged"),
    [
        (WHATSAPP, "+16505551234", 23, True, False),
        (WHATSAPP, "+16505551234", 25, False, False),
        (MESSENGER, "700", 25, True, True),
        (INSTAGRAM, "800", 24 * 7 + 1, False, False),
        (X, "42", 24 * 30, True, False),
        (EMAIL, "a@b.org", 24 * 30, True, False),
    ],
)
def test_windows(channel: Channel, address: str, hours: int, open_: bool, tagged: bool) -> None:
    c = wrote_in(channel, address)
    message = reply(c, channel, address)
    identity = c.people.find_identity(Address(address_kind(channel), address))

    state = send_context(c, message, identity, WROTE + timedelta(hours=hours)).window

    assert (state.open, state.tagged) == (open_, tagged)


def test_no_message_ever_means_no_whatsapp_window() -> None:
    c = Container(settings=Settings(), stores=in_memory_stores(), queue=InMemoryQueue())
    message = Message(id="01OUT", person_id="p", direction=Direction.OUTBOUND, channel=WHATSAPP,
                      text="Hi", status=MessageStatus.SENDING, created_at=WROTE, address="+16505550000")  # fmt: skip

    assert not send_context(c, message, None, WROTE).window.open


def test_threaded_channels_answer_the_persons_latest_message() -> None:
    c = wrote_in(EMAIL, "a@b.org")
    message = reply(c, EMAIL, "a@b.org")
    identity = c.people.find_identity(Address("email", "a@b.org"))

    context = send_context(c, message, identity, WROTE)

    assert context.reply_to is not None and context.reply_to.provider_id == "p-1"
