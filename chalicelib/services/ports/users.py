"""Port: volunteers' and organizers' accounts, found by the hash of their bearer token."""

from __future__ import annotations

from typing import Protocol

from chalicelib.domain.model import User


class UserStore(Protocol):
    def put_user(self, user: User, token_hash: str) -> None: ...

    def user_for_token(self, token_hash: str) -> User | None: ...

    def get_user(self, user_id: str) -> User | None: ...
