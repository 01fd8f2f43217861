"""`make run` end to end: ``python -m chalicelib.local`` as a user starts it.

Starts the real app in a subprocess on a free port with its data in a temporary folder,
sends a signed SMS, stops it with Ctrl-C (SIGINT) and starts it again: the task opened by
the SMS must still be there, and the organizer token must be the same. The second run is
stopped with SIGTERM, as a process manager would.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest

from chalicelib.local.banner import SignedRequest, signed_sms
from chalicelib.local.devenv import DEV_SECRETS, free_port

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (ROOT / "app.py").exists(), reason="app.py not written yet"),
]

START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
# Settings a developer's shell might carry that would change what this test sees.
SCRUBBED = (
    "AWS_ENDPOINT_URL",
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "PUBLIC_BASE_URL",
    "ORGANIZER_TOKEN",
    "OUTBOUND",
    "HOST",
    *DEV_SECRETS,
)


@dataclass
class Running:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def environment(port: int, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env.update(PORT=str(port), HEARBACK_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    return env


def wait_healthy(run: Running) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if run.process.poll() is not None:
            pytest.fail(f"the stack exited with {run.process.returncode}:\n{run.output()}")
        try:
            with urllib.request.urlopen(f"{run.url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"no /health within {START_TIMEOUT} s:\n{run.output()}")


def start(port: int, data_dir: Path, log: Path) -> Running:
    handle: IO[bytes] = log.open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "chalicelib.local"],
        cwd=ROOT,
        env=environment(port, data_dir),
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    handle.close()
    run = Running(process=process, url=f"http://127.0.0.1:{port}", log=log)
    wait_healthy(run)
    return run


def stop(run: Running, signum: int = signal.SIGINT) -> int:
    run.process.send_signal(signum)
    return run.process.wait(timeout=STOP_TIMEOUT)


def post_form(sms: SignedRequest) -> tuple[int, str, bytes]:
    return request(
        sms.url,
        data=urllib.parse.urlencode(sms.params).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": sms.signature,
        },
    )


def request(
    url: str,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, str, bytes]:
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def open_tasks(url: str, token: str) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"}
    status, _, body = request(f"{url}/api/tasks?status=open", headers=headers)
    assert status == 200, body
    tasks: list[dict[str, Any]] = json.loads(body)["tasks"]
    return tasks


@pytest.fixture
def stack_processes() -> Iterator[list[Running]]:
    """Whatever the test started is stopped, even when an assertion fails midway."""
    started: list[Running] = []
    yield started
    for run in started:
        if run.process.poll() is None:
            run.process.kill()
            run.process.wait(timeout=STOP_TIMEOUT)


def test_make_run_serves_a_signed_sms_and_keeps_it_across_a_restart(
    tmp_path: Path, stack_processes: list[Running]
) -> None:
    port = free_port()
    data_dir = tmp_path / "data"
    log = tmp_path / "stack.log"

    first = start(port, data_dir, log)
    stack_processes.append(first)
    token = (data_dir / "organizer-token").read_text(encoding="utf-8").strip()
    assert token in first.output()
    assert first.url in first.output()

    def sms(auth_token: str) -> SignedRequest:
        return signed_sms(
            first.url,
            auth_token,
            account_sid=DEV_SECRETS["TWILIO_ACCOUNT_SID"],
            to=DEV_SECRETS["TWILIO_PHONE_NUMBER"],
            body="Please fix the streetlight on Elm St",
        )

    status, _, _ = post_form(sms("not-the-dev-token"))
    assert status == 403  # the local stack checks signatures too
    status, content_type, body = post_form(sms(DEV_SECRETS["TWILIO_AUTH_TOKEN"]))
    assert status == 200, body
    assert content_type.startswith("text/xml")
    assert b"<Response>" in body
    (task,) = open_tasks(first.url, token)

    assert stop(first, signal.SIGINT) == 0
    assert (data_dir / "hearback.json").exists()

    second = start(port, data_dir, log)
    stack_processes.append(second)
    assert [t["id"] for t in open_tasks(second.url, token)] == [task["id"]]
    assert stop(second, signal.SIGTERM) == 0
    assert second.output().count("chalicelib.local stopped") == 2  # both runs shut down cleanly
