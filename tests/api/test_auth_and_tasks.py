"""Bearer tokens, roles, users and the task list."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.bootstrap import Container
from chalicelib.services.users import hash_token
from tests.support.signing import signed_twilio, sms_fields

JSON = {"Content-Type": "application/json"}


def new_user(client: Any, organizer_headers: dict[str, str], role: str = "volunteer") -> dict[str, Any]:
    response = client.http.post(
        "/api/users", headers={**organizer_headers, **JSON}, body=json.dumps({"name": "Sam", "role": role})
    )
    assert response.status_code == 201
    return dict(response.json_body)


def texts_in(client: Any, clock: Any, count: int) -> None:
    for i in range(count):
        sender = f"+1617555{1000 + i:04d}"
        headers, body = signed_twilio("/webhooks/twilio/sms", sms_fields(f"message {i}", f"SM{i:032d}", sender))
        assert client.http.post("/webhooks/twilio/sms", headers=headers, body=body).status_code == 200
        clock.advance(minutes=1)


def test_health_needs_no_token(client: Any) -> None:
    response = client.http.get("/health")
    assert response.status_code == 200 and response.json_body == {"status": "ok"}


def test_no_token_is_401_and_unknown_token_is_401(client: Any) -> None:
    assert client.http.get("/api/tasks").status_code == 401
    assert client.http.get("/api/tasks", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_organizer_creates_a_volunteer_whose_token_works_and_is_stored_hashed(
    client: Any, container: Container, organizer_headers: dict[str, str]
) -> None:
    created = new_user(client, organizer_headers)

    assert created["role"] == "volunteer" and created["token"]
    tasks = client.http.get("/api/tasks", headers={"Authorization": f"Bearer {created['token']}"})
    assert tasks.status_code == 200
    user = container.users.user_for_token(hash_token(created["token"]))
    assert user is not None and user.id == created["id"]
    assert container.users.user_for_token(created["token"]) is None  # never stored in clear


def test_volunteer_cannot_create_users(client: Any, organizer_headers: dict[str, str]) -> None:
    volunteer = new_user(client, organizer_headers)
    response = client.http.post(
        "/api/users",
        headers={"Authorization": f"Bearer {volunteer['token']}", **JSON},
        body=json.dumps({"name": "X", "role": "organizer"}),
    )
    assert response.status_code == 403


def test_invalid_user_payload_is_rejected(client: Any, organizer_headers: dict[str, str]) -> None:
    bad_role = client.http.post(
        "/api/users", headers={**organizer_headers, **JSON}, body=json.dumps({"name": "X", "role": "king"})
    )
    not_json = client.http.post("/api/users", headers={**organizer_headers, **JSON}, body="{nope")
    assert bad_role.status_code == 422
    assert not_json.status_code == 400


def test_tasks_are_listed_oldest_due_first_and_paginate_by_cursor(
    client: Any, clock: Any, organizer_headers: dict[str, str]
) -> None:
    texts_in(client, clock, 5)
    from chalicelib.services import tasks as task_service

    original = task_service.PAGE_SIZE
    task_service.PAGE_SIZE = 2
    try:
        seen: list[dict[str, Any]] = []
        cursor = None
        for _ in range(5):
            url = "/api/tasks?status=open" + (f"&next={cursor}" if cursor else "")
            body = client.http.get(url, headers=organizer_headers).json_body
            seen += body["tasks"]
            cursor = body["next"]
            if cursor is None:
                break
    finally:
        task_service.PAGE_SIZE = original

    assert [t["preview"] for t in seen] == [f"message {i}" for i in range(5)]
    assert {"id", "person_id", "channel", "status", "preview", "created_at", "due_at", "claimed_by"} <= set(seen[0])
    assert seen[0]["status"] == "open" and seen[0]["channel"] == "sms"


def test_unknown_status_and_bad_cursor_are_400(client: Any, organizer_headers: dict[str, str]) -> None:
    assert client.http.get("/api/tasks?status=lost", headers=organizer_headers).status_code == 400
    assert client.http.get("/api/tasks?next=%%%", headers=organizer_headers).status_code == 400
