"""Use cases: what organizers watch. Heavy figures come from a snapshot a scheduled job
computes off the hot path; only the task counts (two index counts) are read live.

No counter is written by the inbound path: the snapshot reads what is stored anyway.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib.domain.model import MessageKind, TaskStatus, iso
from chalicelib.services.ports import Clock
from chalicelib.services.ports.exports import StatsStore
from chalicelib.services.ports.people import PeopleStore
from chalicelib.services.ports.tasks import TaskStore

HUMAN_KINDS = frozenset({MessageKind.REPLY, MessageKind.RELAY})


class StatsDeps(Protocol):
    @property
    def stats(self) -> StatsStore: ...
    @property
    def people(self) -> PeopleStore: ...
    @property
    def tasks(self) -> TaskStore: ...
    @property
    def clock(self) -> Clock: ...


def _at(value: Any) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * fraction // 1))  # ceil
    return ordered[int(rank) - 1]


def _summary(seconds: list[float]) -> dict[str, Any]:
    return {"count": len(seconds), "median_seconds": percentile(seconds, 0.5), "p90_seconds": percentile(seconds, 0.9)}


def compute_snapshot(deps: StatsDeps, window_days: int) -> dict[str, Any]:
    """One pass over the window's messages and tasks, one over people's current stance."""
    now = deps.clock()
    since = now - timedelta(days=window_days)
    volume: dict[str, Counter[str]] = defaultdict(Counter)  # day -> channel -> inbound count
    task_opened: dict[str, datetime] = {}
    first_ack: dict[str, datetime] = {}
    first_human: dict[str, datetime] = {}
    for item in deps.stats.scan_activity(since):
        created = _at(item["created_at"])
        if created < since:
            continue
        if item["type"] == "task":
            task_opened[item["id"]] = created
            continue
        task_id = item.get("task_id")
        if item.get("direction") == "inbound":
            volume[created.date().isoformat()][item["channel"]] += 1
        elif task_id and item.get("kind") == MessageKind.ACKNOWLEDGEMENT:
            first_ack[task_id] = min(created, first_ack.get(task_id, created))
        elif task_id and (item.get("kind") in HUMAN_KINDS or item.get("sent_by")):
            first_human[task_id] = min(created, first_human.get(task_id, created))

    ack_seconds = [(first_ack[t] - opened).total_seconds() for t, opened in task_opened.items() if t in first_ack]
    human_seconds = [(first_human[t] - opened).total_seconds() for t, opened in task_opened.items() if t in first_human]

    levels: Counter[str] = Counter()
    issues: dict[str, Counter[str]] = defaultdict(Counter)
    people = 0
    for page in deps.people.people_pages(None, 1000):
        for row in page:
            people += 1
            stance = row.stance
            levels[stance.support_label if stance and stance.support_label else "none"] += 1
            for slug, position in (stance.issues if stance else {}).items():
                issues[slug][position.value] += 1

    return {
        "computed_at": iso(now),
        "window_days": window_days,
        "inbound_by_day": {day: dict(sorted(ch.items())) for day, ch in sorted(volume.items())},
        "inbound_by_channel": dict(sorted(sum(volume.values(), Counter()).items())),
        "tasks_opened": len(task_opened),
        "acknowledgement": {**_summary(ack_seconds), "acknowledged_tasks": len(ack_seconds)},
        "first_human_reply": {**_summary(human_seconds), "unanswered_tasks": len(task_opened) - len(human_seconds)},
        "stance": {"people": people, "by_level": dict(sorted(levels.items())), "by_issue": {
            slug: dict(sorted(c.items())) for slug, c in sorted(issues.items())
        }},
    }  # fmt: skip


def refresh(deps: StatsDeps, window_days: int) -> dict[str, Any]:
    snapshot = compute_snapshot(deps, window_days)
    deps.stats.put_stats(snapshot)
    return snapshot


def current_stats(deps: StatsDeps, window_days: int, max_age_minutes: int) -> dict[str, Any]:
    """The latest snapshot (recomputed only when missing or stale) plus live task counts."""
    now = deps.clock()
    snapshot = deps.stats.get_stats()
    if snapshot is None or _at(snapshot["computed_at"]) < now - timedelta(minutes=max_age_minutes):
        snapshot = refresh(deps, window_days)
    tasks = deps.tasks
    open_count = tasks.count_tasks(TaskStatus.OPEN)
    claimed = tasks.count_tasks(TaskStatus.CLAIMED)
    overdue = tasks.count_tasks(TaskStatus.OPEN, due_before=now) + tasks.count_tasks(TaskStatus.CLAIMED, now)
    return {
        **snapshot,
        "tasks": {"open": open_count, "claimed": claimed, "overdue": overdue, "counted_at": iso(now)},
    }
