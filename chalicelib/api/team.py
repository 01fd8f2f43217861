"""Organizer API: who can take shifts by text and who is on one now (``GET /api/shifts``)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.errors import http_errors
from chalicelib.api.requests import current_user
from chalicelib.api.wiring import deps
from chalicelib.domain.followup import StaffPhone
from chalicelib.domain.model import Role, iso
from chalicelib.domain.phones import mask

bp = Blueprint(__name__)


def staff_view(staff: StaffPhone) -> dict[str, Any]:
    return {
        "user_id": staff.user_id,
        "name": staff.name,
        "role": staff.role.value,
        "phone": mask(staff.phone),  # organizers manage people, they need no one's full number here
        "on_shift": staff.on_shift,
        "holding_task": staff.current_task_id is not None,
        "last_offered_at": iso(staff.last_offered_at) if staff.last_offered_at else None,
    }


@bp.route("/api/shifts", methods=["GET"])
@http_errors
def list_shifts() -> dict[str, Any]:
    current_user(bp.current_request, Role.ORGANIZER)
    store = deps().staff
    staff = [s for role in Role for s in store.staff_with_role(role)]
    staff.sort(key=lambda s: (not s.on_shift, s.name.casefold(), s.user_id))
    return {"staff": [staff_view(s) for s in staff]}
