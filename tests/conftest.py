from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

# Every channel module defines its channel's rules when the registry imports it, as in the app.
import chalicelib.adapters.channels.registry  # noqa: F401
from chalicelib.bootstrap import Container, build_container, use_container
from chalicelib.config import Settings
from tests.fakes import InMemoryQueue, in_memory_stores
from tests.support.signing import BASE_URL, TWILIO_TOKEN

ORGANIZER_TOKEN = "organizer-test-token"


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 26, 15, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def settings() -> Settings:
    return Settings(
        public_base_url=BASE_URL,
        campaign_name="Jane for Council",
        twilio_auth_token=TWILIO_TOKEN,
        twilio_account_sid="AC00000000000000000000000000000001",
        twilio_phone_number="+16175550100",
        table_name="hearback-test",
        outbound_queue_name="hearback-test-outbound",
        outbound_dlq_name="hearback-test-dlq",
        exports_bucket="hearback-test-exports",
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def memory_container(settings: Settings, clock: FakeClock) -> Container:
    return Container(settings=settings, stores=in_memory_stores(), queue=InMemoryQueue(), clock=clock)


def _serialize_moto_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make moto's DynamoDB writes atomic with respect to each other, as DynamoDB's are.

    moto checks a condition and then writes without a lock, so two threads can both pass
    ``attribute_not_exists`` on one key; DynamoDB never lets that happen. Concurrency tests
    must test our conditions, not moto's missing isolation.
    """
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        original = getattr(DynamoDBBackend, name)

        def locked(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return __original(self, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, locked)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from moto import mock_aws

    _serialize_moto_writes(monkeypatch)

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


@pytest.fixture
def dynamo_container(aws_env: None, settings: Settings, clock: FakeClock) -> Container:
    from chalicelib.adapters.aws import aws_client
    from chalicelib.adapters.resources import ensure_resources

    ensure_resources(
        aws_client("dynamodb", settings), aws_client("sqs", settings), aws_client("s3", settings), settings
    )
    container = build_container(settings)
    container.clock = clock
    return container


@pytest.fixture
def container(dynamo_container: Container) -> Iterator[Container]:
    """The container the app uses during a test: DynamoDB and SQS under moto."""
    from chalicelib.services.users import seed_organizer

    seed_organizer(dynamo_container.users, dynamo_container.clock, ORGANIZER_TOKEN)
    use_container(dynamo_container)
    yield dynamo_container
    use_container(None)


@pytest.fixture
def client(container: Container) -> Iterator[object]:
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="dev", project_dir=os.path.dirname(os.path.dirname(__file__))) as c:
        yield c


@pytest.fixture
def organizer_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ORGANIZER_TOKEN}"}
