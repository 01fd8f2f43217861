"""The queue poller hands handlers Lambda's SQS event and deletes only what succeeded."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError
from chalice import Chalice

from chalicelib.local.workers import QueueWorker, failed_message_ids, lambda_context, sqs_record
from tests.local.conftest import REGION

QUEUE = "jobs"


class Recorder:
    """A tiny app whose queue handler records events and fails the bodies it is told to."""

    def __init__(self) -> None:
        self.app = Chalice(app_name="worker-test")
        self.events: list[dict[str, Any]] = []
        self.contexts: list[Any] = []
        self.fail_bodies: set[str] = set()
        self.raise_error = False

        @self.app.on_sqs_message(queue=QUEUE, batch_size=10)
        def handle_jobs(event: Any) -> dict[str, Any]:
            self.events.append(event.to_dict())
            self.contexts.append(event.context)
            if self.raise_error:
                raise RuntimeError("boom")
            return {
                "batchItemFailures": [
                    {"itemIdentifier": record.to_dict()["messageId"]}
                    for record in event
                    if record.body in self.fail_bodies
                ]
            }


def make_queue(sqs: Any, *, visibility: int = 30, max_receives: int | None = None) -> str:
    attributes = {"VisibilityTimeout": str(visibility)}
    if max_receives is not None:
        dlq = sqs.create_queue(QueueName=f"{QUEUE}-dlq")["QueueUrl"]
        dlq_attributes = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])
        redrive = {
            "deadLetterTargetArn": dlq_attributes["Attributes"]["QueueArn"],
            "maxReceiveCount": str(max_receives),
        }
        attributes["RedrivePolicy"] = json.dumps(redrive)
    return str(sqs.create_queue(QueueName=QUEUE, Attributes=attributes)["QueueUrl"])


def counts(sqs: Any, url: str) -> tuple[int, int]:
    """(visible, in flight) messages on the queue."""
    attrs = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attrs["ApproximateNumberOfMessages"]),
        int(attrs["ApproximateNumberOfMessagesNotVisible"]),
    )


def worker_for(recorder: Recorder, sqs: Any) -> QueueWorker:
    (worker,) = QueueWorker.for_app(recorder.app, sqs, region=REGION, stage="dev")
    return worker


def test_a_message_reaches_the_handler_as_a_lambda_sqs_event_and_is_deleted(sqs: Any) -> None:
    url = make_queue(sqs)
    recorder = Recorder()
    sqs.send_message(
        QueueUrl=url,
        MessageBody='{"job": 1}',
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "reply"}},
    )

    processed = worker_for(recorder, sqs).poll_once()

    assert processed == 1
    (event,) = recorder.events
    (record,) = event["Records"]
    assert record["body"] == '{"job": 1}'
    assert record["md5OfBody"] == hashlib.md5(b'{"job": 1}').hexdigest()
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == f"arn:aws:sqs:{REGION}:123456789012:{QUEUE}"
    assert record["awsRegion"] == REGION
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert "SentTimestamp" in record["attributes"]
    assert record["messageAttributes"] == {
        "kind": {
            "stringValue": "reply",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        }
    }
    assert record["messageId"] and record["receiptHandle"]
    context = recorder.contexts[0]
    assert context.function_name == "worker-test-dev-handle_jobs"
    assert context.get_remaining_time_in_millis() > 0
    assert counts(sqs, url) == (0, 0)


def test_a_reported_batch_item_failure_stays_on_the_queue(sqs: Any) -> None:
    url = make_queue(sqs, visibility=1)
    recorder = Recorder()
    recorder.fail_bodies = {"bad"}
    for body in ("good", "bad", "also good"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    worker = worker_for(recorder, sqs)

    worker.poll_once()

    handled = {r["body"] for e in recorder.events for r in e["Records"]}
    assert handled == {"good", "bad", "also good"}
    assert counts(sqs, url) == (0, 1)
    time.sleep(1.2)  # the visibility timeout brings the failed one back
    recorder.events.clear()
    worker.poll_once()
    (event,) = recorder.events
    (record,) = event["Records"]
    assert record["body"] == "bad"
    assert record["attributes"]["ApproximateReceiveCount"] == "2"


def test_a_handler_that_raises_deletes_nothing(sqs: Any) -> None:
    url = make_queue(sqs)
    recorder = Recorder()
    recorder.raise_error = True
    sqs.send_message(QueueUrl=url, MessageBody="one")
    sqs.send_message(QueueUrl=url, MessageBody="two")

    worker_for(recorder, sqs).poll_once()

    assert sum(len(e["Records"]) for e in recorder.events) == 2
    assert counts(sqs, url) == (0, 2)


def test_a_message_that_keeps_failing_ends_in_the_dead_letter_queue(sqs: Any) -> None:
    url = make_queue(sqs, visibility=0, max_receives=2)
    recorder = Recorder()
    recorder.fail_bodies = {"poison"}
    sqs.send_message(QueueUrl=url, MessageBody="poison")
    worker = worker_for(recorder, sqs)

    for _ in range(3):
        worker.poll_once()

    dlq = sqs.get_queue_url(QueueName=f"{QUEUE}-dlq")["QueueUrl"]
    moved = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
    assert [m["Body"] for m in moved] == ["poison"]
    assert counts(sqs, url) == (0, 0)


def test_the_worker_thread_drains_the_queue_and_stops_promptly(sqs: Any) -> None:
    url = make_queue(sqs)
    recorder = Recorder()
    worker = worker_for(recorder, sqs)
    worker.start()
    try:
        sqs.send_message(QueueUrl=url, MessageBody="threaded")
        deadline = time.monotonic() + 10
        while not recorder.events and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        started = time.monotonic()
        worker.stop()
    assert time.monotonic() - started < 3
    assert not worker.running
    assert [r["body"] for e in recorder.events for r in e["Records"]] == ["threaded"]
    assert counts(sqs, url) == (0, 0)


def test_a_worker_waits_for_its_queue_to_exist(sqs: Any) -> None:
    recorder = Recorder()
    worker = worker_for(recorder, sqs)
    with pytest.raises(ClientError):
        worker.poll_once()
    url = make_queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="late")
    assert worker.poll_once() == 1


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (None, set()),
        ({"batchItemFailures": []}, set()),
        ({"batchItemFailures": [{"itemIdentifier": "a"}]}, {"a"}),
        ({"batchItemFailures": [{"itemIdentifier": "unknown"}]}, None),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, None),
        ({"batchItemFailures": [{}]}, None),
        ({"batchItemFailures": "a"}, None),
        ("not a dict", set()),
    ],
)
def test_partial_batch_responses_follow_lambda_rules(result: Any, expected: Any) -> None:
    assert failed_message_ids(result, ["a", "b"]) == expected


def test_binary_message_attributes_arrive_base64_encoded() -> None:
    record = sqs_record(
        {
            "MessageId": "m1",
            "ReceiptHandle": "r1",
            "Body": "x",
            "MD5OfBody": "9dd4e461268c8034f5c8564e155c67a6",
            "MD5OfMessageAttributes": "abc",
            "Attributes": {"ApproximateReceiveCount": "1"},
            "MessageAttributes": {"blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}},
        },
        queue_arn="arn:aws:sqs:us-east-1:123456789012:q",
        region="us-east-1",
    )
    assert record["messageAttributes"]["blob"]["binaryValue"] == "AAE="
    assert record["md5OfMessageAttributes"] == "abc"


def test_lambda_context_reports_remaining_time() -> None:
    context = lambda_context("fn", timeout_ms=5000)
    assert 0 < context.get_remaining_time_in_millis() <= 5000
    assert context.aws_request_id
