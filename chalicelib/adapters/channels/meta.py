"""Meta webhooks and Send APIs: Messenger, Instagram and WhatsApp Cloud.

One endpoint receives all three (``object`` says which). The signature
(``X-Hub-Signature-256`` = ``sha256=`` + hex HMAC-SHA256(app secret, raw body)) is checked
on the raw bytes before parsing. A POST batches entries and events: each event is parsed on
its own, so one malformed event is skipped (and counted) without losing the others.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalicelib.adapters.channels.base import RawRequest
from chalicelib.adapters.channels.http import HttpFn, HttpResponse, post_json, status_error
from chalicelib.adapters.channels.signing import check_signature, hex_signature, json_object, require_secret
from chalicelib.domain.inbound import InboundMessage
from chalicelib.domain.keywords import classify
from chalicelib.domain.model import Channel, Message, MessageStatus
from chalicelib.domain.phones import InvalidPhoneNumber, to_e164
from chalicelib.services.delivery import StatusReport
from chalicelib.services.errors import BadRequestError, SignatureError
from chalicelib.services.ports.outbound import SendContext, SendError

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"
MAX_TEXT = 20_000


# -- verification -------------------------------------------------------------------------
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


class WaContact(_M):
    wa_id: str = ""
    profile: dict[str, Any] = Field(default_factory=dict)


class WaText(_M):
    body: str = Field(default="", max_length=MAX_TEXT)


class WaMessage(_M):
    from_: str = Field(alias="from", min_length=1, max_length=32)
    id: str = Field(min_length=1, max_length=512)
    type: str = "text"
    text: WaText | None = None
    button: dict[str, Any] | None = None
    interactive: dict[str, Any] | None = None
    image: dict[str, Any] | None = None
    video: dict[str, Any] | None = None
    audio: dict[str, Any] | None = None
    document: dict[str, Any] | None = None
    sticker: dict[str, Any] | None = None
    location: dict[str, Any] | None = None


class WaError(_M):
    code: int | str | None = None
    title: str = ""


class WaStatus(_M):
    id: str = Field(min_length=1, max_length=512)
    status: str
    recipient_id: str = ""
    errors: list[WaError] = Field(default_factory=list)


class WaValue(_M):
    contacts: list[Any] = Field(default_factory=list)
    messages: list[Any] = Field(default_factory=list)
    statuses: list[Any] = Field(default_factory=list)


class Entry(_M):
    id: str | int | None = None
    messaging: list[Any] = Field(default_factory=list)
    changes: list[Any] = Field(default_factory=list)


class Envelope(_M):
    object: str = Field(min_length=1)
    entry: list[Any]


# -- parsing ------------------------------------------------------------------------------
OBJECTS: dict[str, Channel] = {
    "page": Channel.MESSENGER,
    "instagram": Channel.INSTAGRAM,
    "whatsapp_business_account": Channel.WHATSAPP,
}

WA_STATUS = {
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.READ,
    "failed": MessageStatus.FAILED,
}

# WhatsApp message types that need no follow-up (a reaction is not a message to answer).
WA_IGNORED_TYPES = frozenset({"reaction", "system", "ephemeral", "request_welcome"})


@dataclass
class MetaBatch:
    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusReport] = field(default_factory=list)
    ignored: int = 0  # echoes, deliveries, reads, unknown objects: deliberately skipped
    invalid: int = 0  # events that could not be parsed (logged, never stored)


def parse(data: dict[str, Any], received_at: datetime) -> MetaBatch:
    try:
        envelope = Envelope.model_validate(data)
    except ValidationError:
        raise BadRequestError("not a Meta webhook: 'object' and 'entry' are required") from None
    batch = MetaBatch()
    channel = OBJECTS.get(envelope.object)
    if channel is None:
        batch.ignored += 1
        return batch
    for raw_entry in envelope.entry:
        entry = _valid(Entry, raw_entry, batch)
        if entry is None:
            continue
        if channel is Channel.WHATSAPP:
            for change in entry.changes:
                _parse_change(change, received_at, batch)
        else:
            for event in entry.messaging:
                _parse_messaging(channel, event, received_at, batch)
    if batch.invalid:
        log.warning("meta webhook: %d event(s) could not be parsed and were skipped", batch.invalid)
    return batch


def _valid(model: type[Any], raw: Any, batch: MetaBatch) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError:
        batch.invalid += 1
        return None


def _parse_messaging(channel: Channel, raw: Any, received_at: datetime, batch: MetaBatch) -> None:
    if isinstance(raw, dict) and ("delivery" in raw or "read" in raw) and "message" not in raw:
        batch.ignored += 1
        return
    event = _valid(MessagingEvent, raw, batch)
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


def _parse_change(raw: Any, received_at: datetime, batch: MetaBatch) -> None:
    if not isinstance(raw, dict) or not isinstance(raw.get("value"), dict):
        batch.invalid += 1
        return
    value = _valid(WaValue, raw["value"], batch)
    if value is None:
        return
    names: dict[str, str] = {}
    for raw_contact in value.contacts:
        contact = _valid(WaContact, raw_contact, batch)
        if contact is not None and isinstance(contact.profile.get("name"), str):
            names[contact.wa_id] = contact.profile["name"]
    for raw_message in value.messages:
        message = _valid(WaMessage, raw_message, batch)
        if message is None:
            continue
        if message.type in WA_IGNORED_TYPES:
            batch.ignored += 1
            continue
        try:
            address = to_e164("+" + message.from_.lstrip("+"))
        except InvalidPhoneNumber:
            batch.invalid += 1
            continue
        text = _wa_text(message)
        first, last = _split_name(names.get(message.from_))
        batch.messages.append(
            InboundMessage(
                channel=Channel.WHATSAPP,
                provider_id=message.id,
                address=address,
                text=text,
                received_at=received_at,
                meta={"type": message.type},
                keyword=classify(text),
                first_name=first,
                last_name=last,
            )
        )
    for raw_status in value.statuses:
        status = _valid(WaStatus, raw_status, batch)
        if status is None:
            continue
        mapped = WA_STATUS.get(status.status)
        if mapped is None:
            batch.ignored += 1
            continue
        error = status.errors[0] if status.errors else None
        batch.statuses.append(
            StatusReport(
                channel=Channel.WHATSAPP,
                provider_id=status.id,
                status=mapped,
                error_code=str(error.code) if error and error.code is not None else None,
                error_reason=error.title or None if error else None,
            )
        )


def _wa_text(message: WaMessage) -> str:
    if message.text is not None:
        return message.text.body
    if message.button and isinstance(message.button.get("text"), str):
        return str(message.button["text"])
    if message.interactive:
        for key in ("button_reply", "list_reply"):
            reply = message.interactive.get(key)
            if isinstance(reply, dict) and isinstance(reply.get("title"), str):
                return str(reply["title"])
    media = getattr(message, message.type, None) if message.type.isidentifier() else None
    if isinstance(media, dict):
        caption = media.get("caption")
        return f"[{message.type}] {caption}" if isinstance(caption, str) and caption else f"[{message.type}]"
    return f"[{message.type} message]"


def _split_name(name: str | None) -> tuple[str | None, str | None]:
    if not name or not name.strip():
        return None, None
    first, _, last = name.strip().partition(" ")
    return first[:80], (last.strip()[:80] or None)


# -- senders ------------------------------------------------------------------------------
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


class WhatsAppCloudSender:
    """WhatsApp Cloud API text messages (``POST /{phone-number-id}/messages``).

    Free-form text is only allowed within 24 h of the person's last message; outside it a
    template would be needed (not configured), so the message fails without calling Meta.
    """

    def __init__(self, http: HttpFn, graph_url: str, access_token: str, phone_number_id: str) -> None:
        self._http = http
        self._url = f"{graph_url.rstrip('/')}/{quote(phone_number_id, safe='')}/messages"
        self._token = access_token

    def send(self, message: Message, context: SendContext) -> str:
        if not message.address:
            raise SendError("message has no recipient", code="no_address", permanent=True)
        state = context.window
        if not state.open or state.tagged:
            raise SendError("outside the 24-hour WhatsApp window (needs a template)", code="131047", permanent=True)
        payload = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": message.address.lstrip("+"),
            "type": "text",
            "text": {"body": message.text, "preview_url": False},
        }
        response = post_json(self._http, self._url, payload, {"Authorization": f"Bearer {self._token}"})
        if response.status != 200:
            raise graph_error(response)
        body = response.json()
        messages = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(messages, list) or not messages or not isinstance(messages[0], dict):
            raise SendError("Cloud API answered without a message id", code="bad_response", permanent=False)
        return str(messages[0].get("id"))
