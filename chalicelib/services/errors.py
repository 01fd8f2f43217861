"""The errors use cases raise; ``chalicelib/api/errors.py`` maps them to HTTP in one place."""

from __future__ import annotations


class HearbackError(Exception):
    """Base of every error a use case raises on purpose."""


class BadRequestError(HearbackError):
    """The input cannot be parsed (400)."""


class UnauthorizedError(HearbackError):
    """No valid credentials (401)."""


class SignatureError(HearbackError):
    """A webhook whose provider signature is missing or wrong (403)."""


class ForbiddenError(HearbackError):
    """Authenticated, but the role does not allow it (403)."""


class NotFoundError(HearbackError):
    """No such thing (404)."""


class ConflictError(HearbackError):
    """Someone else holds it, or the same delivery is being processed right now (409)."""


class PayloadTooLargeError(HearbackError):
    """The request body is larger than any provider sends (413)."""


class UnprocessableError(HearbackError):
    """Well-formed but not allowed: invalid values, opted-out recipients, closed windows (422)."""


class NotConfiguredError(HearbackError):
    """A channel whose credentials are not configured in this deployment (503)."""
