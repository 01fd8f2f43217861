"""X direct messages: ``direct_message_events`` on the X webhook in, X API v2 DMs out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalicelib.adapters.channels.base import ChannelSpec, Delivery, Events, part
from chalicelib.adapters.channels.http import HttpFn, post_json, status_error
from chalicelib.adapters.channels.x import Activity, OAuth1Credentials, XSettings, credentials, oauth1_header
from chalicelib.domain.channels import Channel, ChannelRules, define
from chalicelib.domain.inbound import InboundMessage
from chalicelib.domain.model import Message
from chalicelib.domain.texts import TextKind
from chalicelib.services.ports.outbound import SendContext, SendError

if TYPE_CHECKING:
    from chalicelib.settings import CoreSettings

X = define(ChannelRules(Channel("x"), address_kind="x", van_contact_type="Social Media"))


class _M(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)


class Target(_M):
    recipient_id: str = Field(min_length=1, max_length=32)


class MessageData(_M):
    text: str = Field(default="", max_length=20_000)
    attachment: dict[str, Any] | None = None


class MessageCreate(_M):
    target: Target | None = None
    sender_id: str = Field(min_length=1, max_length=32)
    message_data: MessageData


class DmEvent(_M):
    type: str
    id: str = Field(min_length=1, max_length=64)
    message_create: MessageCreate | None = None


def parse_dm(raw: Any, activity: Activity, received_at: datetime, batch: Delivery) -> None:
    """One ``direct_message_events`` item; the account's own DMs come back too and are skipped."""
    try:
        event = DmEvent.model_validate(raw)
    except ValidationError:
        batch.invalid += 1
        return
    create = event.message_create
    if event.type != "message_create" or create is None:
        batch.ignored += 1
        return
    if create.sender_id in activity.own_ids:  # our own DM, echoed back
        batch.ignored += 1
        return
    user = activity.users.get(create.sender_id)
    first, last = _names(user)
    screen_name = _screen_name(user)
    batch.messages.append(
        InboundMessage(
            channel=X,
            provider_id=event.id,
            address=create.sender_id,
            text=create.message_data.text,
            received_at=received_at,
            media_urls=_media(create.message_data.attachment),
            meta={"screen_name": screen_name} if screen_name else {},
            first_name=first,
            last_name=last,
        )
    )


def _names(user: Any) -> tuple[str | None, str | None]:
    name = user.get("name") if isinstance(user, dict) else None
    if not isinstance(name, str) or not name.strip():
        return None, None
    first, _, last = name.strip().partition(" ")
    return first[:80], (last.strip()[:80] or None)


def _screen_name(user: Any) -> str | None:
    value = user.get("screen_name") if isinstance(user, dict) else None
    return value[:64] if isinstance(value, str) and value else None


def _media(attachment: dict[str, Any] | None) -> tuple[str, ...]:
    media = attachment.get("media") if attachment else None
    url = media.get("media_url_https") if isinstance(media, dict) else None
    return (url,) if isinstance(url, str) else ()


class XDirectMessageSender:
    """DMs through X API v2 (``POST /2/dm_conversations/with/{participant_id}/messages``)."""

    def __init__(
        self, http: HttpFn, api_url: str, creds: OAuth1Credentials, auth: Callable[..., str] = oauth1_header
    ) -> None:
        self._http = http
        self._api = api_url.rstrip("/")
        self._creds = creds
        self._auth = auth

    def send(self, message: Message, context: SendContext) -> str:
        if not message.address or not message.address.isdigit():
            raise SendError("message has no X user id to write to", code="no_address", permanent=True)
        url = f"{self._api}/dm_conversations/with/{message.address}/messages"
        response = post_json(
            self._http, url, {"text": message.text}, {"Authorization": self._auth("POST", url, self._creds)}
        )
        if response.status not in (200, 201):
            body = response.json()
            detail = body.get("detail") or body.get("title") if isinstance(body, dict) else None
            raise status_error(response, str(detail or f"X answered {response.status}")[:200])
        body = response.json()
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or not data.get("dm_event_id"):
            raise SendError("X answered without a dm_event_id", code="bad_response", permanent=False)
        return str(data["dm_event_id"])


def _sender(settings: CoreSettings) -> XDirectMessageSender:
    from chalicelib.adapters.channels.http import urllib_transport

    return XDirectMessageSender(urllib_transport, part(settings, XSettings).x_api_url, credentials(settings))


CHANNEL = ChannelSpec(
    rules=X.rules,
    label="X",
    colour="#111827",
    icon='<path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" d="M5 4l14 16M19 4L5 20"/>',
    texts={TextKind.FIRST_CONTACT_NOTICE: ""},
    sender=_sender,
    events=(Events("x", "direct_message_events", parse_dm),),
)
