"""Sign requests the way providers do, with the sample secrets (never skip verification)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from twilio.request_validator import RequestValidator

EVENTS = Path(__file__).resolve().parent.parent / "events"
BASE_URL = "https://abc123defg.execute-api.us-east-1.amazonaws.com/api"
TWILIO_TOKEN = "test_auth_token_0123456789abcdef"
FORM = "application/x-www-form-urlencoded"


def event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())


def path_of(url: str) -> str:
    return url[len(BASE_URL) :]


def twilio_signature(path: str, body: str, token: str = TWILIO_TOKEN) -> str:
    params: dict[str, str] = dict(parse_qsl(body, keep_blank_values=True))
    return RequestValidator(token).compute_signature(BASE_URL + path, params)


def signed_twilio(path: str, fields: dict[str, str], token: str = TWILIO_TOKEN) -> tuple[dict[str, str], str]:
    body = urlencode(fields)
    headers = {"Content-Type": FORM, "X-Twilio-Signature": twilio_signature(path, body, token)}
    return headers, body


def sms_fields(body: str, sid: str, sender: str = "+16175550123", **extra: str) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": "AC00000000000000000000000000000001",
        "From": sender,
        "To": "+16175550100",
        "Body": body,
        "NumMedia": "0",
        **extra,
    }
