"""Tables survive a restart: Scan to a JSON file, load it back into an empty table."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from chalicelib.adapters.resources import ensure_table
from chalicelib.local.snapshot import (
    SnapshotError,
    Snapshotter,
    restore_table,
    save_table,
    scan_table,
    snapshot_path,
)

TABLE = "hearback-snap"

ITEMS: list[dict[str, Any]] = [
    {
        "pk": {"S": "PERSON#1"},
        "sk": {"S": "PROFILE"},
        "name": {"S": "Ana Lúcia ✓"},
        "count": {"N": "42"},
        "ratio": {"N": "0.125"},
        "flag": {"BOOL": True},
        "nothing": {"NULL": True},
        "tags": {"SS": ["a", "b"]},
        "numbers": {"NS": ["1", "2"]},
        "blob": {"B": b"\x00\xffbinary"},
        "blobs": {"BS": [b"\x01", b"\x02"]},
        "nested": {"M": {"inner": {"L": [{"S": "x"}, {"B": b"\x03"}, {"M": {}}]}}},
    },
    *(
        {
            "pk": {"S": f"TASK#{i:03d}"},
            "sk": {"S": "TASK"},
            "gsi1pk": {"S": "TASKS#open#0"},
            "gsi1sk": {"S": f"2026-11-26T10:{i % 60:02d}#{i}"},
        }
        for i in range(60)
    ),
]


def put_all(dynamodb: Any, items: list[dict[str, Any]]) -> None:
    for item in items:
        dynamodb.put_item(TableName=TABLE, Item=item)


def all_items(dynamodb: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=TABLE):
        items.extend(page["Items"])
    return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def test_a_table_round_trips_through_its_snapshot(dynamodb: Any, tmp_path: Path) -> None:
    ensure_table(dynamodb, TABLE)
    put_all(dynamodb, ITEMS)
    before = all_items(dynamodb)
    path = snapshot_path(tmp_path, TABLE)

    save_table(dynamodb, TABLE, path)
    dynamodb.delete_table(TableName=TABLE)
    ensure_table(dynamodb, TABLE)
    assert all_items(dynamodb) == []
    restored = restore_table(dynamodb, TABLE, path)

    assert restored == len(ITEMS)
    assert all_items(dynamodb) == before
    # The index is rebuilt from the restored items.
    open_tasks = dynamodb.query(
        TableName=TABLE,
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :p",
        ExpressionAttributeValues={":p": {"S": "TASKS#open#0"}},
    )
    assert open_tasks["Count"] == 60


def test_the_file_is_a_scan_of_dynamodb_json_items(dynamodb: Any, tmp_path: Path) -> None:
    ensure_table(dynamodb, TABLE)
    put_all(dynamodb, ITEMS[:1])
    path = snapshot_path(tmp_path, TABLE)
    save_table(dynamodb, TABLE, path)

    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["TableName"] == TABLE
    (item,) = document["Items"]
    assert item["blob"] == {"B": "AP9iaW5hcnk="}
    assert item["count"] == {"N": "42"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{TABLE}.json"]  # no temp left


def test_a_missing_snapshot_restores_nothing(dynamodb: Any, tmp_path: Path) -> None:
    ensure_table(dynamodb, TABLE)
    assert restore_table(dynamodb, TABLE, snapshot_path(tmp_path, TABLE)) == 0


def test_an_unreadable_snapshot_stops_the_restore(dynamodb: Any, tmp_path: Path) -> None:
    ensure_table(dynamodb, TABLE)
    path = snapshot_path(tmp_path, TABLE)
    path.write_text('{"TableName": "x", "Items": [', encoding="utf-8")
    with pytest.raises(SnapshotError, match="move it away"):
        restore_table(dynamodb, TABLE, path)


def test_the_snapshotter_writes_only_when_a_table_changed(dynamodb: Any, tmp_path: Path) -> None:
    ensure_table(dynamodb, TABLE)
    snapshotter = Snapshotter(dynamodb, [TABLE], tmp_path, interval=60)
    assert snapshotter.restore() == {TABLE: 0}

    assert snapshotter.save() == [TABLE]  # first save: the empty table
    assert snapshotter.save() == []
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "A"}, "sk": {"S": "B"}})
    assert snapshotter.save() == [TABLE]
    assert snapshotter.save() == []
    assert [i["pk"] for i in scan_table(dynamodb, TABLE)] == [{"S": "A"}]


def test_a_restored_unchanged_table_is_not_rewritten(dynamodb: Any, tmp_path: Path) -> None:
    ensure_table(dynamodb, TABLE)
    put_all(dynamodb, ITEMS[:3])
    save_table(dynamodb, TABLE, snapshot_path(tmp_path, TABLE))
    dynamodb.delete_table(TableName=TABLE)
    ensure_table(dynamodb, TABLE)

    snapshotter = Snapshotter(dynamodb, [TABLE], tmp_path)
    assert snapshotter.restore() == {TABLE: 3}
    assert snapshotter.save() == []


def test_numbers_keep_their_precision(dynamodb: Any, tmp_path: Path) -> None:
    ensure_table(dynamodb, TABLE)
    big = str(Decimal("12345678901234567890.123456789"))
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "N"}, "sk": {"S": "N"}, "n": {"N": big}})
    path = snapshot_path(tmp_path, TABLE)
    save_table(dynamodb, TABLE, path)
    dynamodb.delete_item(TableName=TABLE, Key={"pk": {"S": "N"}, "sk": {"S": "N"}})
    restore_table(dynamodb, TABLE, path)
    item = dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "N"}, "sk": {"S": "N"}})["Item"]
    assert Decimal(item["n"]["N"]) == Decimal(big)
