"""Port: people, their addresses and subscriptions, stance data points, merges and erasure."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chalicelib.domain.exports import Contact
from chalicelib.domain.model import Address, Channel, Identity, Person, SubscriptionStatus
from chalicelib.domain.stance import Stance


class PersonNotFoundError(Exception):
    """No person with that id."""


class IdentityTakenError(Exception):
    """An address being created already belongs to a person."""

    def __init__(self, person_id: str) -> None:
        super().__init__("identity already exists")
        self.person_id = person_id


@dataclass(frozen=True)
class PersonRow:
    """A person as exports list them, from one item: the profile, the current stance, and
    each address's subscription statuses and channels written on (kept on the person item by
    every write that changes an identity's, so an export never reads the identities)."""

    person: Person
    stance: Stance | None
    contacts: tuple[Contact, ...] = ()


class PeopleStore(Protocol):
    def get_person(self, person_id: str) -> Person | None: ...

    def find_identity(self, address: Address) -> Identity | None: ...

    def get_identities(self, addresses: list[Address]) -> list[Identity]:
        """Identities for addresses, in one batched read; missing ones are skipped."""

    def set_subscription(self, address: Address, channel: Channel, status: SubscriptionStatus) -> None:
        """The identity's status on a channel, and its person's mirror, together (no identity: nothing)."""

    def add_stance(self, stance: Stance, changed_at: datetime | None = None) -> bool:
        """Keep a stance data point; it becomes the person's current stance when it is the
        newest. ``changed_at`` (default: recorded_at) is when the person counts as changed
        for exports. True when it became current. Raises PersonNotFoundError."""

    def list_stances(self, person_id: str) -> list[Stance]:
        """Every data point, oldest first (history is never overwritten)."""

    def get_current_stance(self, person_id: str) -> Stance | None: ...

    def update_person(self, person_id: str, changes: dict[str, str | None], at: datetime) -> Person:
        """Set profile fields (None removes); records the change time. Raises PersonNotFoundError."""

    def people_pages(self, since: datetime | None, page_size: int) -> Iterator[list[PersonRow]]:
        """Every person (changed at or after ``since``) with their current stance and contacts,
        a page at a time; reads the store lazily so memory stays flat whatever the number of people."""

    def count_people(self, since: datetime | None) -> int: ...

    def create_person(self, person: Person, identities: list[Identity], stance: Stance | None) -> None:
        """Create a known person (import). Raises IdentityTakenError when an address already
        belongs to someone (nothing is written then)."""

    def move_person_data(self, from_id: str, to_id: str) -> set[str]:
        """Move messages and stance history from one person to another (merge); re-point provider
        ids and the tasks those messages belong to. Safe to run again. Returns the task ids."""

    def reassign_identity(self, address: Address, person_id: str, open_task_id: str | None) -> None: ...

    def replace_person(self, person: Person, stance: Stance | None) -> None:
        """Overwrite a person's profile and current stance (the end of a merge); the mirror of
        the identities is rebuilt from them."""

    def delete_profile(self, person_id: str) -> None:
        """Remove only the person item (the last step of a merge, after everything moved)."""

    def erase_person(self, person_id: str, suppress: list[str], record: dict[str, str]) -> None:
        """Delete everything about a person; keep only hashed suppression entries and a record
        of the deletion (no personal data in either)."""
