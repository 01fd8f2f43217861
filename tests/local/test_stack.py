"""LocalStack in-process, with a tiny app standing in for Hearback's.

It proves the wiring: settings and resources on an embedded endpoint, HTTP, queue worker,
scheduler, organizer seeding, snapshot at stop and restore at the next start.
"""

from __future__ import annotations

import json
import os
import socket
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from chalice import Chalice

from chalicelib.config import get_settings
from chalicelib.local.snapshot import SnapshotError
from chalicelib.local.stack import LocalStack


@pytest.fixture
def isolated_environ(local_env: None) -> Iterator[None]:
    """LocalStack writes os.environ (boto3 and settings read it): put it back afterwards."""
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith(("TWILIO_", "META_", "WHATSAPP_", "X_")) or name in (
            "PORT",
            "HOST",
            "PUBLIC_BASE_URL",
            "ORGANIZER_TOKEN",
            "OUTBOUND",
            "HEARBACK_DATA_DIR",
            "LOCAL_SCHEDULE_SCALE",
            "CAMPAIGN_NAME",
        ):
            del os.environ[name]
    os.environ["PORT"] = "0"
    get_settings.cache_clear()
    yield
    os.environ.clear()
    os.environ.update(saved)
    get_settings.cache_clear()


class TinyApp:
    """Routes that read and write the table, a queue handler and a schedule."""

    def __init__(self) -> None:
        self.app = Chalice(app_name="tiny")
        self.queue_bodies: list[str] = []
        self.ticks = 0
        app = self.app

        def table() -> Any:
            return boto3.session.Session().client("dynamodb")  # AWS_ENDPOINT_URL from env

        @app.route("/notes/{note_id}", methods=["PUT"])
        def put_note(note_id: str) -> dict[str, str]:
            text = app.current_request.json_body["text"]
            table().put_item(
                TableName=get_settings().table_name,
                Item={"pk": {"S": f"NOTE#{note_id}"}, "sk": {"S": "NOTE"}, "text": {"S": text}},
            )
            return {"id": note_id}

        @app.route("/notes/{note_id}")
        def get_note(note_id: str) -> dict[str, str]:
            item = (
                table()
                .get_item(
                    TableName=get_settings().table_name,
                    Key={"pk": {"S": f"NOTE#{note_id}"}, "sk": {"S": "NOTE"}},
                )
                .get("Item")
            )
            return {"text": item["text"]["S"] if item else ""}

        @app.route("/campaign")
        def campaign() -> dict[str, str]:
            return {"name": get_settings().campaign_name}

        @app.on_sqs_message(queue="hearback-outbound")
        def outbound(event: Any) -> None:
            self.queue_bodies.extend(record.body for record in event)

        @app.schedule("rate(1 minute)")
        def tick(event: Any) -> None:
            self.ticks += 1


def http(method: str, url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        result: dict[str, Any] = json.loads(response.read())
        return result


def wait_for(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / ".chalice").mkdir(parents=True)
    config = {
        "version": "2.0",
        "app_name": "tiny",
        "environment_variables": {"CAMPAIGN_NAME": "From config.json"},
        "stages": {"dev": {}},
    }
    (root / ".chalice" / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return root


def test_the_stack_serves_works_queues_and_schedules_and_keeps_data_across_restarts(
    isolated_environ: None, project: Path, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    seeded: list[str] = []
    tiny = TinyApp()
    stack = LocalStack(
        project_dir=project,
        data_dir=data_dir,
        app=tiny.app,
        seed=seeded.append,
        schedule_scale=600,
    )
    stack.start()
    try:
        assert stack.embedded
        assert http("GET", f"{stack.url}/campaign") == {"name": "From config.json"}
        assert http("PUT", f"{stack.url}/notes/1", {"text": "kept"}) == {"id": "1"}
        sqs = boto3.session.Session().client("sqs", endpoint_url=stack.endpoint_url)
        url = sqs.get_queue_url(QueueName="hearback-outbound")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="outbound 1")
        wait_for(lambda: tiny.queue_bodies == ["outbound 1"])
        wait_for(lambda: tiny.ticks >= 2)
        token = stack.organizer_token
        assert seeded == [token]
        assert os.environ["PUBLIC_BASE_URL"] == stack.url
    finally:
        stack.stop()
    stack.stop()  # a second stop is harmless

    snapshot = json.loads((data_dir / "hearback.json").read_text(encoding="utf-8"))
    assert any(item["pk"] == {"S": "NOTE#1"} for item in snapshot["Items"])
    with pytest.raises(OSError):
        http("GET", f"{stack.url}/campaign")

    again = LocalStack(
        project_dir=project,
        data_dir=data_dir,
        app=TinyApp().app,
        seed=seeded.append,
    )
    again.start()
    try:
        assert again.endpoint_url != stack.endpoint_url  # a fresh, empty moto
        assert http("GET", f"{again.url}/notes/1") == {"text": "kept"}
        assert again.organizer_token == token
    finally:
        again.stop()


def test_an_external_endpoint_is_used_as_is_and_not_snapshotted(
    isolated_environ: None, moto_endpoint: str, project: Path, tmp_path: Path
) -> None:
    os.environ["AWS_ENDPOINT_URL"] = moto_endpoint
    data_dir, app = tmp_path / "data", TinyApp().app
    stack = LocalStack(project_dir=project, data_dir=data_dir, app=app, seed=None)
    stack.start()
    try:
        assert not stack.embedded
        assert stack.endpoint_url == moto_endpoint
        http("PUT", f"{stack.url}/notes/2", {"text": "external"})
    finally:
        stack.stop()

    assert not (data_dir / "hearback.json").exists()
    dynamodb = boto3.session.Session().client("dynamodb", endpoint_url=moto_endpoint)
    assert dynamodb.describe_table(TableName="hearback")["Table"]["TableStatus"] == "ACTIVE"


def test_an_unreadable_snapshot_stops_the_start_and_is_left_alone(
    isolated_environ: None,
    project: Path,
    tmp_path: Path,
) -> None:
    snapshot = tmp_path / "hearback.json"
    snapshot.write_text('{"TableName": "hearback", "Items": [{"pk": ', encoding="utf-8")
    stack = LocalStack(project_dir=project, data_dir=tmp_path, app=TinyApp().app, seed=None)

    with pytest.raises(SnapshotError):
        stack.start()

    assert snapshot.read_text(encoding="utf-8") == '{"TableName": "hearback", "Items": [{"pk": '
    assert "AWS_ENDPOINT_URL" not in os.environ


def test_a_failed_start_stops_what_it_started(
    isolated_environ: None,
    project: Path,
    tmp_path: Path,
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        os.environ["PORT"] = str(busy.getsockname()[1])
        app = TinyApp().app
        stack = LocalStack(project_dir=project, data_dir=tmp_path, app=app, seed=None)
        with pytest.raises(OSError):
            stack.start()
    # moto was started before the HTTP port clashed: it is stopped and forgotten again.
    assert stack.endpoint_url
    assert "AWS_ENDPOINT_URL" not in os.environ
    with pytest.raises(OSError):
        urllib.request.urlopen(stack.endpoint_url, timeout=2)
