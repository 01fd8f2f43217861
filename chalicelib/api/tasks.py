"""Volunteer API: the follow-up task queue."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.errors import http_errors
from chalicelib.api.requests import current_user, query_param
from chalicelib.bootstrap import get_container
from chalicelib.domain.model import Task, TaskStatus
from chalicelib.services import tasks
from chalicelib.services.errors import BadRequestError

bp = Blueprint(__name__)


def task_view(task: Task) -> dict[str, Any]:
    return task.model_dump(
        mode="json",
        include={"id", "person_id", "channel", "status", "preview", "created_at", "due_at",
                 "claimed_by", "priority", "lease_until", "outcome"},
    )  # fmt: skip


@bp.route("/api/tasks", methods=["GET"])
@http_errors
def list_tasks() -> dict[str, Any]:
    request = bp.current_request
    current_user(request)
    raw_status = query_param(request, "status") or TaskStatus.OPEN.value
    try:
        status = TaskStatus(raw_status)
    except ValueError:
        raise BadRequestError("status must be one of open, claimed, done") from None
    page = tasks.list_tasks(get_container().store, status, query_param(request, "next"))
    return {"tasks": [task_view(t) for t in page.tasks], "next": page.next}
