"""People API: a person's record, stance data points, edits, merges and deletion on request."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response
from pydantic import ConfigDict, Field, field_validator

from chalicelib.api.errors import http_errors
from chalicelib.api.requests import RequestBody, current_user, json_body
from chalicelib.api.wiring import deps
from chalicelib.domain.model import Channel, Role
from chalicelib.domain.stance import EVIDENCE_MAX, NOTE_MAX, IssuePosition, StanceResponse, StanceSource
from chalicelib.services import people

bp = Blueprint(__name__)


class NewStance(RequestBody):
    model_config = ConfigDict(extra="forbid")

    support_level: int | None = Field(default=None, ge=1, le=5, strict=True)
    response: StanceResponse | None = None
    issues: dict[str, IssuePosition] = Field(default_factory=dict)
    note: str | None = Field(default=None, max_length=NOTE_MAX)
    # Volunteers record what they heard; self_reported is for what the person filled in themselves.
    source: StanceSource = StanceSource.VOLUNTEER
    channel: Channel | None = None
    evidence: list[str] = Field(default_factory=list, max_length=EVIDENCE_MAX)

    @field_validator("source")
    @classmethod
    def _not_imported(cls, value: StanceSource) -> StanceSource:
        if value is StanceSource.IMPORTED:
            raise ValueError("imported stances come from the import command")
        return value


class PersonChanges(RequestBody):
    model_config = ConfigDict(extra="forbid")

    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    zip: str | None = Field(default=None, pattern=r"^\d{5}(-\d{4})?$")
    address: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)
    state: str | None = Field(default=None, max_length=50)
    van_id: str | None = Field(default=None, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")


class MergeRequest(RequestBody):
    model_config = ConfigDict(extra="forbid")

    other_id: str = Field(min_length=1, max_length=64)


@bp.route("/api/people/{person_id}", methods=["GET"])
@http_errors
def get_person(person_id: str) -> dict[str, Any]:
    viewer = current_user(bp.current_request)
    return people.person_view(deps(), person_id, viewer)


@bp.route("/api/people/{person_id}", methods=["PATCH"])
@http_errors
def edit_person(person_id: str) -> dict[str, Any]:
    request = bp.current_request
    viewer = current_user(request, Role.ORGANIZER)
    body = json_body(request, PersonChanges)
    changes: dict[str, str | None] = {}
    for name in body.model_fields_set:
        value = getattr(body, name)
        changes[name] = str(value).strip() or None if value is not None else None
    email = changes.get("email")
    if email:
        changes["email"] = email.lower()
    c = deps()
    people.edit_person(c.people, c.clock, person_id, changes)
    return people.person_view(c, person_id, viewer)


@bp.route("/api/people/{person_id}", methods=["DELETE"])
@http_errors
def delete_person(person_id: str) -> Response:
    viewer = current_user(bp.current_request, Role.ORGANIZER)
    c = deps()
    record = people.delete_person(c.people, c.clock, person_id, viewer)
    return Response(body={"deleted": True, **record}, status_code=200)


@bp.route("/api/people/{person_id}/stance", methods=["POST"])
@http_errors
def record_stance(person_id: str) -> Response:
    request = bp.current_request
    viewer = current_user(request)
    body = json_body(request, NewStance)
    c = deps()
    data = people.StanceInput(
        support_level=body.support_level,
        response=body.response,
        issues=body.issues,
        note=body.note.strip() if body.note and body.note.strip() else None,
        source=body.source,
        channel=body.channel,
        evidence=tuple(body.evidence),
    )
    stance = people.record_stance(c, c.settings.issue_slugs, person_id, data, by=viewer)
    return Response(body=people.stance_view(stance), status_code=201)


@bp.route("/api/people/{person_id}/merge", methods=["POST"])
@http_errors
def merge_people(person_id: str) -> dict[str, Any]:
    request = bp.current_request
    viewer = current_user(request, Role.ORGANIZER)
    body = json_body(request, MergeRequest)
    c = deps()
    people.merge_people(c.people, c.clock, person_id, body.other_id)
    return people.person_view(c, person_id, viewer)
