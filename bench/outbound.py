"""Outbound worker and claim costs, on DynamoDB and SQS under moto (in process, offline).

Prints DynamoDB requests per message (counted with a botocore event hook, by operation),
time per message through the real queue handler, and the requests one claim costs.
Times under moto measure our code plus moto, not AWS latency; the request counts are what
carries over to AWS.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from datetime import timedelta
from typing import Any

from chalicelib.domain.channels import SMS

BATCH = 10
ROUNDS = 5


def _env() -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    }.items():
        os.environ[name] = value
    os.environ.pop("AWS_ENDPOINT_URL", None)


def run() -> None:
    _env()
    from moto import mock_aws

    with mock_aws():
        _run()


def _run() -> None:
    from chalicelib.adapters.aws import aws_client
    from chalicelib.adapters.resources import ensure_resources
    from chalicelib.api.workers import handle_outbound_batch
    from chalicelib.bootstrap import build_container, use_container
    from chalicelib.config import Settings
    from chalicelib.domain.ids import new_id
    from chalicelib.domain.inbound import AnswerTexts, InboundMessage
    from chalicelib.domain.model import MessageStatus, Role
    from chalicelib.services import followup, users
    from chalicelib.services.inbound import receive_message
    from chalicelib.services.ports.messages import MessageRef

    settings = Settings(table_name="bench", outbound_queue_name="bench-outbound", outbound_dlq_name="bench-dlq",
                        exports_bucket="bench-exports")  # fmt: skip
    ensure_resources(aws_client("dynamodb", settings), aws_client("sqs", settings), aws_client("s3", settings),
                     settings)  # fmt: skip
    c = build_container(settings)
    use_container(c)
    calls: Counter[str] = Counter()
    db: Any = c.stores.inbound.table.db  # type: ignore[attr-defined]
    db.meta.events.register("before-call.dynamodb", lambda model, **_: calls.update([model.name]))
    sqs: Any = c.queue._sqs  # type: ignore[attr-defined]
    texts = AnswerTexts(ack="Thanks!", first_contact_notice="", help="help")
    user, _ = users.create_user(c.users, c.staff, c.clock, "Bench", Role.VOLUNTEER)

    per_message: list[float] = []
    worker_calls: Counter[str] = Counter()
    claim_calls: Counter[str] = Counter()
    claims = 0
    for round_no in range(ROUNDS):
        refs = []
        for n in range(BATCH):
            msg = InboundMessage(channel=SMS, provider_id=f"SM{new_id()}", address=f"+1617555{round_no}{n:03d}",
                                 text="Please call me", received_at=c.clock(), answers_inline=True)  # fmt: skip
            task_id = receive_message(msg, c.inbound, c.queue, texts, 60).task_id or ""
            calls.clear()
            followup.claim(c, task_id, user)
            claim_calls.update(calls)
            claims += 1
            refs.append(MessageRef.of(followup.reply(c, task_id, user, "We're on it.")))
        got = sqs.receive_message(QueueUrl=c.queue.url, MaxNumberOfMessages=10, AttributeNames=["All"])  # type: ignore[attr-defined]
        records = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                    "attributes": m["Attributes"], "messageAttributes": {}, "eventSource": "aws:sqs"}
                   for m in got["Messages"]]  # fmt: skip
        calls.clear()
        start = time.perf_counter()
        result = handle_outbound_batch({"Records": records})
        elapsed = time.perf_counter() - start
        worker_calls.update(calls)
        per_message.append(elapsed / len(records))
        assert result == {"batchItemFailures": []}, result
        for ref in refs:
            sent = c.messages.get_message(ref)
            assert sent is not None and sent.status is MessageStatus.SENT
        for m in got["Messages"]:
            sqs.delete_message(QueueUrl=c.queue.url, ReceiptHandle=m["ReceiptHandle"])  # type: ignore[attr-defined]

    sent_total = BATCH * ROUNDS
    reads = sum(v for k, v in worker_calls.items() if k in {"GetItem", "Query", "Scan", "BatchGetItem"})
    writes = sum(v for k, v in worker_calls.items() if k in {"UpdateItem", "PutItem", "TransactWriteItems"})
    print(f"outbound worker: {ROUNDS} batches of {BATCH} queued replies through the SQS handler")
    print(
        f"  DynamoDB requests per message: {sum(worker_calls.values()) / sent_total:.2f} "
        f"({reads / sent_total:.2f} reads, {writes / sent_total:.2f} writes; scans: {worker_calls['Scan']})"
    )
    print(f"  by operation: {json.dumps({k: v / sent_total for k, v in sorted(worker_calls.items())})}")
    print(
        f"  time per message (moto, in process): best {min(per_message) * 1000:.1f} ms, "
        f"mean {sum(per_message) / len(per_message) * 1000:.1f} ms"
    )
    print(
        f"claim: {sum(claim_calls.values()) / claims:.2f} DynamoDB requests per claim "
        f"({json.dumps({k: v / claims for k, v in sorted(claim_calls.items())})})"
    )
    lease = timedelta(minutes=settings.task_lease_minutes)
    print(f"  (one conditional UpdateItem with a {lease} lease; the loser's 409 costs no extra read)")
    use_container(None)
    _in_memory()


def _in_memory() -> None:
    """The same batch on the in-memory fakes: the cost of our own code, without moto."""
    from chalicelib.api.workers import handle_outbound_batch
    from chalicelib.bootstrap import Container, use_container
    from chalicelib.config import Settings
    from chalicelib.domain.ids import new_id
    from chalicelib.domain.inbound import AnswerTexts, InboundMessage
    from chalicelib.domain.model import Role
    from chalicelib.services import followup, users
    from chalicelib.services.inbound import receive_message
    from chalicelib.services.ports.messages import MessageRef
    from tests.fakes import InMemoryQueue, in_memory_stores

    queue = InMemoryQueue()
    c = Container(settings=Settings(), stores=in_memory_stores(), queue=queue)
    use_container(c)
    texts = AnswerTexts(ack="Thanks!", first_contact_notice="", help="help")
    user, _ = users.create_user(c.users, c.staff, c.clock, "Bench", Role.VOLUNTEER)
    best = float("inf")
    for round_no in range(ROUNDS * 4):
        refs = []
        for n in range(BATCH):
            address = f"+1617556{round_no:02d}{n:02d}"
            msg = InboundMessage(channel=SMS, provider_id=f"SM{new_id()}", address=address,
                                 text="Please call me", received_at=c.clock(), answers_inline=True)  # fmt: skip
            task_id = receive_message(msg, c.inbound, c.queue, texts, 60).task_id or ""
            followup.claim(c, task_id, user)
            refs.append(MessageRef.of(followup.reply(c, task_id, user, "We're on it.")))
        records = [{"messageId": f"m{i}", "receiptHandle": f"r{i}", "body": json.dumps({
            "person_id": r.person_id, "message_id": r.message_id, "created_at": r.created_at.isoformat()}),
            "attributes": {"ApproximateReceiveCount": "1"}} for i, r in enumerate(refs)]  # fmt: skip
        start = time.perf_counter()
        handle_outbound_batch({"Records": records})
        best = min(best, (time.perf_counter() - start) / BATCH)
    print(f"  time per message on the in-memory fakes (our code alone): best {best * 1e6:.0f} us")
    use_container(None)


if __name__ == "__main__":
    run()
