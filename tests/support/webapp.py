"""Serve the whole app over real HTTP from a thread, for the browser tests.

The app runs on Chalice's local server with whatever container the test installed (moto's
``mock_aws`` patches botocore process-wide, so the server thread sees the same tables).
Seed data goes in the way production data does: signed Twilio webhooks and the users API.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.error import HTTPError

from tests.support.signing import signed_twilio, sms_fields

SMS_PATH = "/webhooks/twilio/sms"


@contextmanager
def serve_app() -> Iterator[str]:
    from chalice.config import Config
    from chalice.local import CustomLocalChalice, LocalDevServer, create_local_server

    from app import app

    config = Config.create(chalice_stage="dev", app_name="hearback")
    if isinstance(app, CustomLocalChalice):
        # create_local_server re-parents the app's class; a second call would make a cycle.
        server = LocalDevServer(app, config, "127.0.0.1", 0)
    else:
        server = create_local_server(app, config, "127.0.0.1", 0)
    port = server.server.server_address[1]
    thread = threading.Thread(target=server.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server.server_close()
        thread.join(timeout=5)


def http(base: str, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Any:
    request = urllib.request.Request(base + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def post_sms(base: str, text: str, sid: str, sender: str, whatsapp: bool = False) -> str:
    """A constituent's text, signed as Twilio signs it; returns the TwiML answer."""
    fields = sms_fields(text, sid, sender)
    if whatsapp:
        fields.update({"From": f"whatsapp:{sender}", "To": "whatsapp:+16175550100"})
    headers, body = signed_twilio(SMS_PATH, fields)
    status, answer = http(base, "POST", SMS_PATH, body.encode(), headers)
    assert status == 200, answer
    return str(answer)


def api(base: str, method: str, path: str, token: str, payload: Any = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    body = None
    if payload is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(payload).encode()
    status, text = http(base, method, path, body, headers)
    return status, (json.loads(text) if text else None)
