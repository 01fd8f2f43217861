"""Export jobs and the statistics snapshot on DynamoDB."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from chalicelib.adapters.dynamodb import keys
from chalicelib.adapters.dynamodb.codec import attrs, deserialize, serialize
from chalicelib.adapters.dynamodb.table import Table
from chalicelib.domain.model import iso
from chalicelib.services.ports.exports import ExportJob


class DynamoDBExportJobStore:
    """:class:`~chalicelib.services.ports.exports.ExportJobStore` on the shared table."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def put_export_job(self, job: ExportJob) -> None:
        self.table.put(keys.export_key(job.id), {"type": "export", **attrs(job)})

    def get_export_job(self, job_id: str) -> ExportJob | None:
        item = self.table.get(keys.export_key(job_id))
        return ExportJob.model_validate(item) if item else None


class DynamoDBStatsStore:
    """:class:`~chalicelib.services.ports.exports.StatsStore`: one snapshot item, and a Scan of
    the window's messages and tasks for the scheduled job that recomputes it (never a request)."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def put_stats(self, stats: dict[str, Any]) -> None:
        self.table.put(keys.STATS_KEY, {"type": "stats", "data": json.dumps(stats)})

    def get_stats(self) -> dict[str, Any] | None:
        item = self.table.get(keys.STATS_KEY)
        return json.loads(item["data"]) if item else None

    def scan_activity(self, since: datetime) -> Iterator[dict[str, Any]]:
        pages = self.table.db.get_paginator("scan").paginate(
            TableName=self.table.name,
            FilterExpression="#type IN (:m, :t) AND created_at >= :since",
            ProjectionExpression="#type, id, person_id, direction, channel, kind, created_at, task_id, "
            "sent_by, due_at, done_at, #status",
            ExpressionAttributeNames={"#type": "type", "#status": "status"},
            ExpressionAttributeValues=serialize({":m": "message", ":t": "task", ":since": iso(since)[:19]}),
        )
        for page in pages:
            for item in page["Items"]:
                yield deserialize(item)
