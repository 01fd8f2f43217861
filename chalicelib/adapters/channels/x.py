"""X (Twitter) Account Activity: the webhook (``GET``/``POST /webhooks/x``) shared by the X
channels, its settings and secrets, and OAuth 1.0a for the X API.

CRC: ``response_token`` = ``sha256=`` + base64 HMAC-SHA256(consumer secret, crc_token).
Events carry the same kind of signature over the raw body in ``x-twitter-webhooks-signature``;
it is checked before parsing. Each event list (``direct_message_events``...) goes to the
channel module that declared it; lists nobody takes (likes, follows, typing) are ignored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

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
from chalicelib.adapters.channels.signing import base64_signature, check_signature, json_object, require_secret
from chalicelib.services.errors import BadRequestError

if TYPE_CHECKING:
    from chalicelib.settings import CoreSettings

log = logging.getLogger(__name__)

PATH = "/webhooks/x"
SIGNATURE_HEADER = "x-twitter-webhooks-signature"
MAX_CRC_TOKEN = 512


class XSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    x_consumer_key: str | None = None
    x_consumer_secret: str | None = None
    x_access_token: str | None = None
    x_access_token_secret: str | None = None
    x_user_id: str | None = None
    x_api_url: str = "https://api.x.com/2"


SECRETS = {
    "X_CONSUMER_KEY": "X app API key",
    "X_CONSUMER_SECRET": "X app API key secret: signs webhooks and CRC answers",
    "X_ACCESS_TOKEN": "X access token of the campaign account",
    "X_ACCESS_TOKEN_SECRET": "X access token secret",
    "X_USER_ID": "numeric id of the campaign's X account",
}


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


@dataclass(frozen=True)
class Activity:
    """What every event of one delivery shares: whose account it is for, and the users it names."""

    own_ids: frozenset[str]
    users: Mapping[str, Any] = field(default_factory=dict)


def parse(
    data: dict[str, Any], received_at: datetime, own_user_id: str | None, handlers: Mapping[str, Events]
) -> Delivery:
    for_user = data.get("for_user_id")
    if for_user is not None and not isinstance(for_user, str | int):
        raise BadRequestError("not an Account Activity event")
    given = data.get("users")
    users: dict[str, Any] = given if isinstance(given, dict) else {}
    activity = Activity(frozenset(str(uid) for uid in (for_user, own_user_id) if uid), users)
    batch = Delivery()
    taken = False
    for name, handler in handlers.items():
        items = data.get(name)
        if not isinstance(items, list):
            continue
        taken = True
        for item in items:
            handler.parse(item, activity, received_at, batch)
    if not taken:
        batch.ignored += 1  # likes, follows, typing indicators, read receipts
    if batch.invalid:
        log.warning("x webhook: %d event(s) could not be parsed and were skipped", batch.invalid)
    return batch


# -- OAuth 1.0a for the X API -------------------------------------------------------------
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


def credentials(settings: CoreSettings) -> OAuth1Credentials:
    x = part(settings, XSettings)
    return OAuth1Credentials(
        consumer_key=require_secret(x.x_consumer_key, "X (X_CONSUMER_KEY)"),
        consumer_secret=require_secret(x.x_consumer_secret, "X (X_CONSUMER_SECRET)"),
        token=require_secret(x.x_access_token, "X (X_ACCESS_TOKEN)"),
        token_secret=require_secret(x.x_access_token_secret, "X (X_ACCESS_TOKEN_SECRET)"),
    )


def _routes(handlers: Mapping[str, Events]) -> Sequence[Route]:
    def read(request: RawRequest, settings: CoreSettings, now: datetime) -> Delivery:
        x = part(settings, XSettings)
        return parse(verified_body(request, x.x_consumer_secret), now, x.x_user_id, handlers)

    def crc(request: RawRequest, settings: CoreSettings) -> HttpReply:
        token = crc_response(request.params.get("crc_token"), part(settings, XSettings).x_consumer_secret)
        return HttpReply(json.dumps(token), content_type="application/json")

    return (HandshakeRoute(PATH, crc), MessagesRoute(PATH, read, inbound_metric="x"))


PROVIDER = ProviderSpec(name="x", settings=XSettings, secrets=SECRETS, routes=_routes)
