"""Inbound email: the SES notification through SNS into the Lambda, from the sample event."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.bootstrap import Container
from chalicelib.config import Settings
from chalicelib.domain.model import Address, Direction, MessageStatus, SubscriptionStatus
from tests.support.channels import TOPIC_ARN, acknowledgements, channel_settings, conversation, open_tasks, queued_ids
from tests.support.signing import event

SENDER = "res@example.org"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return channel_settings(settings)


def sample_event() -> dict[str, Any]:
    return json.loads(event("ses_sns_lambda_event")["body"])


def sns_event(notification: dict[str, Any], topic: str = TOPIC_ARN, message_id: str = "sns-1") -> dict[str, Any]:
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": message_id,
                    "TopicArn": topic,
                    "Subject": "Amazon SES Email Receipt Notification",
                    "Message": json.dumps(notification),
                    "Timestamp": "2025-01-15T10:30:01.234Z",
                    "MessageAttributes": {},
                },
            }
        ]
    }


def received(mime: str, source: str = SENDER, ses_id: str = "ses-2") -> dict[str, Any]:
    return {
        "notificationType": "Received",
        "mail": {"source": source, "messageId": ses_id, "headers": [], "commonHeaders": {}},
        "receipt": {"action": {"type": "SNS", "encoding": "UTF8"}},
        "content": mime,
    }


def invoke(client: Any, payload: dict[str, Any]) -> Any:
    return client.lambda_.invoke("inbound_email", payload)


def test_sample_email_opens_a_task_and_queues_a_threaded_acknowledgement(client: Any, container: Container) -> None:
    invoke(client, sample_event())

    [task] = open_tasks(container)
    assert task.channel == "email" and task.preview == "Loud construction after 10pm on Oak Ave."
    messages = conversation(container, "email", SENDER)
    [inbound] = [m for m in messages if m.direction is Direction.INBOUND]
    assert inbound.provider_id == "<CAF1234567@mail.example.org>"
    assert inbound.meta["subject"] == "Noise complaint"
    assert "<0100018d-aaaa-bbbb@email.amazonses.com>" in inbound.meta["references"]
    person = container.people.get_person(task.person_id)
    assert person is not None and person.first_name == "Resident"
    [ack] = acknowledgements(messages)
    assert ack.status is MessageStatus.QUEUED and ack.address == SENDER
    assert ack.meta["in_reply_to"] == "<CAF1234567@mail.example.org>"
    assert queued_ids(container) == [ack.id]


def test_redelivery_is_one_message_one_task_one_acknowledgement(client: Any, container: Container) -> None:
    for _ in range(3):
        invoke(client, sample_event())

    messages = conversation(container, "email", SENDER)
    assert len([m for m in messages if m.direction is Direction.INBOUND]) == 1
    assert len(acknowledgements(messages)) == 1
    assert len(open_tasks(container)) == 1
    assert len(queued_ids(container)) == 1


def test_notification_from_another_topic_is_dropped(client: Any, container: Container) -> None:
    payload = sample_event()
    payload["Records"][0]["Sns"]["TopicArn"] = "arn:aws:sns:us-east-1:999999999999:someone-else"
    invoke(client, payload)
    assert open_tasks(container) == []


def test_out_of_office_is_recorded_but_never_acknowledged(client: Any, container: Container) -> None:
    mime = (
        "From: Pat <pat@example.org>\r\nTo: help@city.example.gov\r\nSubject: Out of office\r\n"
        "Message-ID: <ooo-1@example.org>\r\nAuto-Submitted: auto-replied\r\n\r\nI am away until Monday.\r\n"
    )
    invoke(client, sns_event(received(mime, "pat@example.org")))

    messages = conversation(container, "email", "pat@example.org")
    [inbound] = messages
    assert inbound.meta["automated"].startswith("auto-submitted")
    assert acknowledgements(messages) == []
    assert queued_ids(container) == []


def test_mailing_list_mail_is_never_acknowledged(client: Any, container: Container) -> None:
    mime = (
        "From: news@list.example\r\nSubject: Weekly digest\r\nMessage-ID: <l-1@list.example>\r\n"
        "List-Id: <weekly.list.example>\r\nPrecedence: bulk\r\n\r\nNews.\r\n"
    )
    invoke(client, sns_event(received(mime, "news@list.example")))
    assert acknowledgements(conversation(container, "email", "news@list.example")) == []


def test_permanent_bounce_and_complaint_suppress_the_address(client: Any, container: Container) -> None:
    invoke(client, sample_event())
    bounce = {
        "notificationType": "Bounce",
        "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": "Res@Example.org"}]},
        "mail": {"messageId": "x"},
    }
    invoke(client, sns_event(bounce))

    identity = container.people.find_identity(Address("email", SENDER))
    assert identity is not None and identity.status_of("email") is SubscriptionStatus.OPTED_OUT


def test_complaint_suppresses_the_address(client: Any, container: Container) -> None:
    invoke(client, sample_event())
    complaint = {"notificationType": "Complaint", "complaint": {"complainedRecipients": [{"emailAddress": SENDER}]}}
    invoke(client, sns_event(complaint))

    identity = container.people.find_identity(Address("email", SENDER))
    assert identity is not None and identity.status_of("email") is SubscriptionStatus.OPTED_OUT


def test_transient_bounce_changes_nothing(client: Any, container: Container) -> None:
    invoke(client, sample_event())
    bounce = {
        "notificationType": "Bounce",
        "bounce": {"bounceType": "Transient", "bouncedRecipients": [{"emailAddress": SENDER}]},
    }
    invoke(client, sns_event(bounce))

    identity = container.people.find_identity(Address("email", SENDER))
    assert identity is not None and identity.status_of("email") is SubscriptionStatus.SUBSCRIBED


def test_html_reply_with_quote_and_attachment(client: Any, container: Container) -> None:
    mime = (
        "From: Sam Lee <sam@example.org>\r\nSubject: Re: Town hall\r\nMessage-ID: <s-1@example.org>\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        "<html><body><p>Count me in &amp; my neighbour.</p><div>On Tue, Jan 14, 2025 at 9:00 AM Jane wrote:</div>"
        "<blockquote>Join us at the town hall</blockquote></body></html>\r\n"
        '--b1\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="petition.pdf"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b1--\r\n"
    )
    invoke(client, sns_event(received(mime, "sam@example.org")))

    [inbound, _ack] = conversation(container, "email", "sam@example.org")
    assert inbound.text == "Count me in & my neighbour."
    assert inbound.meta["attachments"] == "petition.pdf"
    assert inbound.media_urls == []


# SNS's own envelope is always well formed (Chalice reads it before the handler runs);
# what it carries may not be.
@pytest.mark.parametrize(
    "message",
    ["not json", "[]", "{}", json.dumps({"notificationType": "Received"}), json.dumps({"notificationType": "Bounce"})],
)
def test_bad_notifications_are_dropped_without_raising(client: Any, container: Container, message: str) -> None:
    payload = sns_event({})
    payload["Records"][0]["Sns"]["Message"] = message
    invoke(client, payload)
    assert open_tasks(container) == []
