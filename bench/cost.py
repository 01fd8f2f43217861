"""What 1,000 inbound SMS cost on AWS, from requests counted on the real code path.

Signed Twilio SMS go through the app (chalice.test.Client) against DynamoDB under moto. Hooks on
the DynamoDB client count every call and the capacity units it would consume on an on-demand
table (item sizes by DynamoDB's rules: 1 WRU per KB written, 2 for a transactional item; 1 RRU
per 4 KB read strongly consistent, half for eventually consistent). The acknowledgement's SMS
segments are counted from the TwiML actually returned. What is assumed, not counted: one Lambda
invocation of 100 ms per message at the API function's configured memory, and ~300 bytes of
Lambda platform log lines (START/END/REPORT) per invocation.

Prices: AWS list prices, us-east-1, on-demand, x86 (checked Nov 2026; see the README for
sources). Twilio's price is a list-price example, shown apart.
"""

from __future__ import annotations

import html
import io
import json
import logging
import math
import os
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent

# USD, us-east-1 list prices.
PRICE = {
    "dynamodb_wru": 0.625 / 1e6,  # on-demand write request unit
    "dynamodb_rru": 0.125 / 1e6,  # on-demand read request unit
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_second": 0.0000166667,  # x86
    "sqs_request": 0.40 / 1e6,  # standard queue, 64 KB chunk
    "apigw_rest_request": 3.50 / 1e6,  # REST API, first 333 M a month
    "logs_ingest_gb": 0.50,  # CloudWatch Logs standard ingestion
}
TWILIO_US_SMS_SEGMENT = 0.0083  # example: Twilio's US list price per segment, inbound or outbound

ASSUMED_LAMBDA_SECONDS = 0.100
ASSUMED_PLATFORM_LOG_BYTES = 300
MESSAGES = int(os.getenv("BENCH_COST_MESSAGES", "20"))
PER = 1000

BASE_URL = "https://bench.execute-api.us-east-1.amazonaws.com/api"
TOKEN = "bench-twilio-token"
SMS_PATH = "/webhooks/twilio/sms"


# --- DynamoDB capacity units --------------------------------------------------------------------


def attribute_size(value: dict[str, Any]) -> int:
    """Bytes of one attribute value, by DynamoDB's item size rules."""
    (kind, inner), *_ = value.items()
    if kind == "S":
        return len(inner.encode("utf-8"))
    if kind == "N":
        return math.ceil(len(inner.lstrip("-").replace(".", "")) / 2) + 1
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_size({kind[0]: v}) for v in inner)
    if kind == "L":
        return 3 + sum(1 + attribute_size(v) for v in inner)
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + 1 + attribute_size(v) for k, v in inner.items())
    return 0


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode("utf-8")) + attribute_size(value) for name, value in item.items())


def _write_units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def _read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / 4096))
    return float(units) if consistent else units / 2


def _update_size(params: dict[str, Any]) -> int:
    # The written item's size is not in the request; key + new values is a floor (hot-path items are < 1 KB).
    return item_size(params.get("Key", {})) + sum(
        attribute_size(v) for v in params.get("ExpressionAttributeValues", {}).values()
    )


@dataclass
class Tally:
    calls: Counter[str] = field(default_factory=Counter)
    wru: float = 0.0
    rru: float = 0.0
    transact_items: int = 0

    def write_request(self, operation: str, params: dict[str, Any]) -> None:
        if operation in ("TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"):
            self.calls[operation] += 1
        if operation == "TransactWriteItems":
            for entry in params["TransactItems"]:
                (kind, body), *_ = entry.items()
                size = item_size(body["Item"]) if kind == "Put" else _update_size(body)
                self.wru += 2 * _write_units(size)
                self.transact_items += 1
        elif operation == "PutItem":
            self.wru += _write_units(item_size(params["Item"]))
        elif operation in ("UpdateItem", "DeleteItem"):
            self.wru += _write_units(_update_size(params))
        elif operation == "BatchWriteItem":
            for requests in params["RequestItems"].values():
                for request in requests:
                    put = request.get("PutRequest")
                    self.wru += _write_units(item_size(put["Item"]) if put else 1)

    def read_response(self, operation: str, params: dict[str, Any], parsed: dict[str, Any]) -> None:
        consistent = bool(params.get("ConsistentRead"))
        if operation == "GetItem":
            self.calls[operation] += 1
            self.rru += _read_units(item_size(parsed.get("Item", {})), consistent)
        elif operation == "Query":
            self.calls[operation] += 1
            self.rru += _read_units(sum(item_size(i) for i in parsed.get("Items", [])), consistent)
        elif operation == "TransactGetItems":
            self.calls[operation] += 1
            for response in parsed.get("Responses", []):
                self.rru += 2 * _read_units(item_size(response.get("Item", {})), True)

    def minus(self, other: Tally) -> Tally:
        return Tally(
            self.calls - other.calls,
            self.wru - other.wru,
            self.rru - other.rru,
            self.transact_items - other.transact_items,
        )


