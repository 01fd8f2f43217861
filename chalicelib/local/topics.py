"""Run the app's SNS topic handlers locally (SES inbound mail): the stack subscribes a queue to
each topic the app listens on and hands its notifications to the handler as Lambda would."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chalice.app import SNSEventConfig

from chalicelib.local.background import BackgroundLoop, describe_exception
from chalicelib.local.workers import (
    DEFAULT_TIMEOUT_MS,
    Handler,
    function_name,
    lambda_context,
)

if TYPE_CHECKING:
    from chalice.app import Chalice

log = logging.getLogger(__name__)


def sns_record(envelope: Mapping[str, Any], subscription_arn: str) -> dict[str, Any]:
    """The Lambda SNS record for a notification as SNS delivered it to an SQS subscription."""
    return {
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": subscription_arn,
        "Sns": {
            "Type": envelope.get("Type", "Notification"),
            "MessageId": envelope.get("MessageId", ""),
            "TopicArn": envelope.get("TopicArn", ""),
            "Subject": envelope.get("Subject"),
            "Message": envelope.get("Message", ""),
            "Timestamp": envelope.get("Timestamp", ""),
            "SignatureVersion": envelope.get("SignatureVersion", "1"),
            "Signature": envelope.get("Signature", ""),
            "SigningCertUrl": envelope.get("SigningCertURL", ""),
            "UnsubscribeUrl": envelope.get("UnsubscribeURL", ""),
            "MessageAttributes": envelope.get("MessageAttributes", {}),
        },
    }


class TopicWorker(BackgroundLoop):
    """Delivers what is published to an SNS topic to its ``@app.on_sns_message`` handler.

    moto's SNS cannot invoke a function, but it delivers to SQS subscriptions: the worker
    creates the topic and a delivery queue subscribed to it, and calls the handler with a
    Lambda SNS event for each notification (one record per invocation, as Lambda does). A
    handler that raises leaves the notification for a later try. Locally, inbound email is
    fed by publishing an SES notification to the topic (README, Running locally).
    """

    def __init__(
        self,
        *,
        handler: Handler,
        handler_name: str,
        topic_name: str,
        sns: Any,
        sqs: Any,
        function: str,
        wait_seconds: int = 1,
        timeout_ms: int = DEFAULT_TIMEOUT_MS,
    ) -> None:
        super().__init__()
        self.name = f"sns-worker-{handler_name}"
        self.handler = handler
        self.handler_name = handler_name
        self.topic_name = topic_name
        self.sns = sns
        self.sqs = sqs
        self.function = function
        self.wait_seconds = wait_seconds
        self.timeout_ms = timeout_ms
        self.topic_arn = ""
        self._queue_url: str | None = None
        self._subscription_arn = ""

    @classmethod
    def for_app(cls, app: Chalice, sns: Any, sqs: Any, *, stage: str = "dev", **kwargs: Any) -> list[TopicWorker]:
        return [
            cls(
                handler=app.handler_map[source.name],
                handler_name=source.name,
                topic_name=source.topic.rsplit(":", 1)[-1],
                sns=sns,
                sqs=sqs,
                function=function_name(app, stage, source.name),
                **kwargs,
            )
            for source in app.event_sources
            if isinstance(source, SNSEventConfig)
        ]

    def subscribe(self) -> str:
        """Create the topic and its delivery queue (idempotent); return the queue URL."""
        if self._queue_url is None:
            self.topic_arn = str(self.sns.create_topic(Name=self.topic_name)["TopicArn"])
            url = self.sqs.create_queue(QueueName=f"{self.topic_name}-local-delivery")["QueueUrl"]
            arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            self._subscription_arn = str(
                self.sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=arn)["SubscriptionArn"]
            )
            self._queue_url = str(url)
        return self._queue_url

    def step(self) -> float:
        self.poll_once()
        return 0.0

    def poll_once(self) -> int:
        url = self.subscribe()
        received = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=self.wait_seconds)
        messages = received.get("Messages", [])
        for message in messages:
            try:
                envelope = json.loads(message["Body"])
                event = {"Records": [sns_record(envelope, self._subscription_arn)]}
                self.handler(event, lambda_context(self.function, self.timeout_ms))
            except Exception as exc:
                log.error(
                    "%s: handler failed on %s: %s", self.handler_name, message["MessageId"], describe_exception(exc)
                )
                continue
            self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)
