"""Small helpers every blueprint uses: the raw request, the signed-in user, JSON bodies."""

from __future__ import annotations

from typing import TypeVar
from urllib.parse import urlencode

from chalice.app import Request
from pydantic import BaseModel, ConfigDict, ValidationError

from chalicelib.adapters.channels.base import RawRequest
from chalicelib.api.wiring import deps
from chalicelib.domain.model import Role, User
from chalicelib.services import users
from chalicelib.services.errors import BadRequestError, UnprocessableError

M = TypeVar("M", bound=BaseModel)


class RequestBody(BaseModel):
    """A JSON body a route validates with :func:`json_body`.

    Its validator is built on first use (``defer_build``), not when the blueprint is imported:
    every function imports every blueprint, and a request validates at most one body.
    """

    model_config = ConfigDict(defer_build=True)


def raw_request(request: Request) -> RawRequest:
    """The provider's request as sent; the path is the route's, without the API stage.

    API Gateway does not pass the raw query string, so it is re-encoded in arrival order.
    """
    query = urlencode(list((request.query_params or {}).items())) if request.query_params else ""
    return RawRequest(
        method=request.method,
        path=request.context.get("resourcePath") or request.path,
        query=query,
        headers={k.lower(): v for k, v in request.headers.items()},
        body=_bytes(request.raw_body),
        params=dict(request.query_params or {}),
    )


def _bytes(body: str | bytes | None) -> bytes:
    if body is None:
        return b""
    return body.encode("utf-8") if isinstance(body, str) else body


def current_user(request: Request, role: Role = Role.VOLUNTEER) -> User:
    return users.authenticate(deps().users, request.headers.get("authorization"), role)


def json_body(request: Request, model: type[M]) -> M:
    """Validate a JSON body once, at the edge: 400 when unreadable, 422 when invalid."""
    raw = _bytes(request.raw_body)
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        if any(err["type"] == "json_invalid" for err in exc.errors()):
            raise BadRequestError("body is not valid JSON") from None
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}" for err in exc.errors())
        raise UnprocessableError(problems) from None


def query_param(request: Request, name: str) -> str | None:
    params = request.query_params
    return params.get(name) if params else None