def count_dynamodb(client: Any, tally: Tally) -> None:
    """Tally every DynamoDB call this client makes."""
    pending: dict[int, dict[str, Any]] = {}

    def on_params(params: dict[str, Any], model: Any, **_: Any) -> None:
        pending[id(model)] = dict(params)
        tally.write_request(model.name, params)

    def on_response(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        tally.read_response(model.name, pending.pop(id(model), {}), parsed)

    client.meta.events.register("provide-client-params.dynamodb", on_params)
    client.meta.events.register("after-call.dynamodb", on_response)


def count_calls(client: Any, service: str, calls: Counter[str]) -> None:
    def on_params(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    client.meta.events.register(f"provide-client-params.{service}", on_params)


# --- SMS segments -------------------------------------------------------------------------------

_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


def sms_segments(text: str) -> int:
    if not text:
        return 0
    single, multi = (160, 153) if set(text) <= _GSM7 else (70, 67)
    return 1 if len(text) <= single else math.ceil(len(text) / multi)


def twiml_text(body: str) -> str:
    match = re.search(r"<Message>(.*?)</Message>", body, re.S)
    return html.unescape(match.group(1)) if match else ""


# --- the run ------------------------------------------------------------------------------------


@dataclass
class Scenario:
    """Totals counted over ``messages`` messages; the properties are per message."""

    name: str
    messages: int
    dynamodb: Tally
    sqs_total: int
    log_bytes_total: int
    ack_segments_total: int

    @property
    def wru(self) -> float:
        return self.dynamodb.wru / self.messages

    @property
    def rru(self) -> float:
        return self.dynamodb.rru / self.messages

    @property
    def calls(self) -> dict[str, float]:
        return {k: v / self.messages for k, v in sorted(self.dynamodb.calls.items())}

    @property
    def sqs_calls(self) -> float:
        return self.sqs_total / self.messages

    @property
    def log_bytes(self) -> float:
        return self.log_bytes_total / self.messages

    @property
    def ack_segments(self) -> float:
        return self.ack_segments_total / self.messages


@contextmanager
def _aws() -> Iterator[None]:
    from moto import mock_aws

    saved = dict(os.environ)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    try:
        with mock_aws():
            yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _signed(fields: dict[str, str]) -> tuple[dict[str, str], str]:
    from twilio.request_validator import RequestValidator

    body = urlencode(fields)
    signature = RequestValidator(TOKEN).compute_signature(BASE_URL + SMS_PATH, fields)
    return {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}, body


def count_scenarios(messages: int = MESSAGES) -> list[Scenario]:
    from chalice.test import Client

    from app import app
    from chalicelib.adapters.aws import aws_client
    from chalicelib.adapters.dynamodb import dynamodb_stores
    from chalicelib.adapters.resources import ensure_resources
    from chalicelib.adapters.sqs import SQSOutboundQueue
    from chalicelib.api.observability import get_logger
    from chalicelib.bootstrap import Container, use_container
    from chalicelib.config import Settings

    with _aws():
        settings = Settings(public_base_url=BASE_URL, twilio_auth_token=TOKEN, twilio_phone_number="+16175550100")
        dynamodb, sqs = aws_client("dynamodb", settings), aws_client("sqs", settings)
        ensure_resources(dynamodb, sqs, aws_client("s3", settings), settings)
        tally, sqs_calls = Tally(), Counter[str]()
        count_dynamodb(dynamodb, tally)
        count_calls(sqs, "sqs", sqs_calls)
        store = dynamodb_stores(dynamodb, settings.table_name, shards=settings.task_queue_shards)
        use_container(Container(settings, store, SQSOutboundQueue(sqs, settings.outbound_queue_name)))
        handler = logging.getLogger(get_logger().service).powertools_handler  # type: ignore[attr-defined]
        logs = io.StringIO()
        previous_stream = handler.setStream(logs)
        results = []
        try:
            with Client(app, stage_name="dev", project_dir=str(ROOT)) as client:
                senders = [f"+1617555{1000 + i:04d}" for i in range(messages)]
                for name, texts in (
                    ("new person (first message)", "Is the library open on Sunday?"),
                    ("known person (joins open task)", "Also, is there parking nearby?"),
                ):
                    before_tally, before_sqs, before_logs = _copy(tally), sum(sqs_calls.values()), logs.tell()
                    segments = 0
                    for i, sender in enumerate(senders):
                        sid = f"SM{name[:3]}{i:029d}"
                        fields = {"MessageSid": sid, "From": sender, "To": "+16175550100", "Body": texts}
                        headers, body = _signed(fields)
                        response = client.http.post(SMS_PATH, headers=headers, body=body)
                        assert response.status_code == 200, response.body
                        segments += sms_segments(twiml_text(response.body.decode()))
                    results.append(
                        Scenario(
                            name,
                            messages,
                            tally.minus(before_tally),
                            sum(sqs_calls.values()) - before_sqs,
                            logs.tell() - before_logs,
                            segments,
                        )
                    )
        finally:
            handler.setStream(previous_stream)
            use_container(None)
    return results


def _copy(tally: Tally) -> Tally:
    return Tally(Counter(tally.calls), tally.wru, tally.rru, tally.transact_items)


def api_function_memory_mb(stage: str = "prod") -> int:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    stage_config = config["stages"][stage]
    per_function = stage_config.get("lambda_functions", {}).get("api_handler", {})
    return int(per_function.get("lambda_memory_size", stage_config.get("lambda_memory_size", 128)))


def cost_per_thousand(scenario: Scenario, memory_mb: int) -> list[tuple[str, str, float]]:
    """(item, arithmetic, USD) for 1,000 messages of this scenario."""
    gb_seconds = PER * ASSUMED_LAMBDA_SECONDS * memory_mb / 1024
    log_gb = PER * (scenario.log_bytes + ASSUMED_PLATFORM_LOG_BYTES) / 1024**3
    return [
        ("API Gateway REST", f"{PER} requests x $3.50/M", PER * PRICE["apigw_rest_request"]),
        ("Lambda requests", f"{PER} invocations x $0.20/M", PER * PRICE["lambda_request"]),
        (
            "Lambda compute",
            f"{PER} x {ASSUMED_LAMBDA_SECONDS:.1f} s x {memory_mb / 1024:.2f} GB = {gb_seconds:.1f} GB-s"
            " x $0.0000166667",
            gb_seconds * PRICE["lambda_gb_second"],
        ),
        (
            "DynamoDB writes",
            f"{PER} x {scenario.wru:g} WRU = {PER * scenario.wru:,.0f} WRU x $0.625/M",
            PER * scenario.wru * PRICE["dynamodb_wru"],
        ),
        (
            "DynamoDB reads",
            f"{PER} x {scenario.rru:g} RRU = {PER * scenario.rru:,.0f} RRU x $0.125/M",
            PER * scenario.rru * PRICE["dynamodb_rru"],
        ),
        (
            "SQS",
            f"{PER} x {scenario.sqs_calls:g} requests x $0.40/M",
            PER * scenario.sqs_calls * PRICE["sqs_request"],
        ),
        (
            "CloudWatch Logs",
            f"{PER} x ({scenario.log_bytes:.0f} + {ASSUMED_PLATFORM_LOG_BYTES}) bytes x $0.50/GB",
            log_gb * PRICE["logs_ingest_gb"],
        ),
    ]


def run() -> list[tuple[str, float]]:
    memory = api_function_memory_mb()
    totals = []
    print(f"AWS cost per {PER:,} inbound SMS (us-east-1 list prices; API function {memory} MB, counted over")
    print(f"{MESSAGES} signed messages per scenario through the app with DynamoDB under moto)")
    for scenario in count_scenarios():
        calls = ", ".join(f"{v:g} {k}" for k, v in scenario.calls.items())
        items = scenario.dynamodb.transact_items / scenario.messages
        calls += f" ({items:g} items a transaction)" if items else ""
        print(f"\n{scenario.name}: DynamoDB per message: {calls}")
        lines = cost_per_thousand(scenario, memory)
        for item, arithmetic, usd in lines:
            print(f"  {item:<18} {arithmetic:<62} ${usd:.5f}")
        total = sum(usd for *_, usd in lines)
        print(f"  {'AWS total':<18} {'':<62} ${total:.4f}  (${total / PER * 1e6:,.0f} per million)")
        twilio = PER * (1 + scenario.ack_segments) * TWILIO_US_SMS_SEGMENT
        print(
            f"  Twilio, apart (example list price $0.0083/segment): {PER} inbound + "
            f"{PER * scenario.ack_segments:,.0f} acknowledgement segments = ${twilio:.2f}"
        )
        totals.append((scenario.name, total))
    return totals


if __name__ == "__main__":
    run()
