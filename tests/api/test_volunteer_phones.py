"""Volunteers' own phones over HTTP: the signed SMS webhook, /api/me/shift, the minute job."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.bootstrap import Container
from chalicelib.domain.model import Address, TaskStatus
from chalicelib.services.outbound import staff_conversation
from tests.support.signing import signed_twilio, sms_fields

SMS = "/webhooks/twilio/sms"
ANN_PHONE = "+16175550001"
CONSTITUENT = "+16175550123"


def text_in(client: Any, text: str, sid: str, sender: str) -> Any:
    headers, body = signed_twilio(SMS, sms_fields(text, sid, sender))
    return client.http.post(SMS, headers=headers, body=body)


def create(client: Any, organizer_headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    created = client.http.post("/api/users", headers={**organizer_headers, "Content-Type": "application/json"},
                               body=json.dumps(fields))  # fmt: skip
    assert created.status_code == 201, created.body
    return created.json_body  # type: ignore[no-any-return]


def test_a_volunteers_text_is_a_command_never_a_constituent_message(
    client: Any, container: Container, organizer_headers: dict[str, str], clock: Any
) -> None:
    create(client, organizer_headers, name="Ann", role="volunteer", phone="(617) 555-0001")
    text_in(client, "Can someone call me back?", "SM" + "1" * 32, CONSTITUENT)
    clock.advance(minutes=1)

    on = text_in(client, "ON", "SM" + "2" * 32, ANN_PHONE)
    relayed = text_in(client, "Happy to help, what's a good time?", "SM" + "3" * 32, ANN_PHONE)

    assert on.status_code == 200 and "on shift" in on.body.decode()
    assert "Sent." in relayed.body.decode()
    assert container.people.find_identity(Address("phone", ANN_PHONE)) is None  # never became a constituent
    [task] = container.tasks.list_tasks(TaskStatus.CLAIMED, 10, None).tasks
    messages = container.messages.list_messages(task.person_id)
    assert [m.kind for m in messages][-1] == "reply"
    assert messages[-1].text == "Happy to help, what's a good time?" and messages[-1].address == CONSTITUENT


def test_shift_on_and_off_by_api(client: Any, container: Container, organizer_headers: dict[str, str]) -> None:
    ann = create(client, organizer_headers, name="Ann", role="volunteer", phone=ANN_PHONE)
    headers = {"Authorization": f"Bearer {ann['token']}", "Content-Type": "application/json"}
    text_in(client, "Hello campaign", "SM" + "4" * 32, CONSTITUENT)

    on = client.http.post("/api/me/shift", headers=headers, body=json.dumps({"on": True}))

    assert on.status_code == 200 and on.json_body["on"] is True
    assert on.json_body["current_task_id"]
    [offer] = container.messages.list_messages(staff_conversation(ann["id"]))
    assert offer.kind == "relay" and offer.address == ANN_PHONE and "Hello campaign" in offer.text
    off = client.http.post("/api/me/shift", headers=headers, body=json.dumps({"on": False}))
    assert off.status_code == 200 and off.json_body == {"on": False, "current_task_id": None}
    assert client.http.post("/api/me/shift", headers=headers, body=json.dumps({"on": "maybe"})).status_code == 422


def test_shift_without_a_phone_is_422(client: Any, organizer_headers: dict[str, str]) -> None:
    bob = create(client, organizer_headers, name="Bob", role="volunteer")
    headers = {"Authorization": f"Bearer {bob['token']}", "Content-Type": "application/json"}
    assert client.http.post("/api/me/shift", headers=headers, body=json.dumps({"on": True})).status_code == 422


def test_a_phone_belongs_to_one_user(client: Any, organizer_headers: dict[str, str]) -> None:
    create(client, organizer_headers, name="Ann", role="volunteer", phone=ANN_PHONE)
    again = client.http.post("/api/users", headers={**organizer_headers, "Content-Type": "application/json"},
                             body=json.dumps({"name": "Eve", "role": "volunteer", "phone": ANN_PHONE}))  # fmt: skip
    assert again.status_code == 409


def test_the_minute_job_runs_as_a_scheduled_lambda(
    client: Any, container: Container, organizer_headers: dict[str, str], clock: Any
) -> None:
    create(client, organizer_headers, name="Olga", role="organizer", phone="+16175550009")
    text_in(client, "Anyone there?", "SM" + "5" * 32, CONSTITUENT)
    clock.advance(minutes=61)

    event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={}, resources=[])
    result = client.lambda_.invoke("followup_minute", event).payload

    assert result == {"reopened": 0, "escalated": 1, "notified": 1, "offered": 0, "forwarded": 0}
    [task] = container.tasks.list_tasks(TaskStatus.OPEN, 10, None).tasks
    assert task.priority == 1


def test_a_constituents_next_text_is_passed_on_to_the_volunteer_holding_it(
    client: Any, container: Container, organizer_headers: dict[str, str], clock: Any
) -> None:
    ann = create(client, organizer_headers, name="Ann", role="volunteer", phone=ANN_PHONE)
    text_in(client, "Is the library open Sunday?", "SM" + "6" * 32, CONSTITUENT)
    clock.advance(minutes=1)
    text_in(client, "ON", "SM" + "7" * 32, ANN_PHONE)
    clock.advance(minutes=1)

    again = text_in(client, "Also, which branch?", "SM" + "8" * 32, CONSTITUENT)
    event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={}, resources=[])
    client.lambda_.invoke("followup_minute", event)

    assert "<Message>" not in again.body.decode()  # joined the task: no second acknowledgement
    texts = [m.text for m in container.messages.list_messages(staff_conversation(ann["id"]))]
    assert texts[-1] == "+1********23: Also, which branch?"
    assert len(texts) == 2
