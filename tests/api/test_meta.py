"""GET/POST /webhooks/meta: Messenger, Instagram and WhatsApp Cloud from signed samples."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.adapters.channels.whatsapp import WHATSAPP
from chalicelib.bootstrap import Container
from chalicelib.config import Settings
from chalicelib.domain.model import Address, Direction, MessageStatus, SubscriptionStatus
from chalicelib.services.ports.messages import MessageRef
from tests.support.channels import (
    acknowledgements,
    channel_settings,
    conversation,
    meta_headers,
    open_tasks,
    queued_ids,
    replay,
)
from tests.support.signing import event, signed_twilio, sms_fields

META = "/webhooks/meta"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return channel_settings(settings)


def post(client: Any, payload: dict[str, Any] | str) -> Any:
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return client.http.post(META, headers=meta_headers(body), body=body)


def messenger(mid: str, text: str = "hello", sender: str = "7000000000000002", **message: Any) -> dict[str, Any]:
    return {
        "sender": {"id": sender},
        "recipient": {"id": "104000000000001"},
        "timestamp": 1736936999876,
        "message": {"mid": mid, "text": text, **message},
    }


def page(*events: dict[str, Any], obj: str = "page") -> dict[str, Any]:
    return {"object": obj, "entry": [{"id": "104000000000001", "time": 1, "messaging": list(events)}]}


def whatsapp(*messages: dict[str, Any], statuses: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    value: dict[str, Any] = {"messaging_product": "whatsapp", "messages": list(messages)}
    if statuses is not None:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"value": value, "field": "messages"}]}],
    }


def wa_text(wamid: str, text: str, sender: str = "16505551234") -> dict[str, Any]:
    return {"from": sender, "id": wamid, "timestamp": "1736937200", "type": "text", "text": {"body": text}}


# -- verification -------------------------------------------------------------------------
def test_verification_handshake_echoes_the_challenge(client: Any) -> None:
    response = replay(client, "meta_verify_get")

    assert response.status_code == 200
    assert response.body.decode() == event("meta_verify_get")["expected"]["body"]
    assert response.headers["Content-Type"].startswith("text/plain")


def test_verification_with_a_wrong_token_is_forbidden(client: Any) -> None:
    assert replay(client, "meta_verify_get_wrong_token").status_code == 403


def test_verification_needs_mode_subscribe(client: Any) -> None:
    response = client.http.get(f"{META}?hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=test-verify-token-42")
    assert response.status_code == 403


# -- Messenger and Instagram --------------------------------------------------------------
@pytest.mark.parametrize(
    ("sample", "kind", "address", "text"),
    [
        ("messenger_message", "messenger", "7000000000000001", "Is city hall open on Monday? \u00dcn\u00efcode \u2713"),
        ("instagram_message", "instagram", "1234567890123456", "Where do I pay a parking ticket?"),
    ],
)
def test_signed_sample_opens_a_task_and_queues_the_acknowledgement(
    client: Any, container: Container, sample: str, kind: str, address: str, text: str
) -> None:
    response = replay(client, sample)

    assert response.status_code == 200
    [task] = open_tasks(container)
    assert task.channel == kind and task.preview == text
    messages = conversation(container, kind, address)
    [inbound] = [m for m in messages if m.direction is Direction.INBOUND]
    assert inbound.text == text
    [ack] = acknowledgements(messages)
    assert ack.status is MessageStatus.QUEUED and ack.channel == kind and ack.address == address
    assert "Jane for Council" in ack.text and "STOP" not in ack.text
    assert queued_ids(container) == [ack.id]


@pytest.mark.parametrize("sample", ["messenger_message", "instagram_message", "whatsapp_message"])
def test_redelivery_is_one_message_one_task_one_acknowledgement(client: Any, container: Container, sample: str) -> None:
    for _ in range(3):
        assert replay(client, sample).status_code == 200

    [task] = open_tasks(container)
    person_messages = container.messages.list_messages(task.person_id)
    assert len([m for m in person_messages if m.direction is Direction.INBOUND]) == 1
    assert len(acknowledgements(person_messages)) == 1
    assert len(queued_ids(container)) == 1


def test_echoes_deliveries_and_reads_never_become_tasks(client: Any, container: Container) -> None:
    payload = page(
        messenger("m_echo", "our own reply", is_echo=True),
        {"sender": {"id": "7000000000000002"}, "recipient": {"id": "1"}, "delivery": {"mids": ["m_1"], "watermark": 1}},
        {"sender": {"id": "7000000000000002"}, "recipient": {"id": "1"}, "read": {"watermark": 1}},
    )

    assert post(client, payload).status_code == 200
    assert open_tasks(container) == []
    assert container.people.find_identity(Address("messenger", "7000000000000002")) is None


def test_every_message_of_a_batch_is_recorded_and_a_bad_one_loses_none(client: Any, container: Container) -> None:
    payload = {
        "object": "page",
        "entry": [
            {"id": "1", "messaging": [messenger("m_a", "first", sender="111"), {"sender": {}, "message": {"mid": 5}}]},
            "not an entry",
            {
                "id": "2",
                "messaging": [messenger("m_b", "second", sender="222"), messenger("m_c", "third", sender="111")],
            },
        ],
    }

    assert post(client, payload).status_code == 200
    tasks = open_tasks(container)
    assert len(tasks) == 2  # one person each; the third message joined the first person's task
    assert sorted(t.preview for t in tasks) == ["second", "third"]


def test_attachments_keep_their_urls(client: Any, container: Container) -> None:
    attachment = {"type": "image", "payload": {"url": "https://scontent.example/photo.jpg"}}
    payload = page({"sender": {"id": "333"}, "message": {"mid": "m_img", "attachments": [attachment]}})

    assert post(client, payload).status_code == 200
    [inbound, _ack] = conversation(container, "messenger", "333")
    assert inbound.media_urls == ["https://scontent.example/photo.jpg"] and inbound.text == "[image]"


# -- WhatsApp -----------------------------------------------------------------------------
def test_whatsapp_sample_is_the_same_person_as_their_sms_number(client: Any, container: Container) -> None:
    headers, body = signed_twilio("/webhooks/twilio/sms", sms_fields("hi by text", "SM" + "c" * 32, "+16505551234"))
    client.http.post("/webhooks/twilio/sms", headers=headers, body=body)
    [sms_task] = open_tasks(container)

    assert replay(client, "whatsapp_message").status_code == 200

    [task] = open_tasks(container)
    assert task.id == sms_task.id and task.inbound_count == 2 and task.channel == "whatsapp"
    messages = conversation(container, "phone", "+16505551234")
    assert [m.channel for m in messages if m.direction is Direction.INBOUND] == ["sms", "whatsapp"]
    assert len(acknowledgements(messages)) == 1  # joined the open task: no second acknowledgement


def test_whatsapp_sample_opens_a_task_named_after_the_profile(client: Any, container: Container) -> None:
    assert replay(client, "whatsapp_message").status_code == 200

    [task] = open_tasks(container)
    assert task.preview == "My recycling bin was not collected."
    person = container.people.get_person(task.person_id)
    assert person is not None and person.first_name == "Sheena" and person.last_name == "Nelson"
    [ack] = acknowledgements(container.messages.list_messages(task.person_id))
    assert ack.channel == "whatsapp" and ack.address == "+16505551234" and ack.status is MessageStatus.QUEUED
    assert "STOP" in ack.text  # first contact on WhatsApp: keywords are read there
    assert queued_ids(container) == [ack.id]


def test_whatsapp_status_updates_our_message_and_never_becomes_a_task(client: Any, container: Container) -> None:
    sample = event("whatsapp_status_delivered")
    wamid = json.loads(sample["body"])["entry"][0]["changes"][0]["value"]["statuses"][0]["id"]
    replay(client, "whatsapp_message")
    [task] = open_tasks(container)
    [ack] = acknowledgements(container.messages.list_messages(task.person_id))
    ref = MessageRef(ack.person_id, ack.id, ack.created_at)
    container.messages.advance_status(ref, MessageStatus.SENT)
    container.messages.link_provider_id(WHATSAPP, wamid, ref)

    assert replay(client, "whatsapp_status_delivered").status_code == 200

    stored = container.messages.get_message(ref)
    assert stored is not None and stored.status is MessageStatus.DELIVERED
    assert len(open_tasks(container)) == 1 and open_tasks(container)[0].inbound_count == 1


def test_whatsapp_status_for_an_unknown_message_is_ignored(client: Any, container: Container) -> None:
    assert replay(client, "whatsapp_status_delivered").status_code == 200
    assert open_tasks(container) == []


def test_whatsapp_stop_opts_out_of_whatsapp_only(client: Any, container: Container) -> None:
    assert post(client, whatsapp(wa_text("wamid.stop", "STOP"))).status_code == 200

    identity = container.people.find_identity(Address("phone", "+16505551234"))
    assert identity is not None and identity.status_of("whatsapp") is SubscriptionStatus.OPTED_OUT
    assert identity.status_of("sms") is SubscriptionStatus.UNKNOWN
    assert open_tasks(container) == []


def test_whatsapp_batch_with_a_bad_message_keeps_the_good_ones(client: Any, container: Container) -> None:
    payload = whatsapp(
        wa_text("wamid.a", "one", "16505550001"), {"from": "x", "id": ""}, wa_text("wamid.b", "two", "16505550002")
    )
    assert post(client, payload).status_code == 200
    assert sorted(t.preview for t in open_tasks(container)) == ["one", "two"]


# -- bad input ----------------------------------------------------------------------------
def test_missing_signature_is_forbidden_and_stores_nothing(client: Any, container: Container) -> None:
    sample = event("messenger_message")
    response = client.http.post(META, headers={"Content-Type": "application/json"}, body=sample["body"])
    assert response.status_code == 403
    assert open_tasks(container) == []


def test_re_serialized_json_fails_the_signature(client: Any, container: Container) -> None:
    sample = event("messenger_message")
    body = json.dumps(json.loads(sample["body"]), ensure_ascii=False)  # Meta signed the \\u-escaped form
    response = client.http.post(META, headers=sample["headers"], body=body.encode())
    assert response.status_code == 403
    assert open_tasks(container) == []


def test_signature_with_another_secret_is_forbidden(client: Any, container: Container) -> None:
    body = json.dumps(page(messenger("m_x")))
    response = client.http.post(META, headers=meta_headers(body, "not-the-secret"), body=body)
    assert response.status_code == 403


def test_malformed_json_is_a_400(client: Any) -> None:
    response = post(client, "{not json")
    assert response.status_code == 400


def test_missing_envelope_fields_are_a_400(client: Any) -> None:
    assert post(client, {"entry": []}).status_code == 400
    assert post(client, {"object": "page"}).status_code == 400


def test_unknown_object_is_acknowledged_and_ignored(client: Any, container: Container) -> None:
    assert post(client, {"object": "permissions", "entry": [{"id": "1"}]}).status_code == 200
    assert open_tasks(container) == []


def test_nothing_is_stored_for_a_status_only_message_list(client: Any, container: Container) -> None:
    assert post(client, whatsapp(statuses=[{"id": "wamid.z", "status": "sent"}])).status_code == 200
    assert open_tasks(container) == []


def test_a_postback_button_tap_is_a_message(client: Any, container: Container) -> None:
    event_ = {"sender": {"id": "444"}, "postback": {"mid": "m_pb", "title": "Volunteer", "payload": "VOLUNTEER"}}
    assert post(client, page(event_)).status_code == 200
    [task] = open_tasks(container)
    assert task.preview == "Volunteer"


def test_whatsapp_help_is_answered_through_the_queue_without_a_task(client: Any, container: Container) -> None:
    assert post(client, whatsapp(wa_text("wamid.help", "help"))).status_code == 200
    [help_reply] = [m for m in conversation(container, "phone", "+16505551234") if m.kind == "help"]
    assert "Jane for Council" in help_reply.text and help_reply.status is MessageStatus.QUEUED
    assert queued_ids(container) == [help_reply.id]
    assert open_tasks(container) == []
