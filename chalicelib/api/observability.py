"""Logs and metrics for every invocation, as Chalice middleware (``register(app)`` in app.py).

* **Logs**: Powertools Logger, JSON, service ``hearback``, one ``correlation_id`` per invocation:
  the provider's message id when the event carries one (Twilio ``MessageSid``/``CallSid``, Meta
  ``mid``, WhatsApp ``id``, X DM event id, SES message id, our message id on the outbound
  queue), else the request id. Every line goes through :mod:`chalicelib.api.redaction`.
* **Metrics**: CloudWatch embedded metric format (namespace ``Hearback``) through Powertools,
  buffered during an invocation and flushed at its end. The middleware records
  ``InboundMessages`` (by channel, per accepted webhook delivery) and, for channels answered
  inline (Twilio SMS and voice), ``AcknowledgementLatency``. Workers and schedules record the
  rest with :func:`record_ack_latency`, :func:`record_send_failure`, :func:`record_sla_breaches`
  and :func:`record_first_human_reply`. Outside Lambda (``make run``, tests) nothing is printed
  unless ``AWS_LAMBDA_FUNCTION_NAME`` is set; ``POWERTOOLS_METRICS_DISABLED=true`` turns them off.

Nothing heavy is imported until the first invocation.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider
    from chalice import Chalice

NAMESPACE_DEFAULT = "Hearback"
SERVICE_DEFAULT = "hearback"

_SAFE_ID = re.compile(r"[A-Za-z0-9_.:=+/-]{1,160}")


# --- logs -------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def get_logger() -> Logger:
    """The app's logger (created on first use; the same logger as Chalice's ``app.log``)."""
    from aws_lambda_powertools import Logger

    from chalicelib.api.redaction import RedactingFormatter

    service = os.getenv("POWERTOOLS_SERVICE_NAME", SERVICE_DEFAULT)
    _drop_plain_handlers(logging.getLogger(service))
    return Logger(service=service, logger_formatter=RedactingFormatter(), utc=True)


def _drop_plain_handlers(log: logging.Logger) -> None:
    """Chalice puts an unformatted stdout handler on ``app.log``; it would bypass redaction."""
    keep = getattr(log, "powertools_handler", None)
    for handler in list(log.handlers):
        if handler is not keep:
            log.removeHandler(handler)


def redact_root_handlers() -> None:
    """Other loggers (boto, libraries) propagate to the root handler the Lambda runtime installs."""
    from chalicelib.api.redaction import RedactingFilter

    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


# --- metrics ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    name: str
    unit: str
    value: float
    dimensions: tuple[tuple[str, str], ...] = ()


_pending: list[Point] = []
Sink = Callable[[dict[str, Any]], None]


def _print_sink(blob: dict[str, Any]) -> None:
    print(json.dumps(blob, separators=(",", ":")))  # CloudWatch reads EMF from stdout


_sink: Sink = _print_sink


def use_sink(sink: Sink | None) -> None:
    """Tests: capture EMF blobs (None restores stdout)."""
    global _sink
    _sink = sink or _print_sink


def record(name: str, value: float, unit: str = "Count", **dimensions: str) -> None:
    _pending.append(Point(name, unit, value, tuple(sorted(dimensions.items()))))


def record_inbound(channel: str, count: int = 1) -> None:
    record("InboundMessages", count, channel=channel)


def record_ack_latency(channel: str, milliseconds: float) -> None:
    """Time from a message's arrival to its acknowledgement leaving."""
    record("AcknowledgementLatency", milliseconds, "Milliseconds", channel=channel)


def record_send_failure(channel: str, reason: str) -> None:
    record("SendFailures", 1, channel=channel, reason=reason)


def record_sla_breaches(count: int) -> None:
    record("SlaBreaches", count)


def record_first_human_reply(channel: str, seconds: float) -> None:
    record("TimeToFirstHumanReply", seconds, "Seconds", channel=channel)


def _metrics_enabled() -> bool:
    from aws_lambda_powertools.metrics.functions import is_metrics_disabled

    in_lambda = bool(os.getenv("AWS_LAMBDA_FUNCTION_NAME"))
    return in_lambda and not is_metrics_disabled()


