"""Port: volunteers' and organizers' own phones, their shifts and the task each has in hand."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from chalicelib.domain.followup import StaffPhone
from chalicelib.domain.model import Role


class StaffStore(Protocol):
    def put_staff_phone(self, staff: StaffPhone) -> None:
        """Register a user's own phone (its texts are commands, never constituent messages)."""

    def find_staff_phone(self, phone: str) -> StaffPhone | None: ...

    def set_shift(self, phone: str, on: bool) -> StaffPhone | None: ...

    def on_shift(self) -> list[StaffPhone]:
        """Staff on shift, the longest without an offer first."""

    def staff_with_role(self, role: Role) -> list[StaffPhone]: ...

    def set_current_task(self, phone: str, task_id: str | None, now: datetime) -> None:
        """The task offered to a phone by text (None: nothing in hand)."""

    def mark_forwarded(self, phone: str, until: datetime) -> None:
        """The constituent's messages up to ``until`` were passed on to this phone."""
