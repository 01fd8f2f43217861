"""Volunteer API: going on and off shift (the same as texting ON / OFF)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.errors import http_errors
from chalicelib.api.requests import RequestBody, current_user, json_body
from chalicelib.api.wiring import deps
from chalicelib.services import shifts

bp = Blueprint(__name__)


class ShiftBody(RequestBody):
    on: bool


@bp.route("/api/me/shift", methods=["POST"])
@http_errors
def set_shift() -> dict[str, Any]:
    request = bp.current_request
    user = current_user(request)
    body = json_body(request, ShiftBody)
    staff = shifts.set_shift(deps(), user, body.on)
    return {"on": staff.on_shift, "current_task_id": staff.current_task_id}