def flush_metrics() -> None:
    """Emit what this invocation recorded: one EMF blob per set of dimensions."""
    points = list(_pending)
    _pending.clear()
    if not points or not _metrics_enabled():
        return
    namespace = os.getenv("POWERTOOLS_METRICS_NAMESPACE") or NAMESPACE_DEFAULT
    service = os.getenv("POWERTOOLS_SERVICE_NAME", SERVICE_DEFAULT)
    provider = _emf_provider(namespace, service)
    groups: dict[tuple[tuple[str, str], ...], list[Point]] = {}
    for point in points:
        groups.setdefault(point.dimensions, []).append(point)
    for dimensions, group in groups.items():
        try:
            provider.add_dimension("service", service)
            for name, value in dimensions:
                provider.add_dimension(name, value)
            for point in group:
                provider.add_metric(name=point.name, unit=point.unit, value=point.value)
            blob = dict(provider.serialize_metric_set())
        finally:
            provider.clear_metrics()
        _sink(blob)


_providers = threading.local()


def _emf_provider(namespace: str, service: str) -> AmazonCloudWatchEMFProvider:
    """An empty Powertools EMF provider, reused: making one costs as much as the blob it
    writes (it lists every CloudWatch unit), and every webhook writes a blob. One per thread
    (the local stack runs workers in threads) and per namespace and service."""
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

    made: dict[tuple[str, str], AmazonCloudWatchEMFProvider] = _providers.__dict__.setdefault("made", {})
    key = (namespace, service)
    if key not in made:
        made[key] = AmazonCloudWatchEMFProvider(namespace=namespace, service=service)
    return made[key]


# --- correlation ids --------------------------------------------------------------------------


def _safe(value: Any) -> str | None:
    return value if isinstance(value, str) and _SAFE_ID.fullmatch(value) else None


def _first(items: Any) -> Any:
    return items[0] if isinstance(items, list) and items else {}


