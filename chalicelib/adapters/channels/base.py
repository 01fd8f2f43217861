"""What every channel adapter receives: the request exactly as the provider sent it.

Views build a :class:`RawRequest` from Chalice's request so channel adapters never import
Chalice, and signatures are always checked over the raw bytes before anything is parsed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.services.errors import BadRequestError, PayloadTooLargeError

# No provider sends more to a webhook; anything larger is refused before it is parsed.
MAX_WEBHOOK_BYTES = 256 * 1024


@dataclass(frozen=True)
class RawRequest:
    method: str
    path: str  # the route's path without the API stage, e.g. /webhooks/twilio/sms
    query: str  # the query string as received ('' for none)
    headers: Mapping[str, str]  # keys lower-cased
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def checked_body(self, limit: int = MAX_WEBHOOK_BYTES) -> bytes:
        if len(self.body) > limit:
            raise PayloadTooLargeError(f"request body over {limit} bytes")
        return self.body

    def text(self, limit: int = MAX_WEBHOOK_BYTES) -> str:
        try:
            return self.checked_body(limit).decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequestError("request body is not valid UTF-8") from None
