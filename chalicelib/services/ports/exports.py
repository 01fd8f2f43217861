"""Ports: export jobs, the files they write, the queue they wait on; the statistics snapshot."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Protocol

from chalicelib.domain.model import Model


class ExportStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ExportJob(Model):
    id: str
    status: ExportStatus
    params: dict[str, str]
    created_by: str
    created_at: datetime
    finished_at: datetime | None = None
    rows: int = 0
    bytes: int = 0
    key: str | None = None  # object key in the exports bucket
    error: str | None = None


class ExportJobStore(Protocol):
    def put_export_job(self, job: ExportJob) -> None: ...

    def get_export_job(self, job_id: str) -> ExportJob | None: ...


class BlobStore(Protocol):
    """Where export files go (S3 in AWS, the embedded S3 locally)."""

    def write_stream(self, key: str, chunks: Iterator[bytes], content_type: str) -> int:
        """Store a file from chunks without holding it whole; returns its size in bytes."""

    def link(self, key: str, expires_seconds: int, filename: str) -> str:
        """A presigned download link."""


class ExportJobQueue(Protocol):
    def enqueue_export(self, job_id: str) -> None:
        """Hand an export job to the export worker."""


class StatsStore(Protocol):
    def put_stats(self, stats: dict[str, Any]) -> None:
        """The latest statistics snapshot (computed off the hot path)."""

    def get_stats(self) -> dict[str, Any] | None: ...

    def scan_activity(self, since: datetime) -> Iterator[dict[str, Any]]:
        """Messages and tasks created since a time, as plain attributes, for the stats job."""
