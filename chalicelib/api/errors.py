"""The one place where use-case errors become HTTP answers (Chalice's JSON error body)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from chalice import Response
from chalice.app import (
    BadRequestError,
    ChaliceViewError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    UnauthorizedError,
    UnprocessableEntityError,
)

from chalicelib.adapters.cursor import InvalidCursorError
from chalicelib.services import errors


class PayloadTooLarge(ChaliceViewError):
    STATUS_CODE = 413


class ServiceUnavailable(ChaliceViewError):
    STATUS_CODE = 503


_HTTP: dict[type[Exception], type[ChaliceViewError]] = {
    errors.BadRequestError: BadRequestError,
    InvalidCursorError: BadRequestError,
    errors.UnauthorizedError: UnauthorizedError,
    errors.SignatureError: ForbiddenError,
    errors.ForbiddenError: ForbiddenError,
    errors.NotFoundError: NotFoundError,
    errors.ConflictError: ConflictError,
    errors.PayloadTooLargeError: PayloadTooLarge,
    errors.UnprocessableError: UnprocessableEntityError,
    errors.NotConfiguredError: ServiceUnavailable,
}

F = TypeVar("F", bound=Callable[..., Any])


def http_errors(view: F) -> F:
    """Translate the services' errors; anything else stays a 500 (and is logged)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except (errors.HearbackError, InvalidCursorError) as exc:
            for kind in type(exc).__mro__:
                if kind in _HTTP:
                    raise _HTTP[kind](str(exc)) from None
            raise

    return cast(F, wrapper)


def unauthorized_response(message: str) -> Response:
    return Response(
        body={"Code": "UnauthorizedError", "Message": message},
        status_code=401,
        headers={"WWW-Authenticate": "Bearer"},
    )
