"""Keep the local tables across restarts by saving them as JSON files.

moto keeps everything in memory, and its SQS backend cannot be pickled, so the state is
saved at the application level instead: each table is Scanned and written as
``<data dir>/<table>.json`` (``{"TableName": ..., "Items": [DynamoDB-JSON items]}``, the
shape of a Scan answer), atomically (temporary file, fsync, rename) so a crash mid-write
never leaves half a file. On start the file is loaded back with batch writes.

Queues are not saved: messages still in flight when the stack stops are lost locally.
That is acceptable for development (the outbound queue is drained within seconds) and
keeps the snapshot a faithful copy of what the app itself persists.

A snapshot that cannot be read stops the start with an error rather than being
overwritten by an empty table.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from chalicelib.local.background import BackgroundLoop

log = logging.getLogger(__name__)

SNAPSHOT_INTERVAL_SECONDS = 5.0
BATCH_WRITE_LIMIT = 25
MAX_UNPROCESSED_RETRIES = 8


class SnapshotError(RuntimeError):
    """A snapshot file exists but cannot be restored."""


def _encode(value: dict[str, Any]) -> dict[str, Any]:
    """botocore AttributeValue -> JSON-safe (binary as base64, as on the DynamoDB wire)."""
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": base64.b64encode(inner).decode("ascii")}
    if kind == "BS":
        return {"BS": [base64.b64encode(b).decode("ascii") for b in inner]}
    if kind == "M":
        return {"M": {k: _encode(v) for k, v in inner.items()}}
    if kind == "L":
        return {"L": [_encode(v) for v in inner]}
    return {kind: inner}


def _decode(value: dict[str, Any]) -> dict[str, Any]:
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": base64.b64decode(inner)}
    if kind == "BS":
        return {"BS": [base64.b64decode(b) for b in inner]}
    if kind == "M":
        return {"M": {k: _decode(v) for k, v in inner.items()}}
    if kind == "L":
        return {"L": [_decode(v) for v in inner]}
    return {kind: inner}


def snapshot_path(data_dir: Path, table: str) -> Path:
    return data_dir / f"{table}.json"


def scan_table(dynamodb: Any, table: str) -> list[dict[str, Any]]:
    """Every item of the table, JSON-safe, in a stable order (so unchanged tables compare equal)."""
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        items.extend({k: _encode(v) for k, v in item.items()} for item in page.get("Items", []))
    items.sort(key=lambda item: json.dumps(item, sort_keys=True))
    return items


def render_snapshot(table: str, items: list[dict[str, Any]]) -> bytes:
    document = {"TableName": table, "Items": items}
    return json.dumps(document, sort_keys=True, indent=1).encode("utf-8")


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` all at once.

    mkstemp creates the file readable by its owner only, which suits a file holding
    constituents' names, numbers and messages.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def save_table(dynamodb: Any, table: str, path: Path) -> bytes:
    """Scan ``table`` into ``path``; return the bytes written."""
    data = render_snapshot(table, scan_table(dynamodb, table))
    write_atomically(path, data)
    return data


def load_snapshot(path: Path) -> list[dict[str, Any]]:
    """Items of a snapshot file (decoded for botocore); [] when there is no file."""
    if not path.exists():
        return []
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return [{k: _decode(v) for k, v in item.items()} for item in document["Items"]]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        reason = type(exc).__name__
        raise SnapshotError(f"cannot read {path} ({reason}); move it away to start empty") from exc


def _batches(items: list[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def restore_table(dynamodb: Any, table: str, path: Path) -> int:
    """Put every item of the snapshot at ``path`` into ``table``; return how many."""
    items = load_snapshot(path)
    for batch in _batches(items, BATCH_WRITE_LIMIT):
        puts = [{"PutRequest": {"Item": item}} for item in batch]
        requests: dict[str, list[dict[str, Any]]] = {table: puts}
        for attempt in range(MAX_UNPROCESSED_RETRIES):
            response = dynamodb.batch_write_item(RequestItems=requests)
            unprocessed = response.get("UnprocessedItems", {})
            if not unprocessed:
                break
            requests = unprocessed
            time.sleep(0.05 * 2**attempt)
        else:
            raise SnapshotError(f"could not restore every item of {path}")
    return len(items)


class Snapshotter(BackgroundLoop):
    """Saves the tables every few seconds, writing a file only when its table changed."""

    name = "snapshotter"

    def __init__(
        self,
        dynamodb: Any,
        tables: Iterable[str],
        data_dir: Path,
        interval: float = SNAPSHOT_INTERVAL_SECONDS,
    ) -> None:
        super().__init__()
        self.dynamodb = dynamodb
        self.tables = tuple(tables)
        self.data_dir = data_dir
        self.interval = interval
        self._written: dict[str, bytes] = {}
        # The periodic save and the final save at shutdown must not interleave.
        self._lock = threading.Lock()

    def restore(self) -> dict[str, int]:
        """Load every table's snapshot; remember it so an unchanged table is not rewritten."""
        counts = {}
        for table in self.tables:
            path = snapshot_path(self.data_dir, table)
            counts[table] = restore_table(self.dynamodb, table, path)
            if path.exists():
                self._written[table] = path.read_bytes()
        return counts

    def save(self) -> list[str]:
        """Write the tables that changed since the last save; return their names."""
        written = []
        with self._lock:
            for table in self.tables:
                data = render_snapshot(table, scan_table(self.dynamodb, table))
                if self._written.get(table) == data:
                    continue
                write_atomically(snapshot_path(self.data_dir, table), data)
                self._written[table] = data
                written.append(table)
        return written

    def step(self) -> float:
        self.save()
        return self.interval
