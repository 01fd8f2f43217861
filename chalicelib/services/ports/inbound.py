"""Port: what the inbound path reads and writes when a constituent's message arrives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chalicelib.domain.followup import StaffPhone
from chalicelib.domain.inbound import Answer, InboundPlan
from chalicelib.domain.model import Address, Identity, Person


class DuplicateDeliveryError(Exception):
    """The provider's message id was already recorded; carries the first answer."""

    def __init__(self, answer: Answer) -> None:
        super().__init__("duplicate delivery")
        self.answer = answer


class InFlightError(Exception):
    """Another copy of the same delivery (or another change of the same task) is being written."""


class StalePlanError(Exception):
    """What the plan assumed about the person changed before it was written; plan again."""


@dataclass(frozen=True)
class SenderLookup:
    """Who is writing: a constituent's identity (or None: new) and/or a staff phone."""

    identity: Identity | None
    staff: StaffPhone | None


class InboundStore(Protocol):
    def find_identity(self, address: Address) -> Identity | None:
        """The identity for an address, read consistently, or None."""

    def find_sender(self, address: Address) -> SenderLookup:
        """The identity and the staff phone for an address, in one request (consistent)."""

    def get_person(self, person_id: str) -> Person | None:
        """The person item (authoritative for the open task when the identity's mirror is stale)."""

    def record_inbound(self, plan: InboundPlan) -> None:
        """Write the plan and its dedupe marker atomically.

        Raises DuplicateDeliveryError (with the first answer) when the provider id was
        already recorded, StalePlanError when the person's open task or the identity changed
        underneath the plan, InFlightError when a concurrent copy is mid-write.
        """

    def is_suppressed(self, identity_hash: str) -> bool:
        """Whether a deleted person's hashed address asked never to be contacted again."""

    def mark_handled(self, dedupe_key: str, now: datetime) -> bool:
        """Record a provider delivery as handled; False when it already was (a redelivery)."""
