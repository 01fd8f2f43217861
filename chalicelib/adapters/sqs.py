"""The outbound queue on Amazon SQS."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from chalicelib.domain.model import iso
from chalicelib.services.ports import MessageRef

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

# SQS's own cap on DelaySeconds; longer waits (sending hours) are re-delayed by the worker.
MAX_DELAY_SECONDS = 900


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
