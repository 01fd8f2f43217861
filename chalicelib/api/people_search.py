"""Organizer API: find a person by phone, email or id.

``POST /api/people/search {"q": ...}`` rather than ``GET /api/people?q=``: a phone number or
an email address must not travel in a URL, where access logs and browser history keep it.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint
from pydantic import Field

from chalicelib.api.errors import http_errors
from chalicelib.api.requests import RequestBody, current_user, json_body
from chalicelib.api.wiring import deps
from chalicelib.domain.model import Person, Role
from chalicelib.services.people_search import find_people

bp = Blueprint(__name__)


class PeopleQuery(RequestBody):
    q: str = Field(min_length=1, max_length=320)


def person_summary(person: Person) -> dict[str, Any]:
    return person.model_dump(
        mode="json",
        include={"id", "first_name", "last_name", "zip", "first_contact_at", "last_contact_at",
                 "last_contact_channel", "open_task_id"},
    )  # fmt: skip


@bp.route("/api/people/search", methods=["POST"])
@http_errors
def search_people() -> dict[str, Any]:
    request = bp.current_request
    current_user(request, Role.ORGANIZER)
    body = json_body(request, PeopleQuery)
    return {"people": [person_summary(p) for p in find_people(deps().people, body.q)]}
