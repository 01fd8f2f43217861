"""Opaque pagination cursors: the last sort key seen, base64url-encoded."""

from __future__ import annotations

import base64
import binascii


class InvalidCursorError(ValueError):
    pass


def encode_cursor(sort_key: str) -> str:
    return base64.urlsafe_b64encode(sort_key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise InvalidCursorError("invalid cursor") from None
    if not decoded:
        raise InvalidCursorError("invalid cursor")
    return decoded
