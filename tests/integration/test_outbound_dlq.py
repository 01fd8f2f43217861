"""A poison message ends in the dead-letter queue through the queue's redrive policy (moto SQS)."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.resources import DLQ_MAX_RECEIVES
from chalicelib.api.workers import handle_outbound_batch
from chalicelib.bootstrap import Container


def test_a_poison_message_is_dead_lettered_after_the_max_receives(container: Container) -> None:
    sqs: Any = container.queue._sqs  # type: ignore[attr-defined]
    url = container.queue.url  # type: ignore[attr-defined]
    dlq = sqs.get_queue_url(QueueName=container.settings.outbound_dlq_name)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="{not a reference")

    for _ in range(DLQ_MAX_RECEIVES):
        got = sqs.receive_message(QueueUrl=url, AttributeNames=["All"], MaxNumberOfMessages=10)
        [m] = got["Messages"]
        event = {"Records": [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                              "attributes": m["Attributes"], "eventSource": "aws:sqs"}]}  # fmt: skip
        result = handle_outbound_batch(event)
        assert result == {"batchItemFailures": [{"itemIdentifier": m["MessageId"]}]}
        # What the visibility timeout does with time: the failed record becomes visible again.
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)

    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
    [dead] = sqs.receive_message(QueueUrl=dlq)["Messages"]
    assert dead["Body"] == "{not a reference"
