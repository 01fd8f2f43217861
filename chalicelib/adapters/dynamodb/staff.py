"""Volunteers' and organizers' phones on DynamoDB: shifts in a sparse index, round robin by
the last offer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamodb import keys
from chalicelib.adapters.dynamodb.codec import attrs
from chalicelib.adapters.dynamodb.table import Table, condition_failed
from chalicelib.domain.followup import StaffPhone
from chalicelib.domain.model import Role, iso


def _offer_sort(staff: StaffPhone) -> str:
    return f"{iso(staff.last_offered_at) if staff.last_offered_at else '0'}#{staff.phone}"


class DynamoDBStaffStore:
    """:class:`~chalicelib.services.ports.staff.StaffStore` on the shared table."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def put_staff_phone(self, staff: StaffPhone) -> None:
        item: dict[str, Any] = {"type": "staffphone", **attrs(staff), "gsi2pk": keys.staff_role_partition(staff.role),
                                "gsi2sk": staff.user_id, "gsi1sk": _offer_sort(staff)}  # fmt: skip
        if staff.on_shift:
            item["gsi1pk"] = keys.SHIFT_ON
        self.table.put(keys.staff_key(staff.phone), item)

    def find_staff_phone(self, phone: str) -> StaffPhone | None:
        item = self.table.get(keys.staff_key(phone))
        return StaffPhone.model_validate(item) if item else None

    def set_shift(self, phone: str, on: bool) -> StaffPhone | None:
        expression = "SET on_shift = :on, gsi1pk = :shift" if on else "SET on_shift = :on REMOVE gsi1pk"
        values: dict[str, Any] = {":on": on, ":shift": keys.SHIFT_ON} if on else {":on": on}
        try:
            out = self.table.update(keys.staff_key(phone), expression, keys.EXISTS, values, returns="ALL_NEW")
        except ClientError as exc:
            if condition_failed(exc):
                return None
            raise
        return StaffPhone.model_validate(out)

    def on_shift(self) -> list[StaffPhone]:
        return [
            StaffPhone.model_validate(i) for i in self.table.query_index("gsi1", "gsi1pk = :pk", {":pk": keys.SHIFT_ON})
        ]

    def staff_with_role(self, role: Role) -> list[StaffPhone]:
        items = self.table.query_index("gsi2", "gsi2pk = :pk", {":pk": keys.staff_role_partition(role)})
        return [StaffPhone.model_validate(i) for i in items]

    def set_current_task(self, phone: str, task_id: str | None, now: datetime) -> None:
        if task_id is None:
            self.table.try_update(keys.staff_key(phone), "REMOVE current_task_id", keys.EXISTS)
            return
        # Offering moves them to the back of the on-shift line (round robin).
        self.table.try_update(
            keys.staff_key(phone),
            "SET current_task_id = :task, last_offered_at = :now, forwarded_at = :now, gsi1sk = :sk",
            keys.EXISTS,
            {":task": task_id, ":now": iso(now), ":sk": f"{iso(now)}#{phone}"},
        )

    def mark_forwarded(self, phone: str, until: datetime) -> None:
        self.table.try_update(keys.staff_key(phone), "SET forwarded_at = :at", keys.EXISTS, {":at": iso(until)})
