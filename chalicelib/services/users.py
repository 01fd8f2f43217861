"""Use cases: volunteers and organizers, and the bearer tokens they sign in with.

Tokens are shown once and stored only as SHA-256 hashes: a leaked table does not let
anyone sign in.
"""

from __future__ import annotations

import hashlib
import secrets

from chalicelib.domain.followup import StaffPhone
from chalicelib.domain.ids import new_id
from chalicelib.domain.model import Role, User
from chalicelib.services.errors import ConflictError, ForbiddenError, UnauthorizedError
from chalicelib.services.ports import Clock
from chalicelib.services.ports.staff import StaffStore
from chalicelib.services.ports.users import UserStore

SEED_ORGANIZER_ID = "seed-organizer"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def create_user(
    users: UserStore, staff: StaffStore, clock: Clock, name: str, role: Role, *, phone: str | None = None
) -> tuple[User, str]:
    token = new_token()
    user = User(id=new_id(), name=name, role=role, phone=phone, created_at=clock())
    if phone and staff.find_staff_phone(phone) is not None:  # texts from it are commands
        raise ConflictError("that phone number belongs to another user")
    users.put_user(user, hash_token(token))
    if phone:
        staff.put_staff_phone(StaffPhone(phone=phone, user_id=user.id, name=name, role=role))
    return user, token


def seed_organizer(store: UserStore, clock: Clock, token: str) -> User:
    """Make ``token`` sign in as an organizer (local runs); safe to call on every start."""
    existing = store.user_for_token(hash_token(token))
    if existing is not None:
        return existing
    user = User(id=SEED_ORGANIZER_ID, name="Organizer", role=Role.ORGANIZER, created_at=clock())
    store.put_user(user, hash_token(token))
    return user


def authenticate(store: UserStore, authorization: str | None, required: Role) -> User:
    if not authorization or not authorization.startswith("Bearer "):
        raise UnauthorizedError("missing bearer token")
    token = authorization[len("Bearer ") :].strip()
    user = store.user_for_token(hash_token(token)) if token else None
    if user is None:
        raise UnauthorizedError("unknown or revoked token")
    if not user.role.allows(required):
        raise ForbiddenError(f"this needs the {required.value} role")
    return user
