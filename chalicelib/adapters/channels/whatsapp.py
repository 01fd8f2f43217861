"""WhatsApp through the WhatsApp Cloud API (Meta): messages and statuses arrive on Meta's
webhook (``object: whatsapp_business_account``, field ``messages``); replies go out through
``POST /{phone-number-id}/messages``.

The same numbers also reach Hearback through Twilio (``To: whatsapp:+1...`` on the SMS
webhook): those messages are this channel too, and the person is the same phone identity as
their SMS and calls.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from chalicelib.adapters.channels.base import ChannelSpec, Delivery, Events, part
from chalicelib.adapters.channels.http import HttpFn, post_json
from chalicelib.adapters.channels.meta import _M, MAX_TEXT, MetaSettings, graph_error, split_name, valid
from chalicelib.adapters.channels.signing import require_secret
from chalicelib.domain.channels import DAY, Channel, ChannelRules, define
from chalicelib.domain.inbound import InboundMessage
from chalicelib.domain.keywords import classify
from chalicelib.domain.model import PHONE, Message, MessageStatus
from chalicelib.domain.phones import InvalidPhoneNumber, to_e164
from chalicelib.services.delivery import StatusReport
from chalicelib.services.ports.outbound import SendContext, SendError

if TYPE_CHECKING:
    from chalicelib.settings import CoreSettings

WHATSAPP = define(ChannelRules(Channel("whatsapp"), address_kind=PHONE, reply_window=DAY, van_contact_type="SMS Text"))


class WhatsAppSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    whatsapp_access_token: str | None = None
    whatsapp_phone_number_id: str | None = None


SECRETS = {
    "WHATSAPP_ACCESS_TOKEN": "WhatsApp Cloud API access token",
    "WHATSAPP_PHONE_NUMBER_ID": "WhatsApp Cloud phone number id",
}


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


WA_STATUS = {
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.READ,
    "failed": MessageStatus.FAILED,
}

# WhatsApp message types that need no follow-up (a reaction is not a message to answer).
WA_IGNORED_TYPES = frozenset({"reaction", "system", "ephemeral", "request_welcome"})


def parse_change(raw: Any, entry: Any, received_at: datetime, batch: Delivery) -> None:
    """One ``entry[].changes[]`` item with ``field: messages``: messages and delivery statuses."""
    if not isinstance(raw, dict) or not isinstance(raw.get("value"), dict):
        batch.invalid += 1
        return
    value = valid(WaValue, raw["value"], batch)
    if value is None:
        return
    names: dict[str, str] = {}
    for raw_contact in value.contacts:
        contact = valid(WaContact, raw_contact, batch)
        if contact is not None and isinstance(contact.profile.get("name"), str):
            names[contact.wa_id] = contact.profile["name"]
    for raw_message in value.messages:
        message = valid(WaMessage, raw_message, batch)
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
        first, last = split_name(names.get(message.from_))
        batch.messages.append(
            InboundMessage(
                channel=WHATSAPP,
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
        status = valid(WaStatus, raw_status, batch)
        if status is None:
            continue
        mapped = WA_STATUS.get(status.status)
        if mapped is None:
            batch.ignored += 1
            continue
        error = status.errors[0] if status.errors else None
        batch.statuses.append(
            StatusReport(
                channel=WHATSAPP,
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


def _sender(settings: CoreSettings) -> WhatsAppCloudSender:
    from chalicelib.adapters.channels.http import urllib_transport

    wa = part(settings, WhatsAppSettings)
    return WhatsAppCloudSender(
        urllib_transport,
        part(settings, MetaSettings).meta_graph_url,
        require_secret(wa.whatsapp_access_token, "WhatsApp (WHATSAPP_ACCESS_TOKEN)"),
        require_secret(wa.whatsapp_phone_number_id, "WhatsApp (WHATSAPP_PHONE_NUMBER_ID)"),
    )


CHANNEL = ChannelSpec(
    rules=WHATSAPP.rules,
    label="WhatsApp",
    colour="#15803d",
    icon='<path fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round" '
    'd="M12 3a9 9 0 0 0-7.8 13.5L3 21l4.6-1.2A9 9 0 1 0 12 3z"/><path fill="currentColor" '
    'd="M9 8h1.5l1 2.3-.9.9a5 5 0 0 0 2.2 2.2l.9-.9 2.3 1V15a1.5 1.5 0 0 1-1.5 1.2'
    'A6.5 6.5 0 0 1 8 9.5 1.5 1.5 0 0 1 9 8z"/>',
    sender=_sender,
    settings=WhatsAppSettings,
    secrets=SECRETS,
    events=(Events("meta", "whatsapp_business_account:messages", parse_change),),
)
