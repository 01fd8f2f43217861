"""The one fixture every contract suite shares: each test runs on the in-memory fakes and on
the DynamoDB repositories under moto, so a fake cannot drift from the real adapter."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.services.ports import Stores
from tests.fakes import in_memory_stores


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[Stores]:
    if request.param == "memory":
        yield in_memory_stores()
    else:
        yield request.getfixturevalue("dynamo_container").stores
