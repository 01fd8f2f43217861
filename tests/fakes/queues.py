"""The outbound queue, the export job queue and the exports bucket, in memory."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from chalicelib.services.ports.messages import MessageRef


@dataclass
class InMemoryQueue:
    """The outbound queue as a list: ``items`` keeps everything ever enqueued, with its delay."""

    items: list[tuple[MessageRef, int]] = field(default_factory=list)
    retries: list[tuple[str, int]] = field(default_factory=list)

    def enqueue(self, ref: MessageRef, delay_seconds: int = 0) -> None:
        self.items.append((ref, delay_seconds))

    def retry_after(self, receipt_handle: str, delay_seconds: int) -> None:
        self.retries.append((receipt_handle, delay_seconds))


@dataclass
class InMemoryBlobStore:
    """Export files in a dict; links are fake but name the key."""

    blobs: dict[str, bytes] = field(default_factory=dict)

    def write_stream(self, key: str, chunks: Iterator[bytes], content_type: str) -> int:
        self.blobs[key] = b"".join(chunks)
        return len(self.blobs[key])

    def link(self, key: str, expires_seconds: int, filename: str) -> str:
        return f"memory://exports/{key}?expires={expires_seconds}"


@dataclass
class InMemoryExportJobQueue:
    jobs: list[str] = field(default_factory=list)

    def enqueue_export(self, job_id: str) -> None:
        self.jobs.append(job_id)
