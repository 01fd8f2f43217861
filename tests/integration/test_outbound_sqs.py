"""The registered queue handler on real SQS messages (moto): receipt handles, receive counts."""

from __future__ import annotations

import json
import os
from typing import Any

from chalice.test import Client

from app import app
from chalicelib.bootstrap import Container
from chalicelib.domain.channels import SMS
from chalicelib.domain.model import MessageStatus
from chalicelib.services import followup
from chalicelib.services.ports.messages import MessageRef
from tests.support.followup import FlakySender, inbound, make_user

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


def received_event(c: Container) -> dict[str, Any]:
    """What Lambda hands the function: the queue's messages, as received."""
    sqs: Any = c.queue._sqs  # type: ignore[attr-defined]
    got = sqs.receive_message(QueueUrl=c.queue.url, MaxNumberOfMessages=10,  # type: ignore[attr-defined]
                              AttributeNames=["All"], WaitTimeSeconds=0)  # fmt: skip
    return {"Records": [{
        "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
        "attributes": m["Attributes"], "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
        "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:hearback-test-outbound",
        "awsRegion": "us-east-1",
    } for m in got.get("Messages", [])]}  # fmt: skip


def test_queued_replies_are_sent_by_the_registered_worker(container: Container, clock: Any) -> None:
    sender = FlakySender(failures=1)
    container.senders = {SMS: sender}
    user, _ = make_user(container.stores, clock())
    refs = []
    for n in range(3):
        task_id = inbound(container.stores, clock(), sender=f"+1617555020{n}").task_id
        assert task_id is not None
        followup.claim(container, task_id, user)
        refs.append(MessageRef.of(followup.reply(container, task_id, user, f"Answer {n}")))

    with Client(app, stage_name="dev", project_dir=PROJECT) as client:
        event = received_event(container)
        assert len({r["messageId"] for r in event["Records"]}) == 3
        first = client.lambda_.invoke("outbound_worker", event).payload
        # One transient failure: that record alone is reported, and made invisible for the backoff.
        assert len(first["batchItemFailures"]) == 1
        assert len(sender.delivered) == 2
        failed_id = first["batchItemFailures"][0]["itemIdentifier"]
        retry = {"Records": [r for r in event["Records"] if r["messageId"] == failed_id]}
        retry["Records"][0]["attributes"]["ApproximateReceiveCount"] = "2"
        again = client.lambda_.invoke("outbound_worker", retry).payload

    assert again == {"batchItemFailures": []}
    assert sorted(m.text for m in sender.delivered) == ["Answer 0", "Answer 1", "Answer 2"]
    for ref in refs:
        message = container.messages.get_message(ref)
        assert message is not None and message.status is MessageStatus.SENT
    assert json.loads(event["Records"][0]["body"])["message_id"] in {r.message_id for r in refs}
