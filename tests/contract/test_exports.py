"""The export-job and statistics ports.

Every test runs on the in-memory fake and on DynamoDB under moto (the ``store`` fixture).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.services.ports.exports import ExportJob, ExportStatus
from tests.contract.support import T0
from tests.fakes import InMemoryQueue
from tests.support.people import inbound


def test_stats_snapshot_round_trips(store: Any) -> None:
    assert store.stats.get_stats() is None
    store.stats.put_stats({"computed_at": "x", "by_level": {"strong_support": 3}})
    assert store.stats.get_stats() == {"computed_at": "x", "by_level": {"strong_support": 3}}


def test_activity_scan_yields_messages_and_tasks_in_the_window(store: Any) -> None:
    queue = InMemoryQueue()
    inbound(store, queue, T0 - timedelta(days=40), address="+16175550001")
    inbound(store, queue, T0, address="+16175550002")

    found = list(store.stats.scan_activity(T0 - timedelta(days=1)))
    assert sorted(i["type"] for i in found) == ["message", "message", "task"]
    assert {i["direction"] for i in found if i["type"] == "message"} == {"inbound", "outbound"}


def test_export_jobs_round_trip(store: Any) -> None:
    job = ExportJob(id="J1", status="queued", params={"format": "van"}, created_by="u1", created_at=T0)
    store.exports.put_export_job(job)
    store.exports.put_export_job(
        job.model_copy(update={"status": ExportStatus.DONE, "rows": 5, "key": "exports/J1/x.csv"})
    )
    found = store.exports.get_export_job("J1")
    assert found is not None and (found.status, found.rows, found.key) == ("done", 5, "exports/J1/x.csv")
    assert store.exports.get_export_job("nope") is None
