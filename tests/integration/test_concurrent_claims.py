"""Many volunteers claim one task at the same moment: exactly one wins (DynamoDB under moto).

moto's in-process backend checks a condition and writes without a lock; ``aws_env`` in
tests/conftest.py serialises its writes as DynamoDB does. The threads still race from start to
finish; what decides the winner is the claim's condition expression, which is under test.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from chalicelib.bootstrap import Container
from chalicelib.domain.model import TaskStatus
from chalicelib.services.ports.tasks import TaskStateError
from tests.support.followup import inbound

VOLUNTEERS = 16


def test_concurrent_claims_have_exactly_one_winner(dynamo_container: Container, clock: Any) -> None:
    store = dynamo_container.stores
    task_id = inbound(store, clock()).task_id
    assert task_id is not None
    barrier = threading.Barrier(VOLUNTEERS)
    winners: list[str] = []
    losers: list[str] = []

    def claim(volunteer: str) -> None:
        barrier.wait()
        try:
            store.tasks.claim_task(task_id, volunteer, clock(), clock() + timedelta(minutes=15))
            winners.append(volunteer)
        except TaskStateError:
            losers.append(volunteer)

    threads = [threading.Thread(target=claim, args=(f"vol-{n}",)) for n in range(VOLUNTEERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(winners) == 1 and len(losers) == VOLUNTEERS - 1
    task = store.tasks.get_task(task_id)
    assert task is not None and task.status is TaskStatus.CLAIMED and task.claimed_by == winners[0]
