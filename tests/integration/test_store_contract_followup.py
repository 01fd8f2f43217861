"""The follow-up store contract (issue 3), held by both the in-memory fake and DynamoDB under moto."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.domain.followup import StaffPhone
from chalicelib.domain.ids import new_id
from chalicelib.domain.model import Address, Channel, Direction, Message, MessageStatus, Role, TaskStatus
from chalicelib.services.ports import Stores
from chalicelib.services.ports.messages import MessageRef
from chalicelib.services.ports.tasks import TaskStateError
from tests.fakes import in_memory_stores
from tests.support.followup import CONSTITUENT, inbound

LEASE = timedelta(minutes=15)


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Stores:
    if request.param == "memory":
        return in_memory_stores()
    return request.getfixturevalue("dynamo_container").store  # type: ignore[no-any-return]


def open_task(store: Stores, clock: Any, **kwargs: Any) -> str:
    answer = inbound(store, clock(), **kwargs)
    assert answer.task_id is not None
    return answer.task_id


def test_claim_moves_the_task_from_open_to_claimed_with_a_lease(store: Stores, clock: Any) -> None:
    task_id = open_task(store, clock)

    task = store.tasks.claim_task(task_id, "vol-1", clock(), clock() + LEASE)

    assert task.status is TaskStatus.CLAIMED and task.claimed_by == "vol-1"
    assert task.lease_until == clock() + LEASE
    assert [t.id for t in store.tasks.list_tasks(TaskStatus.CLAIMED, 10, None).tasks] == [task_id]
    assert store.tasks.list_tasks(TaskStatus.OPEN, 10, None).tasks == []


def test_a_held_task_refuses_another_claim_until_the_lease_ends(store: Stores, clock: Any) -> None:
    task_id = open_task(store, clock)
    store.tasks.claim_task(task_id, "vol-1", clock(), clock() + LEASE)

    with pytest.raises(TaskStateError) as refused:
        store.tasks.claim_task(task_id, "vol-2", clock(), clock() + LEASE)
    assert refused.value.task is not None and refused.value.task.claimed_by == "vol-1"

    renewed = store.tasks.claim_task(task_id, "vol-1", clock() + timedelta(minutes=5), clock() + 2 * LEASE)
    assert renewed.lease_until == clock() + 2 * LEASE
    later = clock() + 2 * LEASE + timedelta(seconds=1)
    assert store.tasks.claim_task(task_id, "vol-2", later, later + LEASE).claimed_by == "vol-2"


def test_claiming_an_unknown_task_reports_no_task(store: Stores, clock: Any) -> None:
    with pytest.raises(TaskStateError) as refused:
        store.tasks.claim_task("nope", "vol-1", clock(), clock() + LEASE)
    assert refused.value.task is None


def test_release_by_the_holder_or_an_organizer_but_not_another_volunteer(store: Stores, clock: Any) -> None:
    task_id = open_task(store, clock)
    store.tasks.claim_task(task_id, "vol-1", clock(), clock() + LEASE)

    with pytest.raises(TaskStateError):
        store.tasks.release_task(task_id, "vol-2")
    released = store.tasks.release_task(task_id, "vol-1")
    assert released.status is TaskStatus.OPEN and released.claimed_by is None
    assert store.tasks.release_task(task_id, "vol-2").status is TaskStatus.OPEN  # already open: no-op

    store.tasks.claim_task(task_id, "vol-1", clock(), clock() + LEASE)
    assert store.tasks.release_task(task_id, None).status is TaskStatus.OPEN
    assert [t.id for t in store.tasks.list_tasks(TaskStatus.OPEN, 10, None).tasks] == [task_id]


def test_done_clears_the_open_task_so_the_next_message_opens_a_new_one(store: Stores, clock: Any) -> None:
    first = open_task(store, clock)
    store.tasks.claim_task(first, "vol-1", clock(), clock() + LEASE)

    done = store.tasks.complete_task(first, "vol-1", "answered", clock())

    assert done.status is TaskStatus.DONE and done.outcome == "answered"
    assert store.tasks.get_task(first).status is TaskStatus.DONE  # type: ignore[union-attr]
    identity = store.people.find_identity(Address("phone", CONSTITUENT))
    assert identity is not None and identity.open_task_id is None
    assert store.people.get_person(identity.person_id).open_task_id is None  # type: ignore[union-attr]
    assert [t.id for t in store.tasks.list_tasks(TaskStatus.DONE, 10, None).tasks] == [first]

    clock.advance(minutes=5)
    again = inbound(store, clock(), text="Any news?")
    assert again.outcome == "task_opened" and again.task_id != first
    assert again.reply_text is not None  # a new acknowledgement
    # Closing twice is harmless.
    assert store.tasks.complete_task(first, "vol-1", "answered", clock()).status is TaskStatus.DONE


def test_only_the_holder_or_an_organizer_closes_a_task(store: Stores, clock: Any) -> None:
    task_id = open_task(store, clock)
    with pytest.raises(TaskStateError):
        store.tasks.complete_task(task_id, "vol-1", "answered", clock())  # not claimed
    store.tasks.claim_task(task_id, "vol-1", clock(), clock() + LEASE)
    with pytest.raises(TaskStateError):
        store.tasks.complete_task(task_id, "vol-2", "answered", clock())
    assert store.tasks.complete_task(task_id, None, "wrong_number", clock()).outcome == "wrong_number"
    with pytest.raises(TaskStateError):
        store.tasks.claim_task(task_id, "vol-1", clock(), clock() + LEASE)  # done tasks cannot be claimed


def test_expired_leases_go_back_to_open(store: Stores, clock: Any) -> None:
    stale = open_task(store, clock)
    fresh = open_task(store, clock, sender="+16175550124")
    store.tasks.claim_task(stale, "vol-1", clock(), clock() + LEASE)
    store.tasks.claim_task(fresh, "vol-2", clock(), clock() + 2 * LEASE)

    reopened = store.tasks.expire_leases(clock() + LEASE + timedelta(seconds=1))

    assert [t.id for t in reopened] == [stale]
    assert store.tasks.get_task(stale).status is TaskStatus.OPEN  # type: ignore[union-attr]
    assert store.tasks.get_task(fresh).claimed_by == "vol-2"  # type: ignore[union-attr]


def test_overdue_tasks_and_priority_only_rises(store: Stores, clock: Any) -> None:
    early = open_task(store, clock)
    clock.advance(minutes=30)
    late = open_task(store, clock, sender="+16175550124")
    after_first_due = clock() + timedelta(minutes=31)

    assert [t.id for t in store.tasks.overdue_tasks(after_first_due, 1, after_first_due)] == [early]
    assert store.tasks.raise_priority(early, 1) is True
    assert store.tasks.raise_priority(early, 1) is False
    assert store.tasks.overdue_tasks(after_first_due, 1, after_first_due) == []
    much_later = clock() + timedelta(hours=3)
    assert [t.id for t in store.tasks.overdue_tasks(much_later, 2, much_later)] == [early, late]


def outbound_message(store: Stores, clock: Any, **kwargs: Any) -> MessageRef:
    message = Message(id=new_id(), person_id="p1", direction=Direction.OUTBOUND, channel=Channel.SMS,
                      text="hello", status=MessageStatus.QUEUED, created_at=clock(), address=CONSTITUENT,
                      kind="reply", **kwargs)  # fmt: skip
    store.messages.put_message(message)
    return MessageRef(message.person_id, message.id, message.created_at)


def test_a_message_is_sent_once_even_when_two_workers_try(store: Stores, clock: Any) -> None:
    ref = outbound_message(store, clock)
    lease = clock() + timedelta(seconds=30)

    first = store.sending.begin_send(ref, clock(), lease)
    second = store.sending.begin_send(ref, clock(), lease)

    assert first.started and first.message is not None and first.message.text == "hello"
    assert not second.started and second.message is not None and second.message.status is MessageStatus.SENDING
    store.sending.mark_sent(ref, Channel.SMS, "SM123", clock())
    sent = store.messages.get_message(ref)
    assert sent is not None and sent.status is MessageStatus.SENT and sent.provider_id == "SM123"
    assert store.messages.find_by_provider_id(Channel.SMS, "SM123") == ref
    assert not store.sending.begin_send(ref, clock() + timedelta(hours=1), lease).started


def test_a_crashed_send_may_be_retried_after_its_lease(store: Stores, clock: Any) -> None:
    ref = outbound_message(store, clock)
    store.sending.begin_send(ref, clock(), clock() + timedelta(seconds=30))
    assert store.sending.begin_send(ref, clock() + timedelta(seconds=31), clock() + timedelta(seconds=61)).started


def test_transient_errors_requeue_and_permanent_ones_fail_with_the_reason(store: Stores, clock: Any) -> None:
    ref = outbound_message(store, clock)
    store.sending.begin_send(ref, clock(), clock() + timedelta(seconds=30))
    store.sending.retry_later(ref, "HTTP 503")
    assert store.messages.get_message(ref).status is MessageStatus.QUEUED  # type: ignore[union-attr]
    assert store.sending.begin_send(ref, clock(), clock() + timedelta(seconds=30)).started

    store.sending.mark_failed(ref, "21211", "invalid 'To' phone number")
    failed = store.messages.get_message(ref)
    assert failed is not None and failed.status is MessageStatus.FAILED
    assert (failed.error_code, failed.error_reason) == ("21211", "invalid 'To' phone number")
    assert not store.sending.begin_send(ref, clock(), clock() + timedelta(seconds=30)).started


def test_a_message_held_for_sending_hours_is_not_started_early(store: Stores, clock: Any) -> None:
    ref = outbound_message(store, clock, send_after=clock() + timedelta(hours=10))

    early = store.sending.begin_send(ref, clock(), clock() + timedelta(seconds=30))
    assert not early.started and early.message is not None
    assert early.message.send_after == clock() + timedelta(hours=10)
    on_time = clock() + timedelta(hours=10, seconds=1)
    assert store.sending.begin_send(ref, on_time, on_time + timedelta(seconds=30)).started


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


def test_one_lookup_tells_constituents_from_staff(store: Stores, clock: Any) -> None:
    inbound(store, clock())
    store.staff.put_staff_phone(StaffPhone(phone="+16175550001", user_id="u-ann", name="Ann", role=Role.VOLUNTEER))

    constituent = store.inbound.find_sender(Address("phone", CONSTITUENT))
    staff = store.inbound.find_sender(Address("phone", "+16175550001"))
    stranger = store.inbound.find_sender(Address("phone", "+16175550999"))

    assert constituent.identity is not None and constituent.staff is None
    assert staff.identity is None and staff.staff is not None and staff.staff.user_id == "u-ann"
    assert stranger.identity is None and stranger.staff is None


def test_forwarded_marks_and_handled_deliveries(store: Stores, clock: Any) -> None:
    store.staff.put_staff_phone(StaffPhone(phone="+16175550001", user_id="u-ann", name="Ann", role=Role.VOLUNTEER))
    store.staff.set_current_task("+16175550001", "t1", clock())
    assert store.staff.find_staff_phone("+16175550001").forwarded_at == clock()  # type: ignore[union-attr]
    store.staff.mark_forwarded("+16175550001", clock() + timedelta(minutes=3))
    assert store.staff.find_staff_phone("+16175550001").forwarded_at == clock() + timedelta(minutes=3)  # type: ignore[union-attr]

    assert store.inbound.mark_handled("sms#SMvolunteer1", clock()) is True
    assert store.inbound.mark_handled("sms#SMvolunteer1", clock()) is False
