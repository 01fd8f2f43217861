"""The staff port: volunteers' phones, shifts and the task each has in hand.

Every test runs on the in-memory fake and on DynamoDB under moto (the ``store`` fixture).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.domain.followup import StaffPhone
from chalicelib.domain.model import (
    Role,
)
from chalicelib.services.ports import Stores
from tests.support.followup import CONSTITUENT


def test_staff_phones_shifts_and_offers(store: Stores, clock: Any) -> None:
    ann = StaffPhone(phone="+16175550001", user_id="u-ann", name="Ann", role=Role.VOLUNTEER)
    bob = StaffPhone(phone="+16175550002", user_id="u-bob", name="Bob", role=Role.VOLUNTEER)
    org = StaffPhone(phone="+16175550003", user_id="u-org", name="Ola", role=Role.ORGANIZER)
    for staff in (ann, bob, org):
        store.staff.put_staff_phone(staff)

    assert store.staff.find_staff_phone("+16175550001") == ann
    assert store.staff.find_staff_phone(CONSTITUENT) is None
    assert store.staff.on_shift() == []
    store.staff.set_shift(ann.phone, True)
    store.staff.set_shift(bob.phone, True)
    store.staff.set_current_task(ann.phone, "t1", clock())
    # Bob has had no offer yet, so he is first in line.
    assert [s.name for s in store.staff.on_shift()] == ["Bob", "Ann"]
    assert store.staff.find_staff_phone(ann.phone).current_task_id == "t1"  # type: ignore[union-attr]
    store.staff.set_current_task(ann.phone, None, clock())
    assert store.staff.find_staff_phone(ann.phone).current_task_id is None  # type: ignore[union-attr]
    off = store.staff.set_shift(bob.phone, False)
    assert off is not None and not off.on_shift
    assert [s.name for s in store.staff.on_shift()] == ["Ann"]
    assert [s.name for s in store.staff.staff_with_role(Role.ORGANIZER)] == ["Ola"]
    assert store.staff.set_shift("+19999999999", True) is None


def test_forwarded_marks_and_handled_deliveries(store: Stores, clock: Any) -> None:
    store.staff.put_staff_phone(StaffPhone(phone="+16175550001", user_id="u-ann", name="Ann", role=Role.VOLUNTEER))
    store.staff.set_current_task("+16175550001", "t1", clock())
    assert store.staff.find_staff_phone("+16175550001").forwarded_at == clock()  # type: ignore[union-attr]
    store.staff.mark_forwarded("+16175550001", clock() + timedelta(minutes=3))
    assert store.staff.find_staff_phone("+16175550001").forwarded_at == clock() + timedelta(minutes=3)  # type: ignore[union-attr]

    assert store.inbound.mark_handled("sms#SMvolunteer1", clock()) is True
    assert store.inbound.mark_handled("sms#SMvolunteer1", clock()) is False
