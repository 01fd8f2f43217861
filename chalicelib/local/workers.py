"""Run the app's queue and schedule handlers locally, the way Lambda would.

``chalice local`` serves HTTP only. In AWS, Lambda's SQS event source mapping polls the
queue, hands the function a batch of records and deletes what succeeded; EventBridge fires
the scheduled functions. This module does both jobs against the local endpoint, calling the
very handler objects the app registered (Chalice's ``EventSourceHandler``, middleware
included) with the same event shapes, so queue and schedule code is exercised locally
exactly as deployed.

What is faithful here: partial batch responses (``batchItemFailures``) leave the failed
records on the queue, where the visibility timeout and the queue's redrive policy bring
them back and eventually move them to the dead-letter queue (moto implements redrive); a
handler that raises deletes nothing; a malformed partial batch response counts as a
failure of the whole batch, as in Lambda. Logs carry handler names, counts and message ids,
never bodies, attributes or exception messages.
"""

from __future__ import annotations

import base64
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalice.app import ScheduledEventConfig, ScheduleExpression, SQSEventConfig
from chalice.local import LambdaContext

from chalicelib.local.background import BackgroundLoop, describe_exception

if TYPE_CHECKING:
    from chalice.app import Chalice

log = logging.getLogger(__name__)

# moto's (and the AWS documentation's) example account; only used to build ARNs.
LOCAL_ACCOUNT_ID = "123456789012"
DEFAULT_TIMEOUT_MS = 60_000
DEFAULT_MEMORY_MB = 128
# SQS caps one ReceiveMessage at 10 messages.
SQS_MAX_BATCH = 10
# Cron expressions are not evaluated locally: such jobs run every minute.
CRON_INTERVAL_SECONDS = 60.0

Handler = Callable[[dict[str, Any], Any], Any]

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$", re.IGNORECASE)
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def schedule_interval(expression: str | ScheduleExpression) -> float:
    """Seconds between runs of a schedule expression.

    ``rate(N unit)`` is exact; ``cron(...)`` runs every minute locally, which is what the
    scheduled jobs here want while developing (they are written to be safe to run often).
    """
    text = expression if isinstance(expression, str) else expression.to_string()
    text = text.strip()
    match = _RATE.match(text)
    if match:
        value = int(match.group(1))
        if value < 1:
            raise ValueError(f"rate must be at least 1: {text!r}")
        unit = match.group(2).lower().rstrip("s")
        return float(value * _UNIT_SECONDS[unit])
    if text.lower().startswith("cron(") and text.endswith(")"):
        return CRON_INTERVAL_SECONDS
    raise ValueError(f"unsupported schedule expression: {text!r}")


def function_name(app: Chalice, stage: str, handler_name: str) -> str:
    """The Lambda function name Chalice would deploy the handler as."""
    return f"{app.app_name}-{stage}-{handler_name}"


