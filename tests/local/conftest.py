"""Fixtures for the local stack's tests: a real moto server on a free port, isolated env."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

REGION = "us-east-1"


@pytest.fixture
def local_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials moto accepts, and no endpoint or settings leaking in from the shell."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def moto_endpoint(local_env: None) -> Iterator[str]:
    """A moto server on 127.0.0.1 and a free port, emptied before the test."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    # Backends are process-wide: start from nothing whatever ran before.
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass
    yield endpoint
    server.stop()


def client(service: str, endpoint: str) -> Any:
    return boto3.session.Session().client(service, endpoint_url=endpoint, region_name=REGION)


@pytest.fixture
def sqs(moto_endpoint: str) -> Any:
    return client("sqs", moto_endpoint)


@pytest.fixture
def dynamodb(moto_endpoint: str) -> Any:
    return client("dynamodb", moto_endpoint)
