"""Accounts on DynamoDB: the user item, and a token item keyed by the token's hash."""

from __future__ import annotations

from chalicelib.adapters.dynamodb import keys
from chalicelib.adapters.dynamodb.codec import attrs
from chalicelib.adapters.dynamodb.table import Table
from chalicelib.domain.model import User


class DynamoDBUserStore:
    """:class:`~chalicelib.services.ports.users.UserStore` on the shared table."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def put_user(self, user: User, token_hash: str) -> None:
        found = {"type": "user", **attrs(user)}
        self.table.transact([
            {"Put": self.table.put_op(keys.user_key(user.id), found)},
            {"Put": self.table.put_op(keys.token_key(token_hash), {**found, "type": "token"})},
        ])  # fmt: skip

    def user_for_token(self, token_hash: str) -> User | None:
        item = self.table.get(keys.token_key(token_hash))
        return User.model_validate(item) if item else None

    def get_user(self, user_id: str) -> User | None:
        item = self.table.get(keys.user_key(user_id))
        return User.model_validate(item) if item else None
