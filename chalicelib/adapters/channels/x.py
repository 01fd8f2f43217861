"""X (Twitter) Account Activity: the CRC check, direct message events, and DMs out.

CRC: ``response_token`` = ``sha256=`` + base64 HMAC-SHA256(consumer secret, crc_token).
Events carry the same kind of signature over the raw body in ``x-twitter-webhooks-signature``;
it is checked before parsing. The account's own DMs come back as events and are skipped.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalicelib.adapters.channels.base import RawRequest
from chalicelib.adapters.channels.http import HttpFn, post_json, status_error
from chalicelib.adapters.channels.signing import base64_signature, check_signature, json_object, require_secret
from chalicelib.domain.inbound import InboundMessage
from chalicelib.domain.model import Channel, Message
from chalicelib.services.errors import BadRequestError
from chalicelib.services.ports.outbound import SendContext, SendError

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "x-twitter-webhooks-signature"
MAX_CRC_TOKEN = 512


def crc_response(crc_token: str | None, consumer_secret: str | None) -> dict[str, str]:
    secret = require_secret(consumer_secret, "X (X_CONSUMER_SECRET)")
    if not crc_token or len(crc_token) > MAX_CRC_TOKEN:
        raise BadRequestError("crc_token is missing")
    return {"response_token": base64_signature(secret, crc_token.encode("utf-8"))}


def verified_body(request: RawRequest, consumer_secret: str | None) -> dict[str, Any]:
    secret = require_secret(consumer_secret, "X (X_CONSUMER_SECRET)")
    body = request.checked_body()
    check_signature(base64_signature(secret, body), request.header(SIGNATURE_HEADER), SIGNATURE_HEADER)
    return json_object(body)


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


class Activity(_M):
    for_user_id: str | None = Field(default=None, max_length=32)
    direct_message_events: list[Any] = Field(default_factory=list)
    users: dict[str, Any] = Field(default_factory=dict)


@dataclass
class XBatch:
    messages: list[InboundMessage] = field(default_factory=list)
    ignored: int = 0
    invalid: int = 0


def parse(data: dict[str, Any], received_at: datetime, own_user_id: str | None) -> XBatch:
    try:
        activity = Activity.model_validate(data)
    except ValidationError:
        raise BadRequestError("not an Account Activity event") from None
    batch = XBatch()
    ours = {uid for uid in (activity.for_user_id, own_user_id) if uid}
    if not activity.direct_message_events:
        batch.ignored += 1  # tweets, likes, follows, typing indicators, read receipts
    for raw in activity.direct_message_events:
        try:
            event = DmEvent.model_validate(raw)
        except ValidationError:
            batch.invalid += 1
            continue
        create = event.message_create
        if event.type != "message_create" or create is None:
            batch.ignored += 1
            continue
        if create.sender_id in ours:  # our own DM, echoed back
            batch.ignored += 1
            continue
        first, last = _names(activity.users.get(create.sender_id))
        media = _media(create.message_data.attachment)
        screen_name = _screen_name(activity.users.get(create.sender_id))
        batch.messages.append(
            InboundMessage(
                channel=Channel.X,
                provider_id=event.id,
                address=create.sender_id,
                text=create.message_data.text,
                received_at=received_at,
                media_urls=media,
                meta={"screen_name": screen_name} if screen_name else {},
                first_name=first,
                last_name=last,
            )
        )
    if batch.invalid:
        log.warning("x webhook: %d event(s) could not be parsed and were skipped", batch.invalid)
    return batch


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


# -- sender -------------------------------------------------------------------------------
@dataclass(frozen=True)
class OAuth1Credentials:
    consumer_key: str
    consumer_secret: str
    token: str
    token_secret: str


def _pct(value: str) -> str:
    return quote(value, safe="~-._")


def oauth1_header(
    method: str,
    url: str,
    creds: OAuth1Credentials,
    nonce: str | None = None,
    timestamp: str | None = None,
) -> str:
    """OAuth 1.0a (HMAC-SHA1) for a request whose body is JSON (so only oauth_* parameters are signed)."""
    params = {
        "oauth_consumer_key": creds.consumer_key,
        "oauth_nonce": nonce or secrets.token_hex(16),
        "oauth_signature_method": "HMAC-SHA1",
        "oauth_timestamp": timestamp or str(int(time.time())),
        "oauth_token": creds.token,
        "oauth_version": "1.0",
    }
    normalized = "&".join(f"{_pct(k)}={_pct(v)}" for k, v in sorted(params.items()))
    base = "&".join([method.upper(), _pct(url), _pct(normalized)])
    key = f"{_pct(creds.consumer_secret)}&{_pct(creds.token_secret)}"
    signature = base64.b64encode(hmac.new(key.encode(), base.encode(), hashlib.sha1).digest()).decode()
    params["oauth_signature"] = signature
    return "OAuth " + ", ".join(f'{_pct(k)}="{_pct(v)}"' for k, v in sorted(params.items()))


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
