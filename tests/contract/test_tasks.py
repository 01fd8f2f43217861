"""The task port: the queue by due time, claims with a lease, completion, escalation.

Every test runs on the in-memory fake and on DynamoDB under moto (the ``store`` fixture).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.domain.model import (
    Address,
    Outcome,
    TaskStatus,
)
from chalicelib.services.ports import Stores
from chalicelib.services.ports.tasks import TaskStateError
from tests.contract.support import LEASE, T0, msg, open_task, record, record_call
from tests.fakes import InMemoryQueue
from tests.support.followup import CONSTITUENT
from tests.support.followup import inbound as text_in
from tests.support.people import inbound, known_person


def test_tasks_page_in_due_order_across_shards(store: Stores) -> None:
    for i in range(9):
        record(store, msg(f"SM{i}", f"m{i}", T0 + timedelta(minutes=i), address=f"+1617555{2000 + i:04d}"))

    seen: list[str] = []
    cursor = None
    while True:
        page = store.tasks.list_tasks(TaskStatus.OPEN, 4, cursor)
        seen += [t.preview for t in page.tasks]
        cursor = page.next
        if cursor is None:
            break

    assert seen == [f"m{i}" for i in range(9)]
    assert store.tasks.list_tasks(TaskStatus.CLAIMED, 4, None).tasks == []


def test_task_preview_changes_only_while_it_is_a_placeholder(store: Any) -> None:
    _, task_id = record_call(store)

    assert store.tasks.set_task_preview(task_id, "voicemail", ("called, left no message", "voicemail")) is True
    assert store.tasks.get_task(task_id).preview == "voicemail"
    assert store.tasks.set_task_preview(task_id, "real words", ("called, left no message", "voicemail")) is True
    assert store.tasks.set_task_preview(task_id, "late", ("called, left no message", "voicemail")) is False
    assert store.tasks.get_task(task_id).preview == "real words"
    assert store.tasks.set_task_preview("no-such-task", "x", ("real words",)) is False


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

    done = store.tasks.complete_task(first, "vol-1", Outcome.ANSWERED, clock())

    assert done.status is TaskStatus.DONE and done.outcome == "answered"
    assert store.tasks.get_task(first).status is TaskStatus.DONE  # type: ignore[union-attr]
    identity = store.people.find_identity(Address("phone", CONSTITUENT))
    assert identity is not None and identity.open_task_id is None
    assert store.people.get_person(identity.person_id).open_task_id is None  # type: ignore[union-attr]
    assert [t.id for t in store.tasks.list_tasks(TaskStatus.DONE, 10, None).tasks] == [first]

    clock.advance(minutes=5)
    again = text_in(store, clock(), text="Any news?")
    assert again.outcome == "task_opened" and again.task_id != first
    assert again.reply_text is not None  # a new acknowledgement
    # Closing twice is harmless.
    assert store.tasks.complete_task(first, "vol-1", Outcome.ANSWERED, clock()).status is TaskStatus.DONE


def test_only_the_holder_or_an_organizer_closes_a_task(store: Stores, clock: Any) -> None:
    task_id = open_task(store, clock)
    with pytest.raises(TaskStateError):
        store.tasks.complete_task(task_id, "vol-1", Outcome.ANSWERED, clock())  # not claimed
    store.tasks.claim_task(task_id, "vol-1", clock(), clock() + LEASE)
    with pytest.raises(TaskStateError):
        store.tasks.complete_task(task_id, "vol-2", Outcome.ANSWERED, clock())
    assert store.tasks.complete_task(task_id, None, Outcome.WRONG_NUMBER, clock()).outcome is Outcome.WRONG_NUMBER
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


def test_batched_identity_and_task_reads_skip_missing(store: Any) -> None:
    a = known_person(store, T0, phone="+16175550001")
    answer = inbound(store, InMemoryQueue(), T0, address="+16175550002")

    found = store.people.get_identities(
        [Address("phone", "+16175550001"), Address("phone", "+16175550002"), Address("phone", "+10000000")]
    )
    assert sorted(i.person_id for i in found) == sorted([a.id, answer.person_id])
    [task] = store.tasks.get_tasks([answer.task_id, "missing"])
    assert task.person_id == answer.person_id


def test_task_counts_come_from_the_task_index(store: Any) -> None:
    queue = InMemoryQueue()
    inbound(store, queue, T0, address="+16175550001")
    inbound(store, queue, T0 + timedelta(hours=2), address="+16175550002")

    assert store.tasks.count_tasks(TaskStatus.OPEN) == 2
    assert store.tasks.count_tasks(TaskStatus.OPEN, due_before=T0 + timedelta(hours=2)) == 1
    assert store.tasks.count_tasks(TaskStatus.DONE) == 0
