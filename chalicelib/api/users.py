"""Organizer API: volunteers and organizers, and health."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response
from pydantic import Field, field_validator

from chalicelib.api.errors import http_errors
from chalicelib.api.requests import RequestBody, current_user, json_body
from chalicelib.api.wiring import deps
from chalicelib.domain.model import Role
from chalicelib.domain.phones import InvalidPhoneNumber, to_e164
from chalicelib.services import users

bp = Blueprint(__name__)


class NewUser(RequestBody):
    name: str = Field(min_length=1, max_length=120)
    role: Role
    phone: str | None = None

    @field_validator("phone")
    @classmethod
    def _e164(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            return to_e164(value)
        except InvalidPhoneNumber as exc:
            raise ValueError(str(exc)) from None


@bp.route("/health", methods=["GET"])
def health() -> dict[str, Any]:
    return {"status": "ok"}


@bp.route("/api/users", methods=["POST"])
@http_errors
def create_user() -> Response:
    request = bp.current_request
    current_user(request, Role.ORGANIZER)
    body = json_body(request, NewUser)
    c = deps()
    user, token = users.create_user(c.users, c.staff, c.clock, body.name, body.role, phone=body.phone)
    # The token is shown this once; only its hash is stored.
    return Response(body={**user.model_dump(mode="json"), "token": token}, status_code=201)
