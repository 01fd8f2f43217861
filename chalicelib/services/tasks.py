"""Use cases: the follow-up task queue volunteers work from."""

from __future__ import annotations

from chalicelib.domain.model import TaskStatus
from chalicelib.services.ports.tasks import TaskPage, TaskStore

PAGE_SIZE = 50


def list_tasks(store: TaskStore, status: TaskStatus, after: str | None, limit: int = PAGE_SIZE) -> TaskPage:
    return store.list_tasks(status, limit, after)
