"""The outbound queue on Amazon SQS."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

from chalicelib.domain.model import iso
from chalicelib.services.ports.messages import MessageRef

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

# SQS's own cap on DelaySeconds; longer waits (sending hours) are re-delayed by the worker.
MAX_DELAY_SECONDS = 900
MAX_VISIBILITY_SECONDS = 12 * 60 * 60


def encode_ref(ref: MessageRef) -> str:
    return json.dumps({"person_id": ref.person_id, "message_id": ref.message_id, "created_at": iso(ref.created_at)})


class SQSOutboundQueue:
    """Queue bodies carry only a reference: the message itself was stored first."""

    def __init__(self, client: SQSClient, queue_name: str) -> None:
        self._sqs = client
        self._name = queue_name
        self._url: str | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            self._url = self._sqs.get_queue_url(QueueName=self._name)["QueueUrl"]
        return self._url

    def enqueue(self, ref: MessageRef, delay_seconds: int = 0) -> None:
        self._sqs.send_message(
            QueueUrl=self.url,
            MessageBody=encode_ref(ref),
            DelaySeconds=max(0, min(delay_seconds, MAX_DELAY_SECONDS)),
        )

    def retry_after(self, receipt_handle: str, delay_seconds: int) -> None:
        """Backoff: the failed message reappears after ``delay_seconds`` (visibility timeout)."""
        self._sqs.change_message_visibility(
            QueueUrl=self.url,
            ReceiptHandle=receipt_handle,
            VisibilityTimeout=max(0, min(delay_seconds, MAX_VISIBILITY_SECONDS)),
        )


def decode_ref(body: str) -> MessageRef:
    """The reverse of :func:`encode_ref`; raises ValueError for a body that is not one."""
    try:
        data = json.loads(body)
        return MessageRef(
            str(data["person_id"]),
            str(data["message_id"]),
            datetime.fromisoformat(str(data["created_at"]).replace("Z", "+00:00")),
        )
    except (TypeError, KeyError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a message reference: {exc}") from None
