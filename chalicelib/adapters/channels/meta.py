"""Meta: the app's webhook (``GET``/``POST /webhooks/meta``) shared by Messenger, Instagram and
WhatsApp Cloud, its settings and secrets, and the Graph API's Send API.

The signature (``X-Hub-Signature-256`` = ``sha256=`` + hex HMAC-SHA256(app secret, raw body))
is checked on the raw bytes before parsing. A POST batches entries and events; each is handed
to the channel module that declared its ``<object>:<field>`` (``page:messaging`` is Messenger,
``whatsapp_business_account:messages`` WhatsApp...) and parsed on its own, so one malformed
event is skipped (and counted) without losing the others; unknown objects and fields are
ignored, never an error.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from chalicelib.adapters.channels.base import (
    Delivery,
    Events,
    HandshakeRoute,
    HttpReply,
    MessagesRoute,
    ProviderSpec,
    RawRequest,
    Route,
    part,
)
from chalicelib.adapters.channels.http import HttpFn, HttpResponse, post_json, status_error
from chalicelib.adapters.channels.signing import check_signature, hex_signature, json_object, require_secret
from chalicelib.domain.channels import Channel
from chalicelib.domain.inbound import InboundMessage
from chalicelib.domain.model import Message
from chalicelib.services.errors import BadRequestError, SignatureError
from chalicelib.services.ports.outbound import SendContext, SendError

if TYPE_CHECKING:
    from chalicelib.settings import CoreSettings

log = logging.getLogger(__name__)

PATH = "/webhooks/meta"
SIGNATURE_HEADER = "X-Hub-Signature-256"
MAX_TEXT = 20_000


class MetaSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    meta_app_secret: str | None = None
    meta_verify_token: str | None = None
    meta_page_access_token: str | None = None
    meta_graph_url: str = "https://graph.facebook.com/v21.0"


SECRETS = {
    "META_APP_SECRET": "Meta app secret: signs webhooks (X-Hub-Signature-256)",
    "META_VERIFY_TOKEN": "any long random string, also typed into Meta's webhook setup",
    "META_PAGE_ACCESS_TOKEN": "Messenger/Instagram page access token",
}


def handshake(params: Mapping[str, str], verify_token: str | None) -> str:
    """The subscription handshake: echo ``hub.challenge`` when the verify token matches."""
    token = require_secret(verify_token, "Meta (META_VERIFY_TOKEN)")
    given = params.get("hub.verify_token") or ""
    if params.get("hub.mode") != "subscribe" or not hmac.compare_digest(given.encode(), token.encode()):
        raise SignatureError("hub.mode or hub.verify_token does not match")
    challenge = params.get("hub.challenge")
    if not challenge:
        raise BadRequestError("hub.challenge is missing")
    return challenge


def verified_body(request: RawRequest, app_secret: str | None) -> dict[str, Any]:
    secret = require_secret(app_secret, "Meta (META_APP_SECRET)")
    body = request.checked_body()
    check_signature(hex_signature(secret, body), request.header(SIGNATURE_HEADER), SIGNATURE_HEADER)
    return json_object(body)


# -- payload models -----------------------------------------------------------------------
class _M(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)


class Party(_M):
    id: str = Field(min_length=1, max_length=128)


class Attachment(_M):
    type: str = ""
    payload: dict[str, Any] | None = None


class ChatMessage(_M):
    mid: str = Field(min_length=1, max_length=512)
    text: str = Field(default="", max_length=MAX_TEXT)
    is_echo: bool = False
    attachments: list[Attachment] = Field(default_factory=list)


class Postback(_M):
    mid: str | None = Field(default=None, max_length=512)
    title: str = Field(default="", max_length=MAX_TEXT)
    payload: str = ""


class MessagingEvent(_M):
    sender: Party
    recipient: Party | None = None
    message: ChatMessage | None = None
    postback: Postback | None = None


class Entry(_M):
    id: str | int | None = None
    messaging: list[Any] = Field(default_factory=list)
    changes: list[Any] = Field(default_factory=list)


class Envelope(_M):
    object: str = Field(min_length=1)
    entry: list[Any]


def parse(data: dict[str, Any], received_at: datetime, handlers: Mapping[str, Events]) -> Delivery:
    """Every entry's events and changes, each by the channel that declared it."""
    try:
        envelope = Envelope.model_validate(data)
    except ValidationError:
        raise BadRequestError("not a Meta webhook: 'object' and 'entry' are required") from None
    batch = Delivery()
    for raw_entry in envelope.entry:
        entry = valid(Entry, raw_entry, batch)
        if entry is None:
            continue
        for event in entry.messaging:
            _dispatch(handlers.get(f"{envelope.object}:messaging"), event, entry, received_at, batch)
        for change in entry.changes:
            name = change.get("field") if isinstance(change, dict) else None
            _dispatch(handlers.get(f"{envelope.object}:{name}"), change, entry, received_at, batch)
    if batch.invalid:
        log.warning("meta webhook: %d event(s) could not be parsed and were skipped", batch.invalid)
    return batch


def _dispatch(handler: Events | None, item: Any, entry: Entry, received_at: datetime, batch: Delivery) -> None:
    if handler is None:
        batch.ignored += 1  # an object or field no channel takes (feed, statuses of other apps...)
        return
    handler.parse(item, entry, received_at, batch)


