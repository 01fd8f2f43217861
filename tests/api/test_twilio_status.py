"""POST /webhooks/twilio/status: statuses move forward only; 21610 opts the number out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.bootstrap import Container
from chalicelib.domain.channels import SMS
from chalicelib.domain.inbound import AnswerTexts, InboundMessage
from chalicelib.domain.model import Address, Direction, Message, MessageStatus, SubscriptionStatus
from chalicelib.services.inbound import receive_message
from chalicelib.services.ports.messages import MessageRef
from tests.support.signing import event, path_of, signed_twilio

STATUS = "/webhooks/twilio/status"
SID = "SMeeeeeeeeeeeeeeeeeeeeeeeeeeeeee04"  # the sid in the signed status samples


def sent_message(container: Container, sid: str = SID) -> MessageRef:
    """A constituent wrote in and a volunteer's reply went out with Twilio sid ``sid``."""
    now = container.clock()
    inbound = InboundMessage(SMS, "SMin" + sid[4:], "+16175550199", "hi", now, answers_inline=True)
    texts = AnswerTexts(ack="ack", first_contact_notice="", help="help")
    answer = receive_message(inbound, container.inbound, container.queue, texts, 60)
    reply = Message(
        id="01REPLY",
        person_id=answer.person_id,
        direction=Direction.OUTBOUND,
        channel=SMS,
        text="Thanks, we are on it",
        status=MessageStatus.SENT,
        created_at=now + timedelta(minutes=5),
        address="+16175550199",
        kind="reply",
    )
    container.messages.put_message(reply)  # type: ignore[attr-defined]
    ref = MessageRef(reply.person_id, reply.id, reply.created_at)
    container.messages.link_provider_id(SMS, sid, ref)
    return ref


def post_sample(client: Any, name: str) -> Any:
    sample = event(name)
    return client.http.post(path_of(sample["url"]), headers=sample["headers"], body=sample["body"])


def test_delivered_callback_moves_the_message_forward(client: Any, container: Container) -> None:
    ref = sent_message(container)

    response = post_sample(client, "twilio_status_delivered")

    assert response.status_code == 200
    message = container.messages.get_message(ref)
    assert message is not None and message.status is MessageStatus.DELIVERED


def test_late_sent_never_overwrites_delivered(client: Any, container: Container) -> None:
    ref = sent_message(container)
    post_sample(client, "twilio_status_delivered")
    headers, body = signed_twilio(STATUS, {"MessageSid": SID, "MessageStatus": "sent"})

    assert client.http.post(STATUS, headers=headers, body=body).status_code == 200
    message = container.messages.get_message(ref)
    assert message is not None and message.status is MessageStatus.DELIVERED


def test_undelivered_keeps_the_error_code(client: Any, container: Container) -> None:
    ref = sent_message(container)

    post_sample(client, "twilio_status_undelivered")

    message = container.messages.get_message(ref)
    assert message is not None
    assert message.status is MessageStatus.UNDELIVERED and message.error_code == "30003"


def test_21610_marks_the_number_opted_out(client: Any, container: Container) -> None:
    sent_message(container)
    headers, body = signed_twilio(
        STATUS, {"MessageSid": SID, "MessageStatus": "failed", "ErrorCode": "21610", "To": "+16175550199"}
    )

    assert client.http.post(STATUS, headers=headers, body=body).status_code == 200
    identity = container.people.find_identity(Address("phone", "+16175550199"))
    assert identity is not None and identity.status_of(SMS) is SubscriptionStatus.OPTED_OUT


def test_unknown_sid_is_accepted_and_ignored(client: Any) -> None:
    assert post_sample(client, "twilio_status_delivered").status_code == 200


def test_unsigned_status_is_forbidden(client: Any, container: Container) -> None:
    ref = sent_message(container)
    sample = event("twilio_status_delivered")
    headers = {**sample["headers"], "X-Twilio-Signature": "AAAAAAAAAAAAAAAAAAAAAAAAAAA="}

    assert client.http.post(STATUS, headers=headers, body=sample["body"]).status_code == 403
    message = container.messages.get_message(ref)
    assert message is not None and message.status is MessageStatus.SENT


def test_status_without_message_sid_is_a_400(client: Any) -> None:
    headers, body = signed_twilio(STATUS, {"MessageStatus": "sent"})
    assert client.http.post(STATUS, headers=headers, body=body).status_code == 400
