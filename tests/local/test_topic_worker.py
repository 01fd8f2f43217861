"""Inbound email locally: what is published to the SNS topic reaches the SNS handler."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chalice import Chalice

from chalicelib.local.topics import TopicWorker
from tests.local.conftest import client

SAMPLE = Path(__file__).resolve().parents[1] / "events" / "ses_sns_lambda_event.json"


def ses_notification() -> str:
    """The SES 'Received' notification inside the signed sample's SNS record."""
    event = json.loads(json.loads(SAMPLE.read_text())["body"])
    return str(event["Records"][0]["Sns"]["Message"])


def test_a_published_notification_reaches_the_handler_as_a_lambda_sns_event(moto_endpoint: str) -> None:
    app = Chalice(app_name="mail")
    seen: list[dict[str, Any]] = []

    @app.on_sns_message(topic="hearback-inbound-email")
    def inbound(event: Any) -> None:
        seen.append(event.to_dict())

    sns, sqs = client("sns", moto_endpoint), client("sqs", moto_endpoint)
    [worker] = TopicWorker.for_app(app, sns, sqs, wait_seconds=0)
    worker.subscribe()
    message = ses_notification()
    sns.publish(TopicArn=worker.topic_arn, Message=message, Subject="Amazon SES Email Receipt Notification")

    assert worker.poll_once() == 1

    [event] = seen
    [record] = event["Records"]
    assert record["EventSource"] == "aws:sns"
    assert record["Sns"]["TopicArn"] == worker.topic_arn
    assert record["Sns"]["Message"] == message
    assert worker.poll_once() == 0  # delivered once, then deleted