def valid(model: type[Any], raw: Any, batch: Delivery) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError:
        batch.invalid += 1
        return None


def parse_messaging(channel: Channel, raw: Any, received_at: datetime, batch: Delivery) -> None:
    """One ``entry[].messaging[]`` event of Messenger or Instagram (their shapes are the same)."""
    if isinstance(raw, dict) and ("delivery" in raw or "read" in raw) and "message" not in raw:
        batch.ignored += 1
        return
    event = valid(MessagingEvent, raw, batch)
    if event is None:
        return
    if event.message is not None:
        if event.message.is_echo:  # our own message, echoed back
            batch.ignored += 1
            return
        media = tuple(
            str(a.payload["url"])
            for a in event.message.attachments
            if a.payload and isinstance(a.payload.get("url"), str)
        )
        text = event.message.text or " ".join(f"[{a.type or 'attachment'}]" for a in event.message.attachments)
        provider_id = event.message.mid
    elif event.postback is not None and event.postback.mid:
        text, media, provider_id = event.postback.title or event.postback.payload, (), event.postback.mid
    else:
        batch.ignored += 1  # reactions, referrals, optins...
        return
    batch.messages.append(
        InboundMessage(
            channel=channel,
            provider_id=provider_id,
            address=event.sender.id,
            text=text,
            received_at=received_at,
            media_urls=media,
            meta={"recipient": event.recipient.id} if event.recipient else {},
        )
    )


def split_name(name: str | None) -> tuple[str | None, str | None]:
    if not name or not name.strip():
        return None, None
    first, _, last = name.strip().partition(" ")
    return first[:80], (last.strip()[:80] or None)


# -- the Send API -------------------------------------------------------------------------
# Graph API error codes that a retry can cure (rate limits, temporary outages).
META_TRANSIENT_CODES = frozenset({1, 2, 4, 17, 32, 341, 613, 80006, 80007, 130429, 131000, 131016, 131048, 131056})


def graph_error(response: HttpResponse) -> SendError:
    """Map a Graph API refusal: throttling and outages are retried, everything else is final
    (window closed 10/2018278 and 131047, user unavailable 551, invalid recipient 100, token 190)."""
    body = response.json()
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return status_error(response, f"Graph API answered {response.status}")
    code = error.get("code")
    subcode = error.get("error_subcode")
    reason = str(error.get("message") or error.get("type") or "refused")[:200]
    label = f"{code}/{subcode}" if subcode else str(code)
    transient = response.status >= 500 or response.status == 429 or code in META_TRANSIENT_CODES
    return SendError(reason, code=label, permanent=not transient)


class MetaMessengerSender:
    """Messenger and Instagram through the Send API (``POST /me/messages``, page access token).

    Within 24 h of the person's last message a reply is a ``RESPONSE``; from 24 h to 7 days it
    goes out with the ``HUMAN_AGENT`` tag; later it is refused without calling Meta.
    """

    def __init__(self, http: HttpFn, graph_url: str, access_token: str) -> None:
        self._http = http
        self._url = graph_url.rstrip("/") + "/me/messages"
        self._token = access_token

    def send(self, message: Message, context: SendContext) -> str:
        if not message.address:
            raise SendError("message has no recipient", code="no_address", permanent=True)
        state = context.window
        if not state.open:
            raise SendError("the 7-day reply window is closed", code="window_closed", permanent=True)
        payload: dict[str, Any] = {"recipient": {"id": message.address}, "message": {"text": message.text}}
        if state.tagged:
            payload |= {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
        else:
            payload["messaging_type"] = "RESPONSE"
        response = post_json(self._http, self._url, payload, {"Authorization": f"Bearer {self._token}"})
        if response.status != 200:
            raise graph_error(response)
        body = response.json()
        if not isinstance(body, dict) or not body.get("message_id"):
            raise SendError("Send API answered without a message_id", code="bad_response", permanent=False)
        return str(body["message_id"])


def messenger_sender(settings: CoreSettings) -> MetaMessengerSender:
    """Messenger and Instagram both send through the page's Send API."""
    from chalicelib.adapters.channels.http import urllib_transport

    meta = part(settings, MetaSettings)
    token = require_secret(meta.meta_page_access_token, "Meta (META_PAGE_ACCESS_TOKEN)")
    return MetaMessengerSender(urllib_transport, meta.meta_graph_url, token)


# -- the route ----------------------------------------------------------------------------
def _routes(handlers: Mapping[str, Events]) -> Sequence[Route]:
    def read(request: RawRequest, settings: CoreSettings, now: datetime) -> Delivery:
        data = verified_body(request, part(settings, MetaSettings).meta_app_secret)
        return parse(data, now, handlers)

    def verify(request: RawRequest, settings: CoreSettings) -> HttpReply:
        return HttpReply(handshake(request.params, part(settings, MetaSettings).meta_verify_token))

    return (
        HandshakeRoute(PATH, verify),
        MessagesRoute(PATH, read, lambda _answers: HttpReply("EVENT_RECEIVED"), inbound_metric="meta"),
    )


PROVIDER = ProviderSpec(name="meta", settings=MetaSettings, secrets=SECRETS, routes=_routes)
