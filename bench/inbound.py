"""Inbound SMS hot path: DynamoDB requests per message and warm handling time.

Prints figures; asserts nothing. Runs offline against moto in this process. The baseline is
a minimal Chalice handler that does one PutItem and returns TwiML, on the same moto backend,
measured in the same run, so the ratio is what matters, not the absolute times (moto is far
slower than DynamoDB).
"""

from __future__ import annotations

import os
import statistics
import time
from collections import Counter
from typing import Any
from urllib.parse import urlencode

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "300"))


def _env() -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    }.items():
        os.environ.setdefault(name, value)
    os.environ.pop("AWS_ENDPOINT_URL", None)


def _sign(settings: Any, path: str, fields: dict[str, str]) -> tuple[dict[str, str], str]:
    from twilio.request_validator import RequestValidator

    signature = RequestValidator(settings.twilio_auth_token).compute_signature(settings.public_base_url + path, fields)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
    return headers, urlencode(fields)


def _fields(sid: str, sender: str, body: str = "Pothole on Main St") -> dict[str, str]:
    return {"MessageSid": sid, "From": sender, "To": "+16175550100", "Body": body, "NumMedia": "0"}


def _baseline_app(table: str, db: Any) -> Any:
    """The floor: verify nothing, parse nothing, one PutItem, TwiML back."""
    from chalice import Chalice, Response

    app = Chalice(app_name="baseline")

    @app.route("/sms", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
    def sms() -> Response:
        body = app.current_request.raw_body
        db.put_item(TableName=table, Item={"pk": {"S": f"BASE#{hash(body)}"}, "sk": {"S": "X"}})
        return Response(
            body='<?xml version="1.0" encoding="UTF-8"?><Response><Message>Thanks</Message></Response>',
            headers={"Content-Type": "text/xml"},
        )

    return app


def _trim(db: Any, table: str) -> None:
    """Keep the table small between timed rounds (outside the timing).

    moto deep-copies a whole table on every TransactWriteItems (for rollback), so its cost
    grows with the table; DynamoDB's does not. Dropping the markers, messages and baseline
    items that earlier rounds wrote keeps both sides measuring the handler, not moto.
    """
    paginator = db.get_paginator("scan")
    for page in paginator.paginate(TableName=table, ProjectionExpression="pk, sk"):
        for item in page["Items"]:
            pk, sk = item["pk"]["S"], item["sk"]["S"]
            if sk.startswith("MSG#") or sk == "DEDUP" or pk.startswith("BASE#"):
                db.delete_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})


class _BackendTimer:
    """Time spent inside DynamoDB client calls (serialisation + moto), per request."""

    def __init__(self) -> None:
        self.spent = 0.0
        self._started = 0.0

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-call.dynamodb", self._before)
        client.meta.events.register("after-call.dynamodb", self._after)

    def _before(self, **_: Any) -> None:
        self._started = time.perf_counter()

    def _after(self, **_: Any) -> None:
        self.spent += time.perf_counter() - self._started

    def time(self, call: Any) -> tuple[float, float]:
        self.spent = 0.0
        t0 = time.perf_counter()
        call()
        return time.perf_counter() - t0, self.spent


def _report(label: str, ours: list[float], floor: list[float]) -> None:
    ours_ms, floor_ms = statistics.median(ours) * 1000, statistics.median(floor) * 1000
    print(f"Warm webhook handling, {label}, median of {len(ours)} (in process, same moto backend):")
    print(f"  Hearback /webhooks/twilio/sms   {ours_ms:7.2f} ms")
    print(f"  minimal Chalice PutItem + TwiML {floor_ms:7.2f} ms")
    print(f"  ratio                           {ours_ms / floor_ms:7.2f}x (target <= 1.5x)")


def run() -> None:
    # As in Lambda, where the middleware flushes the request's metrics (EMF) before answering;
    # outside Lambda it skips that work, which would leave it out of our side's figure.
    previous = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
    os.environ["AWS_LAMBDA_FUNCTION_NAME"] = previous or "hearback-bench-APIHandler"
    try:
        _run()
    finally:
        if previous is None:
            os.environ.pop("AWS_LAMBDA_FUNCTION_NAME", None)


def _run() -> None:
    _env()
    from botocore.config import Config
    from chalice.test import Client
    from moto import mock_aws

    from app import app
    from chalicelib.adapters.aws import aws_client
    from chalicelib.adapters.resources import ensure_resources
    from chalicelib.bootstrap import build_container, use_container
    from chalicelib.config import Settings

    settings = Settings(twilio_auth_token="bench-token", public_base_url="https://bench.example/api")
    with mock_aws():
        ensure_resources(
            aws_client("dynamodb", settings), aws_client("sqs", settings), aws_client("s3", settings), settings
        )
        container = build_container(settings)
        use_container(container)
        calls: Counter[str] = Counter()

        def count(event_name: str, **_: Any) -> None:
            calls[event_name.rsplit(".", 1)[-1]] += 1

        container.stores.inbound.table.db.meta.events.register("before-call.dynamodb", count)  # type: ignore[attr-defined]
        path = "/webhooks/twilio/sms"
        with Client(app) as client:

            def post(sid: str, sender: str) -> int:
                headers, body = _sign(settings, path, _fields(sid, sender))
                return client.http.post(path, headers=headers, body=body).status_code

            print("Inbound SMS: DynamoDB requests per message (botocore before-call hook)")
            for label, sid, sender in [
                ("new person", "SMnew", "+16175550001"),
                ("known person, open task", "SMjoin", "+16175550001"),
                ("redelivery of the same MessageSid", "SMjoin", "+16175550001"),
            ]:
                calls.clear()
                status = post(sid, sender)
                detail = ", ".join(f"{n} {k}" for k, n in sorted(calls.items()))
                print(f"  {label:<36} {sum(calls.values())} requests ({detail}) -> HTTP {status}")

            # Warm timing: known people with open tasks (the common case), interleaved with the baseline.
            senders = ["+16175560000"]
            for i, s in enumerate(senders):
                post(f"SMwarm{i}", s)
            # The store's client settings (bootstrap._store_client: no client-side parameter
            # validation), so the floor skips nothing that our side skips.
            base_db = aws_client("dynamodb", settings, Config(parameter_validation=False))
            base_app = _baseline_app(settings.table_name, base_db)
            in_backend = _BackendTimer()
            in_backend.attach(container.stores.inbound.table.db)  # type: ignore[attr-defined]
            in_backend.attach(base_db)
            with Client(base_app) as base:
                ours: list[tuple[float, float]] = []
                floor: list[tuple[float, float]] = []
                for i in range(ROUNDS):
                    headers, body = _sign(settings, path, _fields(f"SMrun{i}", senders[0]))

                    def hearback(h: dict[str, str] = headers, b: str = body) -> None:
                        _trim(container.stores.inbound.table.db, settings.table_name)  # type: ignore[attr-defined]
                        ours.append(in_backend.time(lambda: client.http.post(path, headers=h, body=b)))

                    def minimal(h: dict[str, str] = headers, b: str = body) -> None:
                        floor.append(in_backend.time(lambda: base.http.post("/sms", headers=h, body=b)))

                    # Each side goes first in half the rounds, so neither always runs in the
                    # other's wake (moto's garbage, warm caches); ours always on a trimmed table.
                    for side in (hearback, minimal) if i % 2 == 0 else (minimal, hearback):
                        side()
            _report("whole request", [t for t, _ in ours], [t for t, _ in floor])
            _report("outside DynamoDB calls", [t - b for t, b in ours], [t - b for t, b in floor])
        use_container(None)


if __name__ == "__main__":
    run()
