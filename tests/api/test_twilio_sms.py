"""POST /webhooks/twilio/sms: signed samples in, TwiML and stored state out."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.bootstrap import Container
from chalicelib.domain.model import Address, SubscriptionStatus, TaskStatus
from tests.support.signing import event, path_of, signed_twilio, sms_fields

SMS = "/webhooks/twilio/sms"


def replay(client: Any, name: str) -> Any:
    sample = event(name)
    return client.http.post(path_of(sample["url"]), headers=sample["headers"], body=sample["body"])


def send(client: Any, text: str, sid: str, sender: str = "+16175550123", **extra: str) -> Any:
    headers, body = signed_twilio(SMS, sms_fields(text, sid, sender, **extra))
    return client.http.post(SMS, headers=headers, body=body)


def open_tasks(container: Container) -> list[Any]:
    return container.tasks.list_tasks(TaskStatus.OPEN, 100, None).tasks


def test_signed_sample_is_acknowledged_in_twiml_and_opens_a_task(client: Any, container: Container) -> None:
    response = replay(client, "twilio_sms_inbound")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml"
    body = response.body.decode()
    assert "<Response><Message>" in body
    assert "Jane for Council" in body
    assert "STOP" in body  # first contact ever: how to opt out
    [task] = open_tasks(container)
    assert task.preview == "Pothole on Main St & 3rd. Please fix! +1 urgent"
    identity = container.people.find_identity(Address("phone", "+16175550199"))
    assert identity is not None and identity.open_task_id == task.id
    person = container.people.get_person(identity.person_id)
    assert person is not None and person.zip == "02139" and person.city == "CAMBRIDGE"
    [inbound, ack] = container.messages.list_messages(identity.person_id)
    assert inbound.direction == "inbound" and inbound.meta["from_state"] == "MA"
    assert ack.direction == "outbound" and ack.kind == "acknowledgement"


def test_redelivery_gets_the_first_answer_and_stores_nothing_new(client: Any, container: Container) -> None:
    first = replay(client, "twilio_sms_inbound")
    second = replay(client, "twilio_sms_inbound")

    assert second.status_code == 200
    assert second.body == first.body
    identity = container.people.find_identity(Address("phone", "+16175550199"))
    assert identity is not None
    assert len(container.messages.list_messages(identity.person_id)) == 2
    assert len(open_tasks(container)) == 1


def test_later_message_joins_the_open_task_without_a_second_acknowledgement(
    client: Any, container: Container, clock: Any
) -> None:
    replay(client, "twilio_sms_inbound")
    clock.advance(minutes=2)
    response = replay(client, "twilio_mms_inbound")

    assert response.status_code == 200
    assert "<Message>" not in response.body.decode()
    [task] = open_tasks(container)
    assert task.preview == "Photo of the broken streetlight"
    assert task.inbound_count == 2
    identity = container.people.find_identity(Address("phone", "+16175550199"))
    assert identity is not None
    mms = container.messages.list_messages(identity.person_id)[-1]
    assert mms.media_urls and mms.media_urls[0].startswith("https://api.twilio.com/")


def test_stop_opts_out_without_acknowledgement_or_task(client: Any, container: Container) -> None:
    response = replay(client, "twilio_sms_optout_stop")

    assert response.status_code == 200
    assert response.body.decode() == event("twilio_sms_optout_stop")["expected"]["body"]
    identity = container.people.find_identity(Address("phone", "+16175550199"))
    assert identity is not None
    assert identity.status_of("sms") is SubscriptionStatus.OPTED_OUT
    assert open_tasks(container) == []


@pytest.mark.parametrize("word", ["stop", "  Unsubscribe ", "QUIT", "optout"])
def test_every_opt_out_keyword_is_whole_body_and_case_insensitive(client: Any, container: Container, word: str) -> None:
    response = send(client, word, "SM" + "1" * 32)

    assert "<Message>" not in response.body.decode()
    identity = container.people.find_identity(Address("phone", "+16175550123"))
    assert identity is not None and identity.status_of("sms") is SubscriptionStatus.OPTED_OUT


def test_a_sentence_containing_stop_is_an_ordinary_message(client: Any, container: Container) -> None:
    response = send(client, "we have got to STOP this bill", "SM" + "2" * 32)

    assert "<Message>" in response.body.decode()
    assert len(open_tasks(container)) == 1


def test_start_opts_back_in_and_later_messages_are_acknowledged_again(client: Any, container: Container) -> None:
    send(client, "STOP", "SM" + "3" * 32)
    quiet = send(client, "hello?", "SM" + "4" * 32)
    send(client, "start", "SM" + "5" * 32)

    # Opted out: the message is a task (someone reads it) but nothing is texted back.
    assert "<Message>" not in quiet.body.decode()
    identity = container.people.find_identity(Address("phone", "+16175550123"))
    assert identity is not None and identity.status_of("sms") is SubscriptionStatus.SUBSCRIBED
    assert len(open_tasks(container)) == 1


def test_help_is_answered_with_campaign_name_and_how_to_stop(client: Any, container: Container) -> None:
    response = send(client, "help", "SM" + "6" * 32)

    body = response.body.decode()
    assert "Jane for Council" in body and "STOP" in body
    assert open_tasks(container) == []


def test_help_already_answered_by_twilio_is_not_answered_again(client: Any) -> None:
    response = send(client, "INFO", "SM" + "7" * 32, OptOutType="HELP")

    assert "<Message>" not in response.body.decode()


def test_unsigned_request_is_forbidden_and_stores_nothing(client: Any, container: Container) -> None:
    sample = event("twilio_sms_inbound")
    headers = {k: v for k, v in sample["headers"].items() if k != "X-Twilio-Signature"}

    response = client.http.post(SMS, headers=headers, body=sample["body"])

    assert response.status_code == 403
    assert container.people.find_identity(Address("phone", "+16175550199")) is None


def test_tampered_body_is_forbidden(client: Any, container: Container) -> None:
    sample = event("twilio_sms_inbound")
    body = sample["body"].replace("Pothole", "Nothing")

    response = client.http.post(SMS, headers=sample["headers"], body=body)

    assert response.status_code == 403
    assert open_tasks(container) == []


def test_signature_for_another_host_is_forbidden(client: Any) -> None:
    fields = sms_fields("hi", "SM" + "8" * 32)
    from urllib.parse import urlencode

    from twilio.request_validator import RequestValidator

    from tests.support.signing import TWILIO_TOKEN

    body = urlencode(fields)
    # Signed for a URL an attacker controls, delivered with a Host header that matches it.
    signature = RequestValidator(TWILIO_TOKEN).compute_signature("https://evil.example" + SMS, fields)
    response = client.http.post(
        SMS, headers={"Content-Type": "application/x-www-form-urlencoded",
                      "X-Twilio-Signature": signature, "Host": "evil.example"}, body=body,
    )  # fmt: skip
    assert response.status_code == 403


@pytest.mark.parametrize("missing", ["From", "MessageSid"])
def test_missing_required_field_is_a_clear_400(client: Any, container: Container, missing: str) -> None:
    fields = sms_fields("hi", "SM" + "9" * 32)
    del fields[missing]
    headers, body = signed_twilio(SMS, fields)

    response = client.http.post(SMS, headers=headers, body=body)

    assert response.status_code == 400
    assert missing in response.json_body["Message"]
    assert open_tasks(container) == []


def test_undecodable_bytes_are_a_400(client: Any) -> None:
    response = client.http.post(
        SMS, headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x"},
        body=b"Body=\xff\xfe&From=%2B1",
    )  # fmt: skip
    assert response.status_code == 400


def test_two_megabyte_body_is_refused(client: Any) -> None:
    headers, _ = signed_twilio(SMS, sms_fields("hi", "SM" + "a" * 32))
    response = client.http.post(SMS, headers=headers, body="Body=" + "x" * (2 * 1024 * 1024))
    assert response.status_code == 413


def test_numbers_are_stored_e164(client: Any, container: Container) -> None:
    send(client, "hello", "SM" + "b" * 32, sender="(617) 555-0142")
    assert container.people.find_identity(Address("phone", "+16175550142")) is not None
