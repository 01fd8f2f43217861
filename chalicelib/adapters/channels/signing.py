"""HMAC signatures and JSON bodies, shared by the Meta and X adapters.

Signatures are always computed over the raw bytes exactly as received (Meta signs its
``\\uXXXX``-escaped form), compared in constant time, and checked before anything is parsed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from chalicelib.services.errors import BadRequestError, NotConfiguredError, SignatureError


def hmac_sha256(secret: str, data: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), data, hashlib.sha256).digest()


def hex_signature(secret: str, data: bytes) -> str:
    return "sha256=" + hmac_sha256(secret, data).hex()


def base64_signature(secret: str, data: bytes) -> str:
    return "sha256=" + base64.b64encode(hmac_sha256(secret, data)).decode("ascii")


def require_secret(secret: str | None, what: str) -> str:
    if not secret:
        raise NotConfiguredError(f"{what} is not configured")
    return secret


def check_signature(expected: str, received: str | None, header: str) -> None:
    if not received:
        raise SignatureError(f"missing {header}")
    if not hmac.compare_digest(expected.encode("ascii"), received.strip().encode("utf-8", "replace")):
        raise SignatureError(f"{header} does not match")


def json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or a clear 400."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        raise BadRequestError("body is not valid JSON") from None
    if not isinstance(value, dict):
        raise BadRequestError("body is not a JSON object")
    return value
