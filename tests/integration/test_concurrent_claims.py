"""Many volunteers claim one task at the same moment: exactly one wins (DynamoDB under moto).

DynamoDB applies writes to one item one at a time and checks each condition against the
item as it is then. moto's in-process backend does not (two threads can both pass a
condition before either writes), so the test gives it DynamoDB's per-request atomicity with
a lock around each request. The threads still race from start to finish; what decides the
winner is the claim's condition expression, which is what is under test.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from chalicelib.bootstrap import Container
from chalicelib.domain.model import TaskStatus
from chalicelib.services.ports import TaskStateError
from tests.support.followup import inbound

VOLUNTEERS = 16


def atomic_requests(store: Any) -> None:
    client = store._db
    lock = threading.Lock()
    call = client._make_api_call

    def one_at_a_time(operation: str, params: dict[str, Any]) -> Any:
        with lock:
            return call(operation, params)

    client._make_api_call = one_at_a_time


def test_concurrent_claims_have_exactly_one_winner(dynamo_container: Container, clock: Any) -> None:
    store = dynamo_container.store
    atomic_requests(store)
    task_id = inbound(store, clock()).task_id
    assert task_id is not None
    barrier = threading.Barrier(VOLUNTEERS)
    winners: list[str] = []
    losers: list[str] = []

    def claim(volunteer: str) -> None:
        barrier.wait()
        try:
            store.claim_task(task_id, volunteer, clock(), clock() + timedelta(minutes=15))
            winners.append(volunteer)
        except TaskStateError:
            losers.append(volunteer)

    threads = [threading.Thread(target=claim, args=(f"vol-{n}",)) for n in range(VOLUNTEERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(winners) == 1 and len(losers) == VOLUNTEERS - 1
    task = store.get_task(task_id)
    assert task is not None and task.status is TaskStatus.CLAIMED and task.claimed_by == winners[0]
