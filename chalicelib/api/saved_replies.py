"""Saved replies: organizers maintain them, volunteers insert them into a reply."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response
from pydantic import Field, field_validator

from chalicelib.api.errors import http_errors
from chalicelib.api.requests import RequestBody, current_user, json_body
from chalicelib.api.wiring import deps
from chalicelib.domain.model import Role
from chalicelib.domain.saved_replies import TEXT_MAX, TITLE_MAX, SavedReply
from chalicelib.services import saved_replies

bp = Blueprint(__name__)


class NewSavedReply(RequestBody):
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    text: str = Field(min_length=1, max_length=TEXT_MAX)

    @field_validator("title", "text", mode="before")
    @classmethod
    def _stripped(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value


def saved_reply_view(reply: SavedReply) -> dict[str, Any]:
    return reply.model_dump(mode="json", include={"id", "title", "text", "created_at"})


@bp.route("/api/saved-replies", methods=["GET"])
@http_errors
def list_saved_replies() -> dict[str, Any]:
    current_user(bp.current_request)
    return {"saved_replies": [saved_reply_view(r) for r in saved_replies.list_saved_replies(deps().saved_replies)]}


@bp.route("/api/saved-replies", methods=["POST"])
@http_errors
def save_reply() -> Response:
    request = bp.current_request
    user = current_user(request, Role.ORGANIZER)
    body = json_body(request, NewSavedReply)
    c = deps()
    reply = saved_replies.save_reply(c.saved_replies, c.clock, user, body.title, body.text)
    return Response(body=saved_reply_view(reply), status_code=201)


@bp.route("/api/saved-replies/{reply_id}", methods=["DELETE"])
@http_errors
def delete_saved_reply(reply_id: str) -> Response:
    current_user(bp.current_request, Role.ORGANIZER)
    saved_replies.delete_saved_reply(deps().saved_replies, reply_id)
    return Response(body="", status_code=204)
