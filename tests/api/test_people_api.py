"""GET/PATCH/DELETE /api/people/{id}, POST .../stance and .../merge, over chalice.test.Client and moto."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.bootstrap import Container
from chalicelib.domain.model import Address, SubscriptionStatus, TaskStatus
from chalicelib.domain.people import suppression_hash
from tests.support.signing import signed_twilio, sms_fields

SMS = "/webhooks/twilio/sms"
PHONE = "+16175550123"


def text_in(client: Any, text: str, sid: str, sender: str = PHONE) -> Any:
    headers, body = signed_twilio(SMS, sms_fields(text, sid, sender))
    return client.http.post(SMS, headers=headers, body=body)


def person_of(container: Container, phone: str = PHONE) -> str:
    identity = container.people.find_identity(Address("phone", phone))
    assert identity is not None
    return identity.person_id


def call(client: Any, method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
    h = {**headers, "Content-Type": "application/json"}
    payload = json.dumps(body) if body is not None else None
    return getattr(client.http, method)(path, headers=h, body=payload)


@pytest.fixture
def volunteer_headers(client: Any, organizer_headers: dict[str, str]) -> dict[str, str]:
    made = call(client, "post", "/api/users", organizer_headers, {"name": "Vee", "role": "volunteer"})
    assert made.status_code == 201
    return {"Authorization": f"Bearer {json.loads(made.body)['token']}"}


def test_a_volunteer_sees_the_conversation_in_order_with_addresses_masked(
    client: Any, container: Container, clock: Any, volunteer_headers: dict[str, str]
) -> None:
    text_in(client, "first", "SM" + "a" * 32)
    clock.advance(minutes=3)
    text_in(client, "second", "SM" + "b" * 32)
    pid = person_of(container)

    response = call(client, "get", f"/api/people/{pid}", volunteer_headers)

    assert response.status_code == 200
    view = json.loads(response.body)
    assert view["id"] == pid
    assert [m["text"] for m in view["messages"] if m["direction"] == "inbound"] == ["first", "second"]
    assert view["messages"][1]["direction"] == "outbound"  # the acknowledgement, right after the first
    assert [m["created_at"] for m in view["messages"]] == sorted(m["created_at"] for m in view["messages"])
    [identity] = view["identities"]
    assert identity["address"] != PHONE and identity["address"].endswith("23")
    assert PHONE not in response.body.decode()
    assert view["stance"] is None and view["stance_history"] == []


def test_an_organizer_sees_addresses_in_full(client: Any, container: Container, organizer_headers: Any) -> None:
    text_in(client, "hello", "SM" + "c" * 32)
    view = json.loads(call(client, "get", f"/api/people/{person_of(container)}", organizer_headers).body)
    assert view["identities"][0]["address"] == PHONE
    assert view["identities"][0]["subscriptions"] == {"sms": "subscribed"}


def test_unknown_person_is_404_and_no_token_is_401(client: Any, organizer_headers: Any) -> None:
    assert call(client, "get", "/api/people/nobody", organizer_headers).status_code == 404
    assert client.http.get("/api/people/nobody").status_code == 401


def test_recording_stance_keeps_history_and_newest_is_current(
    client: Any, container: Container, clock: Any, volunteer_headers: dict[str, str]
) -> None:
    text_in(client, "I care about rents", "SM" + "d" * 32)
    pid = person_of(container)
    evidence = container.messages.list_messages(pid)[0].id

    first = call(client, "post", f"/api/people/{pid}/stance", volunteer_headers,
                 {"support_level": 3, "issues": {"housing": "support"}, "evidence": [evidence]})  # fmt: skip
    clock.advance(minutes=5)
    second = call(client, "post", f"/api/people/{pid}/stance", volunteer_headers,
                  {"support_level": 1, "note": "will volunteer"})  # fmt: skip

    assert first.status_code == 201 and second.status_code == 201
    point = json.loads(first.body)
    assert point["support_label"] == "undecided" and point["source"] == "volunteer"
    assert point["channel"] == "sms" and point["evidence"] == [evidence] and point["recorded_by"]
    view = json.loads(call(client, "get", f"/api/people/{pid}", volunteer_headers).body)
    assert view["stance"]["support_level"] == 1 and view["stance"]["support_label"] == "strong_support"
    assert [s["support_level"] for s in view["stance_history"]] == [3, 1]
    assert view["stance_history"][0]["issues"] == {"housing": "support"}


def test_a_response_instead_of_a_level(client: Any, container: Container, volunteer_headers: Any) -> None:
    text_in(client, "not voting", "SM" + "e" * 32)
    pid = person_of(container)
    made = call(client, "post", f"/api/people/{pid}/stance", volunteer_headers,
                {"support_level": None, "response": "not_voting"})  # fmt: skip
    assert made.status_code == 201
    assert json.loads(made.body)["support_label"] == "not_voting"


@pytest.mark.parametrize(
    "body",
    [
        {"support_level": 6},
        {"support_level": 0},
        {"support_level": "2"},
        {"support_level": 2, "response": "refused"},
        {"issues": {"unicorns": "support"}},
        {"issues": {"Housing!": "support"}},
        {"issues": {"housing": "love"}},
        {"response": "maybe"},
        {},
        {"support_level": 2, "evidence": ["not-a-message-of-theirs"]},
        {"support_level": 2, "source": "imported"},
        {"support_level": 2, "surprise": 1},
    ],
)
def test_invalid_stance_is_422_and_stores_nothing(
    client: Any, container: Container, volunteer_headers: Any, body: dict[str, Any]
) -> None:
    text_in(client, "hello", "SM" + "f" * 32)
    pid = person_of(container)

    response = call(client, "post", f"/api/people/{pid}/stance", volunteer_headers, body)

    assert response.status_code == 422, response.body
    assert container.people.list_stances(pid) == []


def test_stance_on_unknown_person_is_404(client: Any, volunteer_headers: Any) -> None:
    assert call(client, "post", "/api/people/nobody/stance", volunteer_headers, {"support_level": 1}).status_code == 404


def test_organizer_edits_names_and_address_fields(
    client: Any, container: Container, organizer_headers: Any, volunteer_headers: Any
) -> None:
    text_in(client, "hello", "SM" + "g" * 32)
    pid = person_of(container)
    changes = {"first_name": "Ana", "last_name": "Lopez", "email": "Ana@Example.org", "zip": "02139",
               "address": "1 Main St", "van_id": "V100"}  # fmt: skip

    assert call(client, "patch", f"/api/people/{pid}", volunteer_headers, changes).status_code == 403
    response = call(client, "patch", f"/api/people/{pid}", organizer_headers, changes)

    assert response.status_code == 200
    person = container.people.get_person(pid)
    assert person is not None
    assert (person.first_name, person.email, person.zip, person.van_id) == ("Ana", "ana@example.org", "02139", "V100")
    assert call(client, "patch", f"/api/people/{pid}", organizer_headers, {"zip": "12"}).status_code == 422
    assert call(client, "patch", f"/api/people/{pid}", organizer_headers, {"open_task_id": "x"}).status_code == 422
    assert call(client, "patch", "/api/people/nobody", organizer_headers, {"zip": "02139"}).status_code == 404


def test_merge_moves_identities_messages_stance_and_tasks(
    client: Any, container: Container, clock: Any, organizer_headers: Any, volunteer_headers: Any
) -> None:
    text_in(client, "from my cell", "SM" + "h" * 32, sender="+16175550001")
    clock.advance(minutes=1)
    text_in(client, "from my work phone", "SM" + "i" * 32, sender="+16175550002")
    keep, other = person_of(container, "+16175550001"), person_of(container, "+16175550002")
    call(client, "post", f"/api/people/{other}/stance", volunteer_headers, {"support_level": 2})
    other_task = container.people.get_person(other).open_task_id  # type: ignore[union-attr]

    response = call(client, "post", f"/api/people/{keep}/merge", organizer_headers, {"other_id": other})

    assert response.status_code == 200
    view = json.loads(response.body)
    assert sorted(i["address"] for i in view["identities"]) == ["+16175550001", "+16175550002"]
    inbound = [m["text"] for m in view["messages"] if m["direction"] == "inbound"]
    assert inbound == ["from my cell", "from my work phone"]
    assert view["stance"]["support_level"] == 2 and len(view["stance_history"]) == 1
    assert call(client, "get", f"/api/people/{other}", organizer_headers).status_code == 404
    task = container.tasks.get_task(other_task)
    assert task is not None and task.person_id == keep
    identity = container.people.find_identity(Address("phone", "+16175550002"))
    assert identity is not None and identity.person_id == keep
    # Later messages from either number land on the merged person.
    clock.advance(minutes=1)
    text_in(client, "again", "SM" + "j" * 32, sender="+16175550002")
    assert [m.text for m in container.messages.list_messages(keep)][-1] == "again"


def test_merge_needs_an_organizer_and_two_different_people(
    client: Any, container: Container, organizer_headers: Any, volunteer_headers: Any
) -> None:
    text_in(client, "hello", "SM" + "k" * 32)
    pid = person_of(container)
    assert call(client, "post", f"/api/people/{pid}/merge", volunteer_headers, {"other_id": "x"}).status_code == 403
    assert call(client, "post", f"/api/people/{pid}/merge", organizer_headers, {"other_id": pid}).status_code == 422
    assert call(client, "post", f"/api/people/{pid}/merge", organizer_headers, {"other_id": "x"}).status_code == 404


def test_deletion_removes_data_keeps_a_hash_and_never_acknowledges_again(
    client: Any, container: Container, clock: Any, organizer_headers: Any
) -> None:
    text_in(client, "please delete my data", "SM" + "l" * 32)
    pid = person_of(container)

    response = call(client, "delete", f"/api/people/{pid}", organizer_headers)

    assert response.status_code == 200
    assert json.loads(response.body)["person_id"] == pid
    assert container.people.get_person(pid) is None
    assert container.people.find_identity(Address("phone", PHONE)) is None
    assert container.messages.list_messages(pid) == []
    assert container.tasks.list_tasks(TaskStatus.OPEN, 10, None).tasks == []
    assert container.inbound.is_suppressed(suppression_hash(Address("phone", PHONE)))
    assert call(client, "delete", f"/api/people/{pid}", organizer_headers).status_code == 404

    # They write again: recorded for a human to read, but nothing is sent back.
    clock.advance(minutes=10)
    again = text_in(client, "hello again", "SM" + "m" * 32)
    assert again.status_code == 200
    assert "<Message>" not in again.body.decode()
    identity = container.people.find_identity(Address("phone", PHONE))
    assert identity is not None and identity.status_of("sms") is SubscriptionStatus.OPTED_OUT
    assert all(m.direction == "inbound" for m in container.messages.list_messages(identity.person_id))
