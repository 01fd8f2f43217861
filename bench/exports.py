"""Export of people with stance under moto: memory must stay flat, speed near a raw Scan.

The moto server runs in a child process, so tracemalloc measures this process only (the
export: boto3, our store, the CSV writer), as a Lambda would see it against DynamoDB.
Figures: peak traced memory exporting 10,000 and 100,000 people (ratio must be <= 1.3),
export rows/s next to a raw paginated Scan of the same table in the same run (>= 0.5x).

    python -m bench exports            # 10,000 then 100,000 people
    BENCH_PEOPLE=2000,20000 python -m bench exports
    BENCH_SPEED_AT=10000 python -m bench exports   # speed at 10,000 only; memory at both

Under moto every figure is slow (its response serializer costs ~50 us an attribute): the
full default run takes over an hour on two cores.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import tracemalloc
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from chalicelib.adapters.dynamodb import dynamodb_stores
from chalicelib.adapters.dynamodb.codec import serialize, stance_attrs
from chalicelib.adapters.dynamodb.keys import identity_key, person_key, stance_key
from chalicelib.adapters.dynamodb.people import person_attrs
from chalicelib.adapters.resources import ensure_table
from chalicelib.domain.ids import new_id
from chalicelib.domain.model import Address, Identity, Person, SubscriptionStatus
from chalicelib.domain.stance import IssuePosition, Stance, StanceSource
from chalicelib.services import exports
from chalicelib.settings import DEFAULT_ISSUES

TABLE = "hearback-bench"
ISSUES = tuple(DEFAULT_ISSUES.split(","))
T0 = datetime(2026, 11, 1, tzinfo=UTC)


@contextmanager
def moto_server() -> Any:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a large table takes moto a while to let go
            proc.kill()
            proc.wait()


def client(url: str) -> Any:
    import boto3
    from botocore.config import Config

    for name, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled"}.items():  # fmt: skip
        os.environ.setdefault(name, value)
    return boto3.client("dynamodb", region_name="us-east-1", endpoint_url=url,
                        config=Config(max_pool_connections=16, retries={"max_attempts": 10}))  # fmt: skip


def seed(db: Any, start: int, count: int) -> None:
    """People with a phone identity and a current stance (3 items a person), in batches of 25."""
    batch: list[dict[str, Any]] = []
    positions = list(IssuePosition)
    for n in range(start, start + count):
        at = T0 + timedelta(seconds=n)
        pid = new_id(int(at.timestamp() * 1000))
        phone = f"+1617{n:07d}"
        person = Person(id=pid, first_name=f"First{n}", last_name="=Last" if n % 97 == 0 else f"Last{n}",
                        zip="02139", identities=[Address("phone", phone)], created_at=at, updated_at=at,
                        first_contact_at=at, last_contact_at=at)  # fmt: skip
        stance = Stance(id=new_id(int(at.timestamp() * 1000)), person_id=pid, support_level=n % 5 + 1,
                        issues={ISSUES[n % len(ISSUES)]: positions[n % 4]}, source=StanceSource.VOLUNTEER,
                        recorded_by="u1", recorded_at=at, note="called back" if n % 3 else None)  # fmt: skip
        subs = {"sms": SubscriptionStatus.OPTED_OUT if n % 11 == 0 else SubscriptionStatus.SUBSCRIBED}
        identity = Identity(kind="phone", address=phone, person_id=pid, subscriptions=subs, created_at=at)
        batch += [
            {**person_key(pid), **serialize(person_attrs(person, stance, [identity]))},
            {**identity_key(identity.ref), **serialize({"type": "identity", **identity.model_dump(mode="json")})},
            {**stance_key(stance), **serialize({"type": "stance", **stance_attrs(stance)})},
        ]
        if len(batch) >= 24:
            write(db, batch)
            batch = []
    if batch:
        write(db, batch)


def write(db: Any, items: list[dict[str, Any]]) -> None:
    pending: dict[str, Any] = {TABLE: [{"PutRequest": {"Item": i}} for i in items]}
    while pending:
        pending = db.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def raw_scan(db: Any) -> tuple[int, float]:
    started = time.perf_counter()
    items = 0
    for page in db.get_paginator("scan").paginate(TableName=TABLE):
        items += len(page["Items"])
    return items, time.perf_counter() - started


def export(store: Any, traced: bool) -> tuple[int, int, float, int]:
    """(rows, bytes, seconds, peak traced bytes) for a generic export of everyone."""
    query = exports.parse_query({"format": "generic"}, ISSUES)
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    rows = size = 0
    for chunk in exports.chunks(store, query):
        rows += chunk.count("\r\n")
        size += len(chunk.encode("utf-8"))
    seconds = time.perf_counter() - started
    peak = 0
    if traced:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return rows - 1, size, seconds, peak


def run() -> None:
    sizes = [int(x) for x in os.environ.get("BENCH_PEOPLE", "10000,100000").split(",")]
    # Speed needs an untraced export and a full Scan: under moto each takes ~15 min a 100,000
    # people, so BENCH_SPEED_AT=10000 limits those runs to the sizes listed (memory runs at all).
    speed_at = os.environ.get("BENCH_SPEED_AT")
    speed_sizes = {int(x) for x in speed_at.split(",")} if speed_at else None
    with moto_server() as url:
        db = client(url)
        ensure_table(db, TABLE)
        stores = dynamodb_stores(db, TABLE)
        # What an export reads; no users were seeded, so no names are looked up.
        no_users = SimpleNamespace(get_user=lambda _: None)
        store = SimpleNamespace(people=stores.people, tasks=stores.tasks, users=no_users)
        seeded = 0
        peaks: dict[int, int] = {}
        for size in sizes:
            started = time.perf_counter()
            seed(db, seeded, size - seeded)
            seeded = size
            print(f"seeded {size:,} people ({3 * size:,} items) in {time.perf_counter() - started:.0f} s", flush=True)
            if speed_sizes is None or size in speed_sizes:
                rows, nbytes, seconds, _ = export(store, traced=False)
                items, scan_seconds = raw_scan(db)
                export_rate, scan_rate = rows / seconds, items / scan_seconds
                print(f"  export: {rows:,} rows, {nbytes / 1e6:.1f} MB in {seconds:.1f} s = {export_rate:,.0f} rows/s")
                print(f"  raw Scan of the same table: {items:,} items in {scan_seconds:.1f} s = "
                      f"{scan_rate:,.0f} items/s = {scan_rate / 3:,.0f} people/s (3 items a person)")  # fmt: skip
                print(f"  export rows/s : Scan items/s = {export_rate / scan_rate:.2f}x (target >= 0.5x); "
                      f"per person: {export_rate / (scan_rate / 3):.2f}x")  # fmt: skip
            rows, _, seconds, peak = export(store, traced=True)
            peaks[size] = peak
            print(f"  peak traced memory during the export: {peak / 1e6:.2f} MB "
                  f"({rows:,} rows in {seconds:.0f} s under tracemalloc)", flush=True)  # fmt: skip
        if len(sizes) >= 2:
            small, large = peaks[sizes[0]], peaks[sizes[-1]]
            print(f"peak memory {sizes[-1]:,} vs {sizes[0]:,} people: {large / small:.2f}x (target <= 1.3x)")


if __name__ == "__main__":
    run()
