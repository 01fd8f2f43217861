"""Claim, release, reply and done over HTTP (chalice.test.Client, DynamoDB and SQS under moto)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.bootstrap import Container
from chalicelib.domain.model import Address, MessageStatus, SubscriptionStatus, TaskStatus
from tests.support.signing import signed_twilio, sms_fields

SMS = "/webhooks/twilio/sms"
CONSTITUENT = "+16175550123"


def text_in(client: Any, text: str, sid: str, sender: str = CONSTITUENT, **extra: str) -> Any:
    headers, body = signed_twilio(SMS, sms_fields(text, sid, sender, **extra))
    return client.http.post(SMS, headers=headers, body=body)


def volunteer(client: Any, organizer_headers: dict[str, str], name: str = "Val") -> dict[str, str]:
    created = client.http.post(
        "/api/users", headers={**organizer_headers, "Content-Type": "application/json"},
        body=json.dumps({"name": name, "role": "volunteer"}),
    )  # fmt: skip
    assert created.status_code == 201
    return {"Authorization": f"Bearer {created.json_body['token']}", "Content-Type": "application/json"}


def post(client: Any, path: str, headers: dict[str, str], body: Any = None) -> Any:
    return client.http.post(path, headers=headers, body=json.dumps(body) if body is not None else "")


@pytest.fixture
def task_id(client: Any, container: Container) -> str:
    text_in(client, "Please fix the pothole on Main St", "SM" + "a" * 32)
    [task] = container.tasks.list_tasks(TaskStatus.OPEN, 10, None).tasks
    return task.id


def queued_bodies(container: Container) -> list[dict[str, Any]]:
    sqs: Any = container.queue._sqs  # type: ignore[attr-defined]
    url = container.queue.url  # type: ignore[attr-defined]
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in got.get("Messages", [])]


def test_claim_then_another_volunteer_gets_409(client: Any, organizer_headers: dict[str, str], task_id: str) -> None:
    ann, bob = volunteer(client, organizer_headers, "Ann"), volunteer(client, organizer_headers, "Bob")

    claimed = post(client, f"/api/tasks/{task_id}/claim", ann)
    refused = post(client, f"/api/tasks/{task_id}/claim", bob)

    assert claimed.status_code == 200
    assert claimed.json_body["status"] == "claimed" and claimed.json_body["claimed_by"]
    assert refused.status_code == 409
    assert "another volunteer" in refused.json_body["Message"]


def test_unknown_task_is_404_and_no_token_is_401(client: Any, organizer_headers: dict[str, str]) -> None:
    ann = volunteer(client, organizer_headers)
    assert post(client, "/api/tasks/NOPE/claim", ann).status_code == 404
    assert post(client, "/api/tasks/NOPE/reply", ann, {"text": "hi"}).status_code == 404
    assert client.http.post("/api/tasks/NOPE/claim").status_code == 401


def test_holder_replies_and_the_reply_is_stored_then_queued(
    client: Any, container: Container, organizer_headers: dict[str, str], task_id: str
) -> None:
    ann = volunteer(client, organizer_headers)
    post(client, f"/api/tasks/{task_id}/claim", ann)

    response = post(client, f"/api/tasks/{task_id}/reply", ann, {"text": "Thanks! We reported it to Public Works."})

    assert response.status_code == 202
    assert response.json_body["status"] == "queued"
    task = container.tasks.get_task(task_id)
    assert task is not None
    reply = next(
        m for m in container.messages.list_messages(task.person_id) if m.id == response.json_body["message_id"]
    )
    assert reply.kind == "reply" and reply.status is MessageStatus.QUEUED and reply.sent_by
    assert reply.address == CONSTITUENT and reply.task_id == task_id
    assert [b["message_id"] for b in queued_bodies(container)] == [reply.id]


def test_reply_needs_the_claim_and_1_to_1600_characters(
    client: Any, organizer_headers: dict[str, str], task_id: str, container: Container
) -> None:
    ann, bob = volunteer(client, organizer_headers, "Ann"), volunteer(client, organizer_headers, "Bob")
    assert post(client, f"/api/tasks/{task_id}/reply", ann, {"text": "hi"}).status_code == 409  # unclaimed
    post(client, f"/api/tasks/{task_id}/claim", ann)

    assert post(client, f"/api/tasks/{task_id}/reply", bob, {"text": "hi"}).status_code == 409
    assert post(client, f"/api/tasks/{task_id}/reply", ann, {"text": ""}).status_code == 422
    assert post(client, f"/api/tasks/{task_id}/reply", ann, {"text": "x" * 1601}).status_code == 422
    assert post(client, f"/api/tasks/{task_id}/reply", ann, {}).status_code == 422
    bad_json = client.http.post(f"/api/tasks/{task_id}/reply", headers=ann, body="{nope")
    assert bad_json.status_code == 400
    assert post(client, f"/api/tasks/{task_id}/reply", ann, {"text": "x" * 1600}).status_code == 202
    assert len(queued_bodies(container)) == 1  # the refused ones stored and queued nothing


def test_reply_to_an_opted_out_person_is_422_with_the_reason(
    client: Any, organizer_headers: dict[str, str], task_id: str
) -> None:
    ann = volunteer(client, organizer_headers)
    post(client, f"/api/tasks/{task_id}/claim", ann)
    text_in(client, "STOP", "SM" + "b" * 32)

    response = post(client, f"/api/tasks/{task_id}/reply", ann, {"text": "Sorry to see you go"})

    assert response.status_code == 422
    assert "opted out" in response.json_body["Message"]


def test_reply_after_the_whatsapp_window_closed_is_422(
    client: Any, container: Container, organizer_headers: dict[str, str], clock: Any
) -> None:
    text_in(client, "hola", "SM" + "c" * 32, sender="whatsapp:+16175550177", To="whatsapp:+16175550100")
    [task] = container.tasks.list_tasks(TaskStatus.OPEN, 10, None).tasks
    assert task.channel == "whatsapp"
    ann = volunteer(client, organizer_headers)
    post(client, f"/api/tasks/{task.id}/claim", ann)
    clock.advance(hours=25)

    response = post(client, f"/api/tasks/{task.id}/reply", ann, {"text": "Sorry for the delay"})

    assert response.status_code == 422
    assert "window is closed" in response.json_body["Message"]


def test_done_closes_the_task_and_the_next_message_gets_a_new_task_and_acknowledgement(
    client: Any, container: Container, organizer_headers: dict[str, str], task_id: str, clock: Any
) -> None:
    ann = volunteer(client, organizer_headers)
    post(client, f"/api/tasks/{task_id}/claim", ann)

    done = post(client, f"/api/tasks/{task_id}/done", ann, {"outcome": "answered"})

    assert done.status_code == 200 and done.json_body["status"] == "done"
    assert done.json_body["outcome"] == "answered"
    clock.advance(minutes=30)
    again = text_in(client, "Any update?", "SM" + "d" * 32)
    assert "<Message>" in again.body.decode()
    [new_task] = container.tasks.list_tasks(TaskStatus.OPEN, 10, None).tasks
    assert new_task.id != task_id


def test_done_with_an_unknown_outcome_is_422(client: Any, organizer_headers: dict[str, str], task_id: str) -> None:
    ann = volunteer(client, organizer_headers)
    post(client, f"/api/tasks/{task_id}/claim", ann)
    assert post(client, f"/api/tasks/{task_id}/done", ann, {"outcome": "whatever"}).status_code == 422


def test_release_is_for_the_holder_or_an_organizer(
    client: Any, organizer_headers: dict[str, str], task_id: str, container: Container
) -> None:
    ann, bob = volunteer(client, organizer_headers, "Ann"), volunteer(client, organizer_headers, "Bob")
    post(client, f"/api/tasks/{task_id}/claim", ann)

    assert post(client, f"/api/tasks/{task_id}/release", bob).status_code == 409
    assert post(client, f"/api/tasks/{task_id}/done", bob).status_code == 409
    organizer = {**organizer_headers, "Content-Type": "application/json"}
    released = post(client, f"/api/tasks/{task_id}/release", organizer)
    assert released.status_code == 200 and released.json_body["status"] == "open"
    assert post(client, f"/api/tasks/{task_id}/claim", bob).status_code == 200


def test_organizer_may_close_any_task(
    client: Any, organizer_headers: dict[str, str], task_id: str, container: Container
) -> None:
    organizer = {**organizer_headers, "Content-Type": "application/json"}
    closed = post(client, f"/api/tasks/{task_id}/done", organizer, {"outcome": "wrong_number"})
    assert closed.status_code == 200 and closed.json_body["outcome"] == "wrong_number"
    identity = container.people.find_identity(Address("phone", CONSTITUENT))
    assert identity is not None and identity.status_of("sms") is SubscriptionStatus.SUBSCRIBED
    assert identity.open_task_id is None


def test_an_organizer_reassigns_a_held_task_and_a_volunteer_cannot(
    client: Any, container: Container, organizer_headers: dict[str, str], task_id: str
) -> None:
    ann, bob = volunteer(client, organizer_headers, "Ann"), volunteer(client, organizer_headers, "Bob")
    post(client, f"/api/tasks/{task_id}/claim", ann)
    bob_id = _user_id(container, bob)

    assert post(client, f"/api/tasks/{task_id}/claim", ann, {"user_id": bob_id}).status_code == 403
    organizer = {**organizer_headers, "Content-Type": "application/json"}
    moved = post(client, f"/api/tasks/{task_id}/claim", organizer, {"user_id": bob_id})
    assert moved.status_code == 200 and moved.json_body["claimed_by"] == bob_id
    assert post(client, f"/api/tasks/{task_id}/claim", organizer, {"user_id": "nobody"}).status_code == 404


def _user_id(container: Container, headers: dict[str, str]) -> str:
    from chalicelib.services.users import hash_token

    user = container.users.user_for_token(hash_token(headers["Authorization"].removeprefix("Bearer ")))
    assert user is not None
    return user.id
