"""GET/POST /webhooks/x: the CRC check and direct messages from the signed sample."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.bootstrap import Container
from chalicelib.config import Settings
from chalicelib.domain.model import Direction, MessageStatus
from tests.support.channels import (
    X_ACCOUNT,
    acknowledgements,
    channel_settings,
    conversation,
    open_tasks,
    queued_ids,
    replay,
    x_headers,
)
from tests.support.signing import event

X = "/webhooks/x"
SENDER = "3001969357"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return channel_settings(settings)


def post(client: Any, payload: dict[str, Any] | str) -> Any:
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return client.http.post(X, headers=x_headers(body), body=body)


def dm(event_id: str, text: str, sender: str = SENDER, **extra: Any) -> dict[str, Any]:
    return {
        "type": "message_create",
        "id": event_id,
        "created_timestamp": "1736937300000",
        "message_create": {
            "target": {"recipient_id": X_ACCOUNT if sender != X_ACCOUNT else SENDER},
            "sender_id": sender,
            "message_data": {"text": text, **extra},
        },
    }


def test_crc_is_answered_with_the_expected_token(client: Any) -> None:
    response = replay(client, "x_crc_get")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json_body == event("x_crc_get")["expected"]["json"]


def test_crc_without_a_token_is_a_400(client: Any) -> None:
    assert client.http.get(X).status_code == 400


def test_signed_sample_opens_a_task_and_queues_a_dm_acknowledgement(client: Any, container: Container) -> None:
    response = replay(client, "x_dm_event")

    assert response.status_code == 200
    [task] = open_tasks(container)
    assert task.channel == "x" and task.preview == "How do I renew my dog license?"
    person = container.people.get_person(task.person_id)
    assert person is not None and person.first_name == "Jordan"
    messages = conversation(container, "x", SENDER)
    [ack] = acknowledgements(messages)
    assert ack.status is MessageStatus.QUEUED and ack.address == SENDER and "STOP" not in ack.text
    assert queued_ids(container) == [ack.id]


def test_redelivery_is_one_message_one_task_one_acknowledgement(client: Any, container: Container) -> None:
    for _ in range(3):
        assert replay(client, "x_dm_event").status_code == 200

    messages = conversation(container, "x", SENDER)
    assert len([m for m in messages if m.direction is Direction.INBOUND]) == 1
    assert len(acknowledgements(messages)) == 1
    assert len(open_tasks(container)) == 1
    assert len(queued_ids(container)) == 1


def test_our_own_echoed_dms_are_ignored(client: Any, container: Container) -> None:
    payload = {"for_user_id": X_ACCOUNT, "direct_message_events": [dm("1856000000000000009", "our reply", X_ACCOUNT)]}

    assert post(client, payload).status_code == 200
    assert open_tasks(container) == []


def test_own_account_from_settings_is_ignored_without_for_user_id(client: Any, container: Container) -> None:
    assert post(client, {"direct_message_events": [dm("1856000000000000010", "x", X_ACCOUNT)]}).status_code == 200
    assert open_tasks(container) == []


def test_other_activity_is_acknowledged_and_ignored(client: Any, container: Container) -> None:
    payload = {"for_user_id": X_ACCOUNT, "favorite_events": [{"id": "1"}], "direct_message_indicate_typing_events": []}
    assert post(client, payload).status_code == 200
    assert open_tasks(container) == []


def test_a_bad_event_in_a_batch_loses_no_other(client: Any, container: Container) -> None:
    payload = {
        "for_user_id": X_ACCOUNT,
        "direct_message_events": [{"type": "message_create", "id": "9"}, dm("1856000000000000011", "still here", "42")],
    }
    assert post(client, payload).status_code == 200
    [task] = open_tasks(container)
    assert task.preview == "still here"


def test_wrong_signature_is_forbidden_and_stores_nothing(client: Any, container: Container) -> None:
    sample = event("x_dm_event")
    headers = {**sample["headers"], "x-twitter-webhooks-signature": "sha256=AAAA"}
    assert client.http.post(X, headers=headers, body=sample["body"]).status_code == 403
    assert open_tasks(container) == []


def test_malformed_json_is_a_400(client: Any) -> None:
    assert post(client, "[1, 2").status_code == 400
    assert post(client, "[1, 2]").status_code == 400
