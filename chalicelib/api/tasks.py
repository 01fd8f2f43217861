"""Volunteer API: the follow-up task queue."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response
from pydantic import Field

from chalicelib.api.errors import http_errors
from chalicelib.api.requests import RequestBody, current_user, json_body, query_param
from chalicelib.api.wiring import deps
from chalicelib.domain.followup import MAX_REPLY_LENGTH
from chalicelib.domain.model import Outcome, Task, TaskStatus
from chalicelib.services import followup, tasks
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
    page = tasks.list_tasks(deps().tasks, status, query_param(request, "next"))
    return {"tasks": [task_view(t) for t in page.tasks], "next": page.next}


class ReplyBody(RequestBody):
    text: str = Field(min_length=1, max_length=MAX_REPLY_LENGTH)


class DoneBody(RequestBody):
    outcome: Outcome = Outcome.ANSWERED


class ClaimBody(RequestBody):
    # Organizers only: claim it in someone else's name (reassign).
    user_id: str | None = Field(default=None, min_length=1, max_length=64)


@bp.route("/api/tasks/{task_id}/claim", methods=["POST"])
@http_errors
def claim_task(task_id: str) -> dict[str, Any]:
    request = bp.current_request
    user = current_user(request)
    body = json_body(request, ClaimBody)
    c = deps()
    if body.user_id and body.user_id != user.id:
        return task_view(followup.assign(c, task_id, user, body.user_id))
    return task_view(followup.claim(c, task_id, user))


@bp.route("/api/tasks/{task_id}/release", methods=["POST"])
@http_errors
def release_task(task_id: str) -> dict[str, Any]:
    user = current_user(bp.current_request)
    return task_view(followup.release(deps(), task_id, user))


@bp.route("/api/tasks/{task_id}/reply", methods=["POST"])
@http_errors
def reply_to_task(task_id: str) -> Response:
    request = bp.current_request
    user = current_user(request)
    body = json_body(request, ReplyBody)
    message = followup.reply(deps(), task_id, user, body.text)
    return Response(body={"message_id": message.id, "status": message.status.value}, status_code=202)


@bp.route("/api/tasks/{task_id}/done", methods=["POST"])
@http_errors
def complete_task(task_id: str) -> dict[str, Any]:
    request = bp.current_request
    user = current_user(request)
    body = json_body(request, DoneBody)
    return task_view(followup.complete(deps(), task_id, user, body.outcome))