def lambda_context(name: str, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> LambdaContext:
    """A context object with the attributes a Lambda context has (chalice local's own)."""
    return LambdaContext(
        function_name=name,
        memory_size=DEFAULT_MEMORY_MB,
        max_runtime_ms=timeout_ms,
    )


# --- SQS ------------------------------------------------------------------------------------


def sqs_sources(app: Chalice) -> list[SQSEventConfig]:
    return [s for s in app.event_sources if isinstance(s, SQSEventConfig)]


def schedule_sources(app: Chalice) -> list[ScheduledEventConfig]:
    return [s for s in app.event_sources if isinstance(s, ScheduledEventConfig)]


def queue_name_of(source: SQSEventConfig) -> str:
    if source.queue:
        return source.queue
    if source.queue_arn:
        return source.queue_arn.rsplit(":", 1)[-1]
    raise ValueError(f"SQS handler {source.name!r} names no queue")


def _lambda_message_attributes(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """SQS API message attributes -> the camelCase shape Lambda puts in SQS events."""
    converted: dict[str, Any] = {}
    for name, value in attributes.items():
        item: dict[str, Any] = {
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": value["DataType"],
        }
        if "StringValue" in value:
            item["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            raw = value["BinaryValue"]
            raw = raw if isinstance(raw, bytes) else str(raw).encode()
            item["binaryValue"] = base64.b64encode(raw).decode("ascii")
        converted[name] = item
    return converted


def sqs_record(message: Mapping[str, Any], *, queue_arn: str, region: str) -> dict[str, Any]:
    """One record of a Lambda SQS event, built from a ReceiveMessage result."""
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": _lambda_message_attributes(message.get("MessageAttributes", {})),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def failed_message_ids(result: Any, message_ids: Iterable[str]) -> set[str] | None:
    """Message ids the handler reported as failed; ``None`` means the whole batch failed.

    Mirrors Lambda's ReportBatchItemFailures rules: no response or an empty list is full
    success; an item without a known ``itemIdentifier`` invalidates the response, so the
    whole batch is retried.
    """
    known = set(message_ids)
    if not isinstance(result, Mapping) or "batchItemFailures" not in result:
        return set()
    failures = result["batchItemFailures"]
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return None
    failed: set[str] = set()
    for item in failures:
        identifier = item.get("itemIdentifier") if isinstance(item, Mapping) else None
        if not isinstance(identifier, str) or identifier not in known:
            return None
        failed.add(identifier)
    return failed


class QueueWorker(BackgroundLoop):
    """Long-polls one queue and feeds its handler Lambda-shaped SQS events.

    One worker per ``@app.on_sqs_message`` handler, as Lambda has one event source mapping
    per function. The queue URL and ARN are looked up lazily, so a worker started before
    its queue exists simply waits for it.
    """

    def __init__(
        self,
        *,
        handler: Handler,
        handler_name: str,
        queue_name: str,
        sqs: Any,
        region: str,
        function: str,
        batch_size: int = 1,
        wait_seconds: int = 1,
        timeout_ms: int = DEFAULT_TIMEOUT_MS,
    ) -> None:
        super().__init__()
        self.name = f"sqs-worker-{handler_name}"
        self.handler = handler
        self.handler_name = handler_name
        self.queue_name = queue_name
        self.sqs = sqs
        self.region = region
        self.function = function
        self.batch_size = max(1, min(batch_size, SQS_MAX_BATCH))
        self.wait_seconds = wait_seconds
        self.timeout_ms = timeout_ms
        self._queue_url: str | None = None
        self._queue_arn: str | None = None

    @classmethod
    def for_app(
        cls,
        app: Chalice,
        sqs: Any,
        *,
        region: str,
        stage: str = "dev",
        **kwargs: Any,
    ) -> list[QueueWorker]:
        """One worker for each SQS handler the app registered (blueprints included)."""
        return [
            cls(
                handler=app.handler_map[source.name],
                handler_name=source.name,
                queue_name=queue_name_of(source),
                sqs=sqs,
                region=region,
                function=function_name(app, stage, source.name),
                batch_size=source.batch_size,
                **kwargs,
            )
            for source in sqs_sources(app)
        ]

    def _resolve_queue(self) -> tuple[str, str]:
        if self._queue_url is None or self._queue_arn is None:
            url = self.sqs.get_queue_url(QueueName=self.queue_name)["QueueUrl"]
            attrs = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
            self._queue_url = str(url)
            self._queue_arn = str(attrs["Attributes"]["QueueArn"])
        return self._queue_url, self._queue_arn

    def step(self) -> float:
        self.poll_once()
        return 0.0

    def poll_once(self) -> int:
        """Receive one batch, run the handler, delete what succeeded; return the batch size."""
        url, arn = self._resolve_queue()
        received = self.sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=self.wait_seconds,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = received.get("Messages", [])
        if not messages:
            return 0
        event = {"Records": [sqs_record(m, queue_arn=arn, region=self.region) for m in messages]}
        ids = [m["MessageId"] for m in messages]
        try:
            result = self.handler(event, lambda_context(self.function, self.timeout_ms))
        except Exception as exc:
            # Lambda deletes nothing when the function fails; the batch comes back later.
            log.error(
                "%s: handler failed on %d message(s) %s: %s",
                self.handler_name,
                len(ids),
                ids,
                describe_exception(exc),
            )
            return len(messages)
        failed = failed_message_ids(result, ids)
        if failed is None:
            log.error("%s: invalid batchItemFailures; whole batch retried", self.handler_name)
            return len(messages)
        if failed:
            log.warning(
                "%s: %d message(s) reported failed: %s",
                self.handler_name,
                len(failed),
                sorted(failed),
            )
        done = [m for m in messages if m["MessageId"] not in failed]
        self._delete(url, done)
        return len(messages)

    def _delete(self, url: str, messages: list[Mapping[str, Any]]) -> None:
        if not messages:
            return
        handles = [m["ReceiptHandle"] for m in messages]
        entries = [{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(handles)]
        response = self.sqs.delete_message_batch(QueueUrl=url, Entries=entries)
        if response.get("Failed"):
            log.warning("%s: %d delete(s) failed", self.handler_name, len(response["Failed"]))


# --- Schedules ------------------------------------------------------------------------------


def scheduled_event(*, rule: str, region: str, now: datetime | None = None) -> dict[str, Any]:
    """The event EventBridge sends to a scheduled function."""
    when = now or datetime.now(UTC)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": LOCAL_ACCOUNT_ID,
        "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{LOCAL_ACCOUNT_ID}:rule/{rule}"],
        "detail": {},
    }


@dataclass
class ScheduledJob:
    name: str
    handler: Handler
    interval: float
    function: str
    next_due: float


class Scheduler(BackgroundLoop):
    """Fires each scheduled handler every interval (divided by ``scale``).

    The first run comes one interval after start, as with a new EventBridge rule. Jobs run
    one after another on this thread; a job that raises is logged and the others go on.
    """

    name = "scheduler"

    def __init__(
        self,
        jobs: list[ScheduledJob],
        *,
        region: str,
        clock: Callable[[], float] = time.monotonic,
        timeout_ms: int = DEFAULT_TIMEOUT_MS,
    ) -> None:
        super().__init__()
        self.jobs = jobs
        self.region = region
        self.clock = clock
        self.timeout_ms = timeout_ms

    @classmethod
    def for_app(
        cls,
        app: Chalice,
        *,
        region: str,
        stage: str = "dev",
        scale: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        **kwargs: Any,
    ) -> Scheduler:
        if scale <= 0:
            raise ValueError("schedule scale must be positive")
        start = clock()
        jobs = []
        for source in schedule_sources(app):
            interval = schedule_interval(source.schedule_expression) / scale
            jobs.append(
                ScheduledJob(
                    name=source.name,
                    handler=app.handler_map[source.name],
                    interval=interval,
                    function=function_name(app, stage, source.name),
                    next_due=start + interval,
                )
            )
        return cls(jobs, region=region, clock=clock, **kwargs)

    def step(self) -> float:
        self.run_due()
        if not self.jobs:
            return 3600.0
        wait = min(job.next_due for job in self.jobs) - self.clock()
        return max(0.05, wait)

    def run_due(self) -> list[str]:
        """Run every job that is due; return their names."""
        ran = []
        for job in self.jobs:
            now = self.clock()
            if job.next_due > now:
                continue
            # Schedule from now, not from the missed slot: no burst after a laptop sleeps.
            job.next_due = now + job.interval
            ran.append(job.name)
            event = scheduled_event(rule=job.function, region=self.region)
            try:
                job.handler(event, lambda_context(job.function, self.timeout_ms))
            except Exception as exc:
                log.error("%s: scheduled run failed: %s", job.name, describe_exception(exc))
        return ran
