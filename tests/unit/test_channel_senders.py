"""Senders for Messenger/Instagram, WhatsApp, X and SES, against fake transports."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from typing import Any
from urllib.parse import quote

import pytest

from chalicelib.adapters.channels.email import EMAIL
from chalicelib.adapters.channels.email_mime import EmailThread, SesEmailSender, email_thread
from chalicelib.adapters.channels.http import HttpRequest, HttpResponse
from chalicelib.adapters.channels.instagram import INSTAGRAM
from chalicelib.adapters.channels.messenger import MESSENGER
from chalicelib.adapters.channels.meta import MetaMessengerSender
from chalicelib.adapters.channels.registry import CHANNELS, spec
from chalicelib.adapters.channels.whatsapp import WHATSAPP, WhatsAppCloudSender
from chalicelib.adapters.channels.x import OAuth1Credentials, oauth1_header
from chalicelib.adapters.channels.x_dm import X, XDirectMessageSender
from chalicelib.domain.channels import SMS, reply_window
from chalicelib.domain.inbound import AnswerTexts, InboundMessage, plan_inbound
from chalicelib.domain.model import Channel, Direction, Message, MessageStatus
from chalicelib.services.outbound import latest_inbound
from chalicelib.services.ports.outbound import SendContext, SendError
from tests.fakes import in_memory_stores
from tests.support.followup import ANY_TIME

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


class FakeTransport:
    """Records requests and answers with canned responses, in order."""

    def __init__(self, *responses: HttpResponse) -> None:
        self.responses = list(responses)
        self.requests: list[HttpRequest] = []

    def __call__(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        return self.responses.pop(0)

    @property
    def sent(self) -> Any:
        return json.loads(self.requests[-1].body)


def ok(payload: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(status, json.dumps(payload).encode())


def outbound(channel: Channel, address: str, text: str = "Thanks!", **meta: str) -> Message:
    return Message(
        id="01TEST", person_id="p1", direction=Direction.OUTBOUND, channel=channel, text=text,
        status=MessageStatus.QUEUED, created_at=NOW, address=address, kind="acknowledgement", meta=meta,
    )  # fmt: skip


def context_after(hours: float, channel: Channel) -> SendContext:
    """What the outbound worker hands a sender when the person last wrote ``hours`` ago."""
    return SendContext(window=reply_window(channel, NOW - timedelta(hours=hours), NOW))


# -- Messenger / Instagram ----------------------------------------------------------------
def test_messenger_reply_within_24_hours_is_a_response() -> None:
    http = FakeTransport(ok({"recipient_id": "700", "message_id": "m_out_1"}))
    sender = MetaMessengerSender(http, "https://graph.test/v21.0", "page-token")

    assert sender.send(outbound(MESSENGER, "700"), context_after(2, MESSENGER)) == "m_out_1"
    assert http.requests[0].url == "https://graph.test/v21.0/me/messages"
    assert http.requests[0].headers["Authorization"] == "Bearer page-token"
    assert http.sent == {"recipient": {"id": "700"}, "message": {"text": "Thanks!"}, "messaging_type": "RESPONSE"}


def test_instagram_reply_after_a_day_carries_the_human_agent_tag() -> None:
    http = FakeTransport(ok({"message_id": "m_out_2"}))
    sender = MetaMessengerSender(http, "https://graph.test/v21.0", "t")

    sender.send(outbound(INSTAGRAM, "1234"), context_after(30, INSTAGRAM))

    assert http.sent["messaging_type"] == "MESSAGE_TAG" and http.sent["tag"] == "HUMAN_AGENT"


def test_messenger_after_seven_days_is_refused_without_calling_meta() -> None:
    http = FakeTransport()
    sender = MetaMessengerSender(http, "https://graph.test", "t")

    with pytest.raises(SendError) as err:
        sender.send(outbound(MESSENGER, "700"), context_after(24 * 8, MESSENGER))
    assert err.value.permanent and err.value.code == "window_closed" and http.requests == []


@pytest.mark.parametrize(
    ("status", "error", "permanent"),
    [
        (400, {"code": 10, "error_subcode": 2018278, "message": "outside of allowed window"}, True),
        (400, {"code": 551, "message": "This person isn't available right now."}, True),
        (400, {"code": 613, "message": "Calls to this api have exceeded the rate limit."}, False),
        (500, {"code": 2, "message": "Service temporarily unavailable"}, False),
        (429, None, False),
        (403, None, True),
    ],
)
def test_graph_errors_map_to_permanent_or_transient(status: int, error: Any, permanent: bool) -> None:
    body = {"error": error} if error else {}
    http = FakeTransport(ok(body, status))
    sender = MetaMessengerSender(http, "https://graph.test", "t")

    with pytest.raises(SendError) as err:
        sender.send(outbound(MESSENGER, "700"), context_after(1, MESSENGER))
    assert err.value.permanent is permanent


# -- WhatsApp -----------------------------------------------------------------------------
def test_whatsapp_text_goes_to_the_phone_number_id_without_plus() -> None:
    http = FakeTransport(ok({"messaging_product": "whatsapp", "messages": [{"id": "wamid.OUT"}]}))
    sender = WhatsAppCloudSender(http, "https://graph.test/v21.0", "wa-token", "106540352242922")

    assert sender.send(outbound(WHATSAPP, "+16505551234"), context_after(1, WHATSAPP)) == "wamid.OUT"
    assert http.requests[0].url == "https://graph.test/v21.0/106540352242922/messages"
    assert http.sent["to"] == "16505551234" and http.sent["text"]["body"] == "Thanks!"


def test_whatsapp_outside_24_hours_is_refused() -> None:
    http = FakeTransport()
    sender = WhatsAppCloudSender(http, "https://graph.test", "t", "1")

    with pytest.raises(SendError) as err:
        sender.send(outbound(WHATSAPP, "+16505551234"), context_after(30, WHATSAPP))
    assert err.value.permanent and http.requests == []


@pytest.mark.parametrize(("code", "permanent"), [(131047, True), (131026, True), (130429, False), (131056, False)])
def test_whatsapp_error_codes(code: int, permanent: bool) -> None:
    http = FakeTransport(ok({"error": {"code": code, "message": "x"}}, 400))
    sender = WhatsAppCloudSender(http, "https://graph.test", "t", "1")
    with pytest.raises(SendError) as err:
        sender.send(outbound(WHATSAPP, "+16505551234"), context_after(1, WHATSAPP))
    assert err.value.permanent is permanent and err.value.code == str(code)


# -- X ------------------------------------------------------------------------------------
CREDS = OAuth1Credentials("ck", "cs", "tok", "ts")


def test_x_dm_goes_to_the_conversation_with_the_sender() -> None:
    http = FakeTransport(ok({"data": {"dm_conversation_id": "1-2", "dm_event_id": "185600"}}, 201))
    sender = XDirectMessageSender(http, "https://api.x.test/2", CREDS)

    assert sender.send(outbound(X, "3001969357"), ANY_TIME) == "185600"
    assert http.requests[0].url == "https://api.x.test/2/dm_conversations/with/3001969357/messages"
    assert http.sent == {"text": "Thanks!"}
    assert http.requests[0].headers["Authorization"].startswith('OAuth oauth_consumer_key="ck"')


@pytest.mark.parametrize(("status", "permanent"), [(429, False), (503, False), (403, True), (400, True)])
def test_x_errors(status: int, permanent: bool) -> None:
    http = FakeTransport(ok({"title": "nope"}, status))
    with pytest.raises(SendError) as err:
        XDirectMessageSender(http, "https://api.x.test/2", CREDS).send(outbound(X, "42"), ANY_TIME)
    assert err.value.permanent is permanent


def test_oauth1_signature_follows_rfc_5849() -> None:
    url = "https://api.x.com/2/dm_conversations/with/1/messages"
    header = oauth1_header("POST", url, CREDS, nonce="abc", timestamp="1318622958")

    # The signature base string written out by hand (RFC 5849 section 3.4.1), keys sorted.
    base = (
        "POST&https%3A%2F%2Fapi.x.com%2F2%2Fdm_conversations%2Fwith%2F1%2Fmessages&"
        "oauth_consumer_key%3Dck%26oauth_nonce%3Dabc%26oauth_signature_method%3DHMAC-SHA1%26"
        "oauth_timestamp%3D1318622958%26oauth_token%3Dtok%26oauth_version%3D1.0"
    )
    digest = hmac.new(b"cs&ts", base.encode(), hashlib.sha1).digest()
    expected = quote(base64.b64encode(digest).decode(), safe="")
    assert f'oauth_signature="{expected}"' in header


# -- SES ----------------------------------------------------------------------------------
class FakeSes:
    def __init__(self, error: dict[str, Any] | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.error = error

    def send_raw_email(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        if self.error:
            exc = Exception("boom")
            exc.response = self.error  # type: ignore[attr-defined]
            raise exc
        return {"MessageId": "0100018d-out"}


def test_ses_reply_is_threaded_under_the_persons_email() -> None:
    ses = FakeSes()
    theirs = Message(
        id="01IN", person_id="p1", direction=Direction.INBOUND, channel=EMAIL, text="Loud",
        status=MessageStatus.RECEIVED, created_at=NOW, address="res@example.org", provider_id="<CAF1@mail>",
        meta={"subject": "Noise complaint", "message_id": "<CAF1@mail>", "references": "<a@x> <CAF1@mail>"},
    )  # fmt: skip
    sender = SesEmailSender(ses, "Jane <help@jane.example>", "Your message")
    context = SendContext(window=ANY_TIME.window, reply_to=theirs)

    assert sender.send(outbound(EMAIL, "res@example.org"), context) == "0100018d-out"
    [call] = ses.calls
    assert call["Destinations"] == ["res@example.org"]
    mime = message_from_bytes(call["RawMessage"]["Data"], policy=policy.default)
    assert mime["Subject"] == "Re: Noise complaint"
    assert mime["In-Reply-To"] == "<CAF1@mail>" and mime["References"] == "<a@x> <CAF1@mail>"
    assert mime["Auto-Submitted"] == "auto-replied"
    assert mime.get_content().strip() == "Thanks!"


@pytest.mark.parametrize(
    ("code", "status", "permanent"),
    [("MessageRejected", 400, True), ("Throttling", 400, False), ("InternalFailure", 500, False)],
)
def test_ses_errors(code: str, status: int, permanent: bool) -> None:
    ses = FakeSes({"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}})
    with pytest.raises(SendError) as err:
        SesEmailSender(ses, "help@jane.example").send(outbound(EMAIL, "res@example.org"), ANY_TIME)
    assert err.value.permanent is permanent and err.value.code == code


def test_the_acknowledgement_threads_under_the_email_it_answers() -> None:
    store = in_memory_stores()
    msg = InboundMessage(
        EMAIL, "<CAF1@mail>", "res@example.org", "Loud", NOW,
        meta={"subject": "Noise complaint", "message_id": "<CAF1@mail>", "references": "<a@x> <CAF1@mail>"},
    )  # fmt: skip
    plan = plan_inbound(msg, None, None, AnswerTexts(ack="Thanks", first_contact_notice="", help="h"), 60)
    store.inbound.record_inbound(plan)
    [ack] = plan.queued

    answered = latest_inbound(store.messages, ack)

    assert answered is not None and answered.id == plan.message.id
    assert email_thread(ack, answered) == EmailThread("Noise complaint", "<CAF1@mail>", "<a@x> <CAF1@mail>")


def test_every_channel_but_calls_has_a_live_sender() -> None:
    # A call is answered by text, so voice needs no sender of its own.
    assert {c.channel for c in CHANNELS if c.sender is not None} == {SMS, MESSENGER, INSTAGRAM, WHATSAPP, X, EMAIL}


def sender_of(channel: Channel) -> Any:
    factory = spec(channel).sender
    assert factory is not None
    return factory


def test_live_sender_factories_need_their_credentials() -> None:
    from chalicelib.config import Settings
    from chalicelib.services.errors import NotConfiguredError

    bare = Settings()
    for channel in (MESSENGER, WHATSAPP, X):
        with pytest.raises(NotConfiguredError):
            sender_of(channel)(bare)
    configured = bare.model_copy(
        update={"meta_page_access_token": "t", "whatsapp_access_token": "t", "whatsapp_phone_number_id": "1",
                "x_consumer_key": "k", "x_consumer_secret": "s", "x_access_token": "t", "x_access_token_secret": "s"}
    )  # fmt: skip
    assert isinstance(sender_of(INSTAGRAM)(configured), MetaMessengerSender)
    assert isinstance(sender_of(WHATSAPP)(configured), WhatsAppCloudSender)
    assert isinstance(sender_of(X)(configured), XDirectMessageSender)
