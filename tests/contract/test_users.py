"""The user port: accounts found by the hash of their token.

Every test runs on the in-memory fake and on DynamoDB under moto (the ``store`` fixture).
"""

from __future__ import annotations

from chalicelib.domain.model import (
    Role,
    User,
)
from chalicelib.services.ports import Stores
from tests.contract.support import T0


def test_users_are_found_by_token_hash(store: Stores) -> None:
    user = User(id="u1", name="Sam", role=Role.VOLUNTEER, created_at=T0)
    store.users.put_user(user, "hash1")

    assert store.users.user_for_token("hash1") == user
    assert store.users.get_user("u1") == user
    assert store.users.user_for_token("other") is None