def _from_json_webhook(payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return None
    entry = _first(payload.get("entry"))
    if isinstance(entry, dict):
        messaging = _first(entry.get("messaging"))
        if isinstance(messaging, dict) and isinstance(messaging.get("message"), dict):
            return _safe(messaging["message"].get("mid"))
        value = _first(entry.get("changes")).get("value", {}) if isinstance(_first(entry.get("changes")), dict) else {}
        for key in ("messages", "statuses"):
            item = _first(value.get(key)) if isinstance(value, dict) else {}
            if isinstance(item, dict) and item.get("id"):
                return _safe(item["id"])
    dm = _first(payload.get("direct_message_events"))
    return _safe(dm.get("id")) if isinstance(dm, dict) else None


_FORM_IDS = ("MessageSid", "CallSid", "SmsSid")  # first found wins, in this order


def _form_correlation_id(text: str) -> str | None:
    """``parse_qs(text)[key][0]`` for the first of :data:`_FORM_IDS` the form holds.

    Only the names are looked at and only the chosen value is decoded: the view parses
    the whole form once, after verifying it. Same rules as ``parse_qs``: pairs without
    ``=`` and blank values are skipped, ``+`` is a space, the first value of a name wins.
    """
    found: dict[str, str] = {}
    for pair in text.split("&"):
        name, equals, value = pair.partition("=")
        if not equals or not value:
            continue
        if "%" in name or "+" in name:
            name = unquote_plus(name)
        if name in _FORM_IDS:
            found.setdefault(name, value)
    for key in _FORM_IDS:
        if key in found:
            return _safe(unquote_plus(found[key]))
    return None


def http_correlation_id(path: str, content_type: str, body: bytes) -> str | None:
    """The provider's message id in a webhook body (read only for logging: not yet verified)."""
    if not path.startswith("/webhooks/") or not body or len(body) > 256_000:
        return None
    try:
        text = body.decode("utf-8")
        if content_type.startswith("application/x-www-form-urlencoded"):
            return _form_correlation_id(text)
        if content_type.startswith("application/json"):
            return _from_json_webhook(json.loads(text))
    except (UnicodeDecodeError, ValueError):
        return None
    return None


def record_correlation_id(records: list[Any]) -> str | None:
    """SQS: our message id in the queue body; SNS from SES: the SES message id."""
    first = _first(records)
    if not isinstance(first, dict):
        return None
    try:
        if "body" in first:
            body = json.loads(first["body"])
            return _safe(body.get("message_id")) if isinstance(body, dict) else None
        sns = first.get("Sns") or first.get("sns")
        if isinstance(sns, dict):
            notice = json.loads(sns.get("Message") or "{}")
            mail = notice.get("mail") if isinstance(notice, dict) else None
            return _safe(mail.get("messageId")) if isinstance(mail, dict) else _safe(sns.get("MessageId"))
    except ValueError:
        return None
    return None


# --- the middleware ---------------------------------------------------------------------------

_cold_start = True


def _lambda_request_id(context: Any) -> str | None:
    return getattr(context, "aws_request_id", None)


def observe(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Chalice middleware for every event type: log keys, correlation id, metrics flush."""
    global _cold_start
    log = get_logger()
    redact_root_handlers()
    started = time.perf_counter()
    is_http = hasattr(event, "method") and hasattr(event, "path")
    if is_http:
        lambda_context = getattr(event, "lambda_context", None)
        request_context = getattr(event, "context", None) or {}
        headers = getattr(event, "headers", None) or {}
        path = getattr(event, "path", "") or ""
        correlation = http_correlation_id(path, headers.get("content-type", ""), _raw_body(event))
        fallback = request_context.get("requestId") if isinstance(request_context, dict) else None
        keys: dict[str, Any] = {"event": "http", "method": event.method, "path": path}
    else:
        lambda_context = getattr(event, "context", None)
        raw = event.to_dict() if hasattr(event, "to_dict") else {}
        records = raw.get("Records") or []
        correlation = record_correlation_id(records)
        fallback = None
        keys = {"event": type(event).__name__, "records": len(records)}
    log.clear_state()
    log.append_keys(cold_start=_cold_start, function_request_id=_lambda_request_id(lambda_context), **keys)
    log.set_correlation_id(correlation or fallback or _lambda_request_id(lambda_context))
    _cold_start = False
    try:
        response = get_response(event)
    except Exception:
        # Logged here with the correlation id (and redacted); Chalice/Lambda still answer the error.
        log.exception("invocation failed", extra={"duration_ms": _since(started)})
        flush_metrics()
        raise
    status = getattr(response, "status_code", None)
    if is_http:
        _count_webhook(event.method, path, status or 200, started)
    log.info("invocation done", extra={"status": status, "duration_ms": _since(started)})
    flush_metrics()
    return response


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _raw_body(request: Any) -> bytes:
    try:
        return request.raw_body or b""
    except ValueError:  # a body Chalice cannot decode is the view's 400 to give, not ours
        return b""


@lru_cache(maxsize=1)
def inbound_routes() -> dict[str, tuple[str, bool]]:
    """Webhook path -> the channel counted in InboundMessages, and whether the acknowledgement
    travels in the answer (Twilio's TwiML), as the channel modules declare their routes."""
    from chalicelib.adapters.channels.base import CallRoute, MessagesRoute, TextRoute
    from chalicelib.adapters.channels.registry import routes

    found: dict[str, tuple[str, bool]] = {}
    for route in routes():
        if isinstance(route, MessagesRoute | TextRoute | CallRoute) and route.inbound_metric:
            found[route.path] = (route.inbound_metric, not isinstance(route, MessagesRoute))
    return found


def _count_webhook(method: str, path: str, status: int, started: float) -> None:
    route = inbound_routes().get(path)
    if route is None or method != "POST" or status != 200:
        return
    channel, answers_inline = route
    record_inbound(channel)
    if answers_inline:
        record_ack_latency(channel, (time.perf_counter() - started) * 1000)


def register(app: Chalice) -> None:
    """Install the middleware on every event type (HTTP, queue, schedule, topic)."""
    _drop_plain_handlers(app.log)
    app.register_middleware(observe, "all")
