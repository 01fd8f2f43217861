"""The inbound port: one atomic write a message, duplicates and stale plans detected.

Every test runs on the in-memory fake and on DynamoDB under moto (the ``store`` fixture).
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.domain.channels import SMS
from chalicelib.domain.followup import StaffPhone
from chalicelib.domain.inbound import plan_inbound
from chalicelib.domain.keywords import Keyword
from chalicelib.domain.model import (
    Address,
    Direction,
    Role,
    SubscriptionStatus,
    TaskStatus,
)
from chalicelib.services.ports import Stores
from chalicelib.services.ports.inbound import DuplicateDeliveryError, StalePlanError
from tests.contract.support import T0, TEXTS, msg, record
from tests.fakes import InMemoryQueue
from tests.support.followup import CONSTITUENT
from tests.support.followup import inbound as text_in
from tests.support.people import inbound, known_person


def test_new_person_is_written_with_identity_message_ack_and_task(store: Stores) -> None:
    task_id = record(store, msg("SM1"))

    identity = store.people.find_identity(Address("phone", "+16175550199"))
    assert identity is not None and identity.open_task_id == task_id
    assert identity.status_of(SMS) is SubscriptionStatus.SUBSCRIBED
    person = store.people.get_person(identity.person_id)
    assert person is not None and person.open_task_id == task_id and person.first_contact_at == T0
    messages = store.messages.list_messages(identity.person_id)
    assert [m.direction for m in messages] == [Direction.INBOUND, Direction.OUTBOUND]
    task = store.tasks.get_task(task_id or "")
    assert task is not None and task.status is TaskStatus.OPEN and task.preview == "hello"


def test_second_delivery_raises_duplicate_with_the_first_answer(store: Stores) -> None:
    m = msg("SM1")
    identity = store.people.find_identity(Address("phone", m.address))
    first = plan_inbound(m, identity, None, TEXTS, 60)
    store.inbound.record_inbound(first)
    again = plan_inbound(m, store.people.find_identity(Address("phone", m.address)), None, TEXTS, 60)

    with pytest.raises(DuplicateDeliveryError) as caught:
        store.inbound.record_inbound(again)

    assert caught.value.answer == first.answer
    person_id = first.person_id
    assert len(store.messages.list_messages(person_id)) == 2


def test_join_updates_the_task_and_writes_no_second_ack(store: Stores) -> None:
    task_id = record(store, msg("SM1"))
    joined = record(store, msg("SM2", "more detail", T0 + timedelta(minutes=3)))

    assert joined == task_id
    task = store.tasks.get_task(task_id or "")
    assert task is not None and task.inbound_count == 2 and task.preview == "more detail"
    identity = store.people.find_identity(Address("phone", "+16175550199"))
    assert identity is not None
    assert [m.kind for m in store.messages.list_messages(identity.person_id)] == [
        "message",
        "acknowledgement",
        "message",
    ]


def test_plan_that_assumed_no_open_task_is_stale_when_one_exists(store: Stores) -> None:
    record(store, msg("SM1"))
    identity = store.people.find_identity(Address("phone", "+16175550199"))
    stale = plan_inbound(msg("SM2", at=T0 + timedelta(minutes=1)), identity, None, TEXTS, 60)

    with pytest.raises(StalePlanError):
        store.inbound.record_inbound(stale)


def test_two_first_messages_racing_for_one_new_identity(store: Stores) -> None:
    a = plan_inbound(msg("SMa"), None, None, TEXTS, 60)
    b = plan_inbound(msg("SMb"), None, None, TEXTS, 60)
    store.inbound.record_inbound(a)

    with pytest.raises(StalePlanError):
        store.inbound.record_inbound(b)


def test_keyword_sets_the_subscription_without_a_task(store: Stores) -> None:
    record(store, msg("SM1"))
    record(store, msg("SM2", "STOP", T0 + timedelta(minutes=1), keyword=Keyword.OPT_OUT))

    identity = store.people.find_identity(Address("phone", "+16175550199"))
    assert identity is not None and identity.status_of(SMS) is SubscriptionStatus.OPTED_OUT
    assert len(store.tasks.list_tasks(TaskStatus.OPEN, 10, None).tasks) == 1


def test_concurrent_redeliveries_write_once(store: Stores) -> None:
    m = msg("SMrace")
    outcomes: list[str] = []
    lock = threading.Lock()

    def deliver() -> None:
        plan = plan_inbound(m, None, None, TEXTS, 60)
        try:
            store.inbound.record_inbound(plan)
            result = "written"
        except DuplicateDeliveryError:
            result = "duplicate"
        except Exception as exc:  # in-flight conflicts and stale plans are acceptable losers
            result = type(exc).__name__
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert outcomes.count("written") == 1
    assert len(store.tasks.list_tasks(TaskStatus.OPEN, 10, None).tasks) == 1


def test_one_lookup_tells_constituents_from_staff(store: Stores, clock: Any) -> None:
    text_in(store, clock())
    store.staff.put_staff_phone(StaffPhone(phone="+16175550001", user_id="u-ann", name="Ann", role=Role.VOLUNTEER))

    constituent = store.inbound.find_sender(Address("phone", CONSTITUENT))
    staff = store.inbound.find_sender(Address("phone", "+16175550001"))
    stranger = store.inbound.find_sender(Address("phone", "+16175550999"))

    assert constituent.identity is not None and constituent.staff is None
    assert staff.identity is None and staff.staff is not None and staff.staff.user_id == "u-ann"
    assert stranger.identity is None and stranger.staff is None


def test_an_imported_person_is_found_by_their_phone_when_they_write(store: Any) -> None:
    person = known_person(store, T0, phone="+16175550001")
    answer = inbound(store, InMemoryQueue(), T0 + timedelta(minutes=1), address="+16175550001")
    assert answer.person_id == person.id
