"""Secrets, signers and helpers for the channel tests (voice, Meta, X, email).

Every request is signed here with the sample secrets, exactly as the providers sign them.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.adapters.aws import aws_client
from chalicelib.adapters.channels.signing import base64_signature, hex_signature
from chalicelib.bootstrap import Container
from chalicelib.config import Settings
from chalicelib.domain.model import Address, Direction, Message, Task, TaskStatus
from tests.support.signing import BASE_URL, event

META_SECRET = "test_meta_app_secret_abcdef012345"
META_VERIFY = "test-verify-token-42"
X_SECRET = "test_x_consumer_secret_ZYXWVUTSRQPONMLKJIHGFEDCBA0123456789"
X_ACCOUNT = "4337869213"
TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:inbound-mail"


def channel_settings(base: Settings) -> Settings:
    return base.model_copy(
        update={
            "meta_app_secret": META_SECRET,
            "meta_verify_token": META_VERIFY,
            "x_consumer_secret": X_SECRET,
            "x_user_id": X_ACCOUNT,
            "inbound_email_topic_arn": TOPIC_ARN,
        }
    )


def path_and_query(url: str) -> str:
    return url[len(BASE_URL) :]


def meta_headers(body: bytes | str, secret: str = META_SECRET) -> dict[str, str]:
    raw = body.encode() if isinstance(body, str) else body
    return {"Content-Type": "application/json", "X-Hub-Signature-256": hex_signature(secret, raw)}


def x_headers(body: bytes | str, secret: str = X_SECRET) -> dict[str, str]:
    raw = body.encode() if isinstance(body, str) else body
    return {"Content-Type": "application/json", "x-twitter-webhooks-signature": base64_signature(secret, raw)}


def replay(client: Any, name: str) -> Any:
    """Send a signed sample exactly as the provider did."""
    sample = event(name)
    method = getattr(client.http, sample["method"].lower())
    kwargs: dict[str, Any] = {"headers": sample["headers"]}
    if sample["method"] != "GET":
        kwargs["body"] = sample["body"]
    return method(path_and_query(sample["url"]), **kwargs)


def open_tasks(c: Container) -> list[Task]:
    return c.tasks.list_tasks(TaskStatus.OPEN, 100, None).tasks


def conversation(c: Container, kind: str, address: str) -> list[Message]:
    identity = c.people.find_identity(Address(kind, address))
    assert identity is not None, f"no identity {kind}:{address}"
    return c.messages.list_messages(identity.person_id)


def acknowledgements(messages: list[Message]) -> list[Message]:
    return [m for m in messages if m.direction is Direction.OUTBOUND and m.kind == "acknowledgement"]


def queued_ids(c: Container) -> list[str]:
    """Message ids waiting in the (moto) outbound SQS queue."""
    sqs = aws_client("sqs", c.settings)
    url = sqs.get_queue_url(QueueName=c.settings.outbound_queue_name)["QueueUrl"]
    ids: list[str] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60).get("Messages", [])
        if not got:
            return ids
        ids += [json.loads(m["Body"])["message_id"] for m in got]
