"""Follow-up tasks on DynamoDB: a sharded, sparse queue index ordered by due time, and claims
that are single conditional writes with a lease."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.cursor import decode_cursor, encode_cursor
from chalicelib.adapters.dynamodb import keys
from chalicelib.adapters.dynamodb.codec import deserialize, serialize
from chalicelib.adapters.dynamodb.table import RETRYABLE_TRANSACTION, Table, condition_failed, error_code, old_item
from chalicelib.domain.followup import may_close
from chalicelib.domain.model import Outcome, Person, Task, TaskStatus, iso
from chalicelib.services.ports.inbound import InFlightError
from chalicelib.services.ports.tasks import TaskPage, TaskStateError

# Back to the queue: what a release and an expired lease both write.
_REOPEN = "SET #s = :open, gsi1pk = :pk REMOVE claimed_by, lease_until"


def _refused(exc: ClientError) -> TaskStateError:
    """What a failed conditional task write found."""
    if not condition_failed(exc):
        raise exc
    old = old_item(exc)
    return TaskStateError(Task.model_validate(old) if old else None)


class DynamoDBTaskStore:
    """:class:`~chalicelib.services.ports.tasks.TaskStore` on the shared table.

    The conditions are the rules of :mod:`chalicelib.domain.followup` (``claimable``,
    ``lease_expired``, ``may_close``) written as DynamoDB conditions; the contract suite holds
    them to the in-memory fake, which calls those functions.
    """

    def __init__(self, table: Table, shards: int) -> None:
        self.table = table
        self._shards = shards

    def _partition(self, status: TaskStatus, task_id: str) -> str:
        return keys.task_partition(status, keys.task_shard(task_id, self._shards))

    def get_task(self, task_id: str) -> Task | None:
        item = self.table.get(keys.task_key(task_id))
        return Task.model_validate(item) if item else None

    def get_tasks(self, task_ids: list[str]) -> list[Task]:
        wanted = [keys.task_key(t) for t in dict.fromkeys(task_ids)]
        return [Task.model_validate(i) for i in self.table.batch_get(wanted)] if wanted else []

    def list_tasks(self, status: TaskStatus, limit: int, after: str | None) -> TaskPage:
        """Merge the shards' queues: each is ordered by due time, so the first ``limit`` of
        the merged shards' first ``limit + 1`` items is exactly the next page."""
        start = decode_cursor(after) if after else None
        found: list[dict[str, Any]] = []
        for shard in range(self._shards):
            condition = "gsi1pk = :pk"
            values: dict[str, Any] = {":pk": keys.task_partition(status, shard)}
            if start:
                condition += " AND gsi1sk > :after"
                values[":after"] = start
            kwargs: dict[str, Any] = {
                "TableName": self.table.name,
                "IndexName": "gsi1",
                "KeyConditionExpression": condition,
                "ExpressionAttributeValues": serialize(values),
                "Limit": limit + 1,
            }
            taken: list[dict[str, Any]] = []
            while len(taken) <= limit:
                page = self.table.db.query(**kwargs)
                taken += [deserialize(i) for i in page["Items"]]
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
            found += taken[: limit + 1]
        found.sort(key=lambda item: item["gsi1sk"])
        more = len(found) > limit
        page_items = found[:limit]
        cursor = encode_cursor(page_items[-1]["gsi1sk"]) if more and page_items else None
        return TaskPage([Task.model_validate(i) for i in page_items], cursor)

    def count_tasks(self, status: TaskStatus, due_before: datetime | None = None) -> int:
        bound = ("<", iso(due_before)) if due_before is not None else None
        return sum(self.table.count("gsi1", keys.task_partition(status, s), bound) for s in range(self._shards))

    def claim_task(self, task_id: str, user_id: str, now: datetime, lease_until: datetime) -> Task:
        try:
            out = self.table.update(
                keys.task_key(task_id),
                "SET #s = :claimed, claimed_by = :me, lease_until = :lease, gsi1pk = :pk",
                "attribute_exists(pk) AND (#s = :open OR (#s = :claimed AND (claimed_by = :me OR lease_until < :now)))",
                {":claimed": TaskStatus.CLAIMED.value, ":open": TaskStatus.OPEN.value, ":me": user_id,
                 ":lease": iso(lease_until), ":now": iso(now), ":pk": self._partition(TaskStatus.CLAIMED, task_id)},
                {"#s": "status"}, returns="ALL_NEW",
            )  # fmt: skip
        except ClientError as exc:
            raise _refused(exc) from None
        return Task.model_validate(out)

    def release_task(self, task_id: str, holder: str | None) -> Task:
        condition = "#s = :claimed" + (" AND claimed_by = :me" if holder else "")
        values = {":claimed": TaskStatus.CLAIMED.value, ":open": TaskStatus.OPEN.value,
                  ":pk": self._partition(TaskStatus.OPEN, task_id)}  # fmt: skip
        if holder:
            values[":me"] = holder
        try:
            out = self.table.update(keys.task_key(task_id), _REOPEN, condition, values, {"#s": "status"}, "ALL_NEW")
        except ClientError as exc:
            state = _refused(exc)
            if state.task is not None and state.task.status is TaskStatus.OPEN:
                return state.task  # already open: releasing again changes nothing
            raise state from None
        return Task.model_validate(out)

    def complete_task(self, task_id: str, holder: str | None, outcome: Outcome, now: datetime) -> Task:
        for _ in range(3):
            task = self.get_task(task_id)
            if task is None:
                raise TaskStateError(None)
            if task.status is TaskStatus.DONE:
                return task
            if not may_close(task, holder):
                raise TaskStateError(task)
            person_item = self.table.get(keys.person_key(task.person_id))
            person = Person.model_validate(person_item) if person_item else None
            try:
                self.table.transact(self._completion(task, holder, outcome, now, person))
            except ClientError as exc:
                if error_code(exc) not in RETRYABLE_TRANSACTION:
                    raise
                continue  # the task, the person or an identity moved meanwhile: look again
            return task.model_copy(update={"status": TaskStatus.DONE, "outcome": outcome, "done_at": now,
                                           "lease_until": None})  # fmt: skip
        raise InFlightError()

    def _completion(
        self, task: Task, holder: str | None, outcome: Outcome, now: datetime, person: Person | None
    ) -> list[dict[str, Any]]:
        condition = "#s = :seen"
        values: dict[str, Any] = {":done": TaskStatus.DONE.value, ":seen": task.status.value,
                                  ":outcome": outcome.value, ":now": iso(now),
                                  ":pk": self._partition(TaskStatus.DONE, task.id)}  # fmt: skip
        if holder is not None:
            condition += " AND claimed_by = :me"
            values[":me"] = holder
        items: list[dict[str, Any]] = [{"Update": self.table.update_op(
            keys.task_key(task.id),
            "SET #s = :done, outcome = :outcome, done_at = :now, gsi1pk = :pk REMOVE lease_until",
            condition, values, {"#s": "status"},
        )}]  # fmt: skip
        if person is not None and person.open_task_id == task.id:
            # The next message from the person opens a new task (and gets a new acknowledgement).
            items.append({"Update": self.table.update_op(
                keys.person_key(person.id), "REMOVE open_task_id", "open_task_id = :task", {":task": task.id}
            )})  # fmt: skip
            items += [
                {"Update": self.table.update_op(keys.identity_key(ref), "REMOVE open_task_id", keys.EXISTS)}
                for ref in person.identities
            ]
        return items

    def expire_leases(self, now: datetime) -> list[Task]:
        """Claimed tasks are few (a handful per volunteer at work), so each shard's claimed
        partition is read whole and filtered on the lease: a query, never a scan."""
        reopened: list[Task] = []
        for shard in range(self._shards):
            items = self.table.query_index(
                "gsi1", "gsi1pk = :pk",
                {":pk": keys.task_partition(TaskStatus.CLAIMED, shard), ":now": iso(now)}, "lease_until < :now",
            )  # fmt: skip
            for item in items:
                task = Task.model_validate(item)
                try:
                    out = self.table.update(
                        keys.task_key(task.id), _REOPEN, "#s = :claimed AND lease_until < :now",
                        {":open": TaskStatus.OPEN.value, ":claimed": TaskStatus.CLAIMED.value, ":now": iso(now),
                         ":pk": self._partition(TaskStatus.OPEN, task.id)},
                        {"#s": "status"}, returns="ALL_NEW",
                    )  # fmt: skip
                except ClientError as exc:
                    if condition_failed(exc):
                        continue  # renewed or done meanwhile
                    raise
                reopened.append(Task.model_validate(out))
        return reopened

    def overdue_tasks(self, now: datetime, below_priority: int, due_before: datetime) -> list[Task]:
        found: list[Task] = []
        for shard in range(self._shards):
            items = self.table.query_index(
                "gsi1", "gsi1pk = :pk AND gsi1sk < :due",
                {":pk": keys.task_partition(TaskStatus.OPEN, shard), ":due": iso(due_before), ":p": below_priority},
                "priority < :p",
            )  # fmt: skip
            found += [Task.model_validate(i) for i in items]
        return sorted(found, key=lambda t: (iso(t.due_at), t.id))

    def raise_priority(self, task_id: str, priority: int) -> bool:
        condition = "attribute_exists(pk) AND priority < :p"
        return self.table.try_update(keys.task_key(task_id), "SET priority = :p", condition, {":p": priority})

    def set_task_preview(self, task_id: str, preview: str, replaces: tuple[str, ...]) -> bool:
        if not replaces:
            return False
        olds = {f":old{i}": text for i, text in enumerate(replaces)}
        return self.table.try_update(
            keys.task_key(task_id), "SET preview = :preview",
            f"attribute_exists(pk) AND preview IN ({', '.join(olds)})", {":preview": preview, **olds},
        )  # fmt: skip
