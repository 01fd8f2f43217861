"""Port: follow-up tasks, their queue by due time, and claims with a lease."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chalicelib.domain.model import Outcome, Task, TaskStatus


class TaskStateError(Exception):
    """A task write's condition failed: ``task`` is what is stored (None: no such task)."""

    def __init__(self, task: Task | None) -> None:
        super().__init__("task not in the expected state")
        self.task = task


@dataclass(frozen=True)
class TaskPage:
    tasks: list[Task]
    next: str | None


class TaskStore(Protocol):
    def get_task(self, task_id: str) -> Task | None: ...

    def get_tasks(self, task_ids: list[str]) -> list[Task]:
        """Tasks by id in one batched read; missing ones are skipped."""

    def list_tasks(self, status: TaskStatus, limit: int, after: str | None) -> TaskPage:
        """Tasks with a status, oldest due first; ``after`` is the previous page's ``next``."""

    def count_tasks(self, status: TaskStatus, due_before: datetime | None = None) -> int:
        """How many tasks have a status (and are due before a time), from the task index."""

    def claim_task(self, task_id: str, user_id: str, now: datetime, lease_until: datetime) -> Task:
        """One conditional write: :func:`~chalicelib.domain.followup.claimable` must hold.

        Raises TaskStateError (task None when unknown) when someone else holds it or it is done.
        """

    def release_task(self, task_id: str, holder: str | None) -> Task:
        """Back to open. ``holder`` None (an organizer) releases anyone's claim; releasing an
        open task is a no-op. Raises TaskStateError for unknown, done or another's tasks."""

    def complete_task(self, task_id: str, holder: str | None, outcome: Outcome, now: datetime) -> Task:
        """Done, and in the same transaction the person's open task and every identity's
        mirror are cleared so the person's next message opens a new task. ``holder`` None
        (an organizer) completes any task. Completing a done task returns it unchanged.
        Raises InFlightError when the person kept changing underneath."""

    def expire_leases(self, now: datetime) -> list[Task]:
        """Claimed tasks whose lease ended go back to open; returns them."""

    def overdue_tasks(self, now: datetime, below_priority: int, due_before: datetime) -> list[Task]:
        """Open tasks due before ``due_before`` whose priority is below ``below_priority``."""

    def raise_priority(self, task_id: str, priority: int) -> bool:
        """Set the priority if it is higher than the stored one (True when it moved)."""

    def set_task_preview(self, task_id: str, preview: str, replaces: tuple[str, ...]) -> bool:
        """Set a task's preview only while it still reads one of ``replaces`` (placeholders)."""
