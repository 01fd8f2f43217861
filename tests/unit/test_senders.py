"""Senders: Twilio's errors mapped to retry or fail, with a fake REST client (no network)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException

from chalicelib.adapters.channels.messenger import MESSENGER
from chalicelib.adapters.channels.sms import TwilioSmsSender
from chalicelib.adapters.channels.whatsapp import WHATSAPP
from chalicelib.adapters.senders import OutboxSender, build_senders
from chalicelib.config import Settings
from chalicelib.domain.channels import SMS, known_channels
from chalicelib.domain.model import Channel, Direction, Message, MessageStatus
from chalicelib.services.ports.outbound import SendError
from tests.support.followup import ANY_TIME


class FakeMessages:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.created: list[dict[str, Any]] = []

    def create(self, **kwargs: Any) -> Any:
        if self.error is not None:
            raise self.error
        self.created.append(kwargs)
        return type("Created", (), {"sid": "SM" + "f" * 32})()


class FakeTwilio:
    def __init__(self, error: Exception | None = None) -> None:
        self.messages = FakeMessages(error)


def message(channel: Channel = SMS) -> Message:
    return Message(id="m1", person_id="p1", direction=Direction.OUTBOUND, channel=channel, text="Hi there",
                   status=MessageStatus.SENDING, created_at=datetime(2026, 11, 26, 15, tzinfo=UTC),
                   address="+16175550123")  # fmt: skip


def sender(error: Exception | None = None) -> tuple[TwilioSmsSender, FakeTwilio]:
    fake = FakeTwilio(error)
    return TwilioSmsSender("AC1", "token", "+16175550100", "https://hb.example/api/webhooks/twilio/status", fake), fake


def test_a_sent_message_returns_twilios_sid_and_asks_for_status_callbacks() -> None:
    twilio, fake = sender()
    assert twilio.send(message(), ANY_TIME) == "SM" + "f" * 32
    [created] = fake.messages.created
    assert created == {"to": "+16175550123", "from_": "+16175550100", "body": "Hi there",
                       "status_callback": "https://hb.example/api/webhooks/twilio/status"}  # fmt: skip


def test_whatsapp_through_twilio_uses_the_whatsapp_prefix() -> None:
    twilio, fake = sender()
    twilio.send(message(WHATSAPP), ANY_TIME)
    assert fake.messages.created[0]["to"] == "whatsapp:+16175550123"


@pytest.mark.parametrize(
    ("status", "code", "permanent", "opted_out"),
    [
        (400, 21610, True, True),  # unsubscribed recipient
        (400, 21211, True, False),  # invalid number
        (400, 21614, True, False),  # not a mobile number
        (429, 20429, False, False),  # throttled
        (500, None, False, False),
        (503, None, False, False),
        (401, 20003, True, False),  # bad credentials: no retry fixes that
    ],
)
def test_twilio_errors(status: int, code: int | None, permanent: bool, opted_out: bool) -> None:
    twilio, _ = sender(TwilioRestException(status, "/Messages.json", msg="refused", code=code))
    with pytest.raises(SendError) as failed:
        twilio.send(message(), ANY_TIME)
    assert failed.value.permanent is permanent
    assert failed.value.recipient_opted_out is opted_out
    assert failed.value.code == (str(code) if code else None)


def test_timeouts_are_retried() -> None:
    twilio, _ = sender(TimeoutError("read timed out"))
    with pytest.raises(SendError) as failed:
        twilio.send(message(), ANY_TIME)
    assert failed.value.permanent is False
    assert "+1617" not in failed.value.reason


def test_registry_outbox_by_default_and_twilio_sms_when_live() -> None:
    outbox = build_senders(Settings())
    assert set(outbox) == set(known_channels()) and isinstance(outbox[SMS], OutboxSender)
    twilio = {"twilio_account_sid": "AC1", "twilio_auth_token": "t", "twilio_phone_number": "+16175550100"}
    live = build_senders(Settings(outbound="live", public_base_url="https://hb.example/api", **twilio))
    assert isinstance(live[SMS], TwilioSmsSender)
    assert MESSENGER not in live  # another channel's sender is one more registry line
    unconfigured = Settings(outbound="live", twilio_account_sid=None, twilio_auth_token=None, twilio_phone_number=None)
    assert build_senders(unconfigured) == {}
