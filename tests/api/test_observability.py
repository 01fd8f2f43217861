"""Every invocation logs JSON with a correlation id and no personal data, and flushes its metrics."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from chalice import Chalice
from chalice.test import Client
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.api import observability
from tests.support.signing import event, signed_twilio, sms_fields

SMS = "/webhooks/twilio/sms"
SENDER = "+16175550123"
TEXT = "My neighbour at 617-555-0188 says the clinic closes, write me at ana@example.org"


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """What the app's JSON logger writes, for one test."""
    logger = observability.get_logger()
    handler = logging.getLogger(logger.service).powertools_handler  # type: ignore[attr-defined]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


@pytest.fixture
def emitted(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """EMF blobs, as if running in Lambda."""
    blobs: list[dict[str, Any]] = []
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "hearback-test-APIHandler")
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    monkeypatch.delenv("POWERTOOLS_DEV", raising=False)
    observability.use_sink(blobs.append)
    yield blobs
    observability.use_sink(None)


def records(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def metric_values(blobs: list[dict[str, Any]], name: str) -> list[tuple[float, dict[str, str]]]:
    found = []
    for blob in blobs:
        definitions = blob["_aws"]["CloudWatchMetrics"][0]
        assert definitions["Namespace"] == "Hearback"
        if any(m["Name"] == name for m in definitions["Metrics"]):
            dims = {d: blob[d] for d in definitions["Dimensions"][0]}
            value = blob[name]
            for v in value if isinstance(value, list) else [value]:
                found.append((v, dims))
    return found


def post_sms(client: Any, sid: str, text: str = TEXT) -> Any:
    headers, body = signed_twilio(SMS, sms_fields(text, sid, SENDER))
    return client.http.post(SMS, headers=headers, body=body)


def test_webhook_invocation_logs_the_message_sid_and_no_personal_data(client: Any, log_output: io.StringIO) -> None:
    sid = "SM" + "a1" * 16
    response = post_sms(client, sid)

    assert response.status_code == 200
    done = [r for r in records(log_output) if r["message"] == "invocation done"]
    assert done, log_output.getvalue()
    line = done[-1]
    assert line["correlation_id"] == sid
    assert line["service"] == "hearback"
    assert line["status"] == 200 and line["path"] == SMS
    output = log_output.getvalue()
    for secret in (SENDER, "617-555-0188", "ana@example.org", "clinic"):
        assert secret not in output


def test_webhook_counts_inbound_and_acknowledgement_latency(client: Any, emitted: list[dict[str, Any]]) -> None:
    response = post_sms(client, "SM" + "b2" * 16)

    assert response.status_code == 200
    [(count, dims)] = metric_values(emitted, "InboundMessages")
    assert count == 1 and dims == {"service": "hearback", "channel": "sms"}
    [(latency, _)] = metric_values(emitted, "AcknowledgementLatency")
    assert 0 < latency < 30_000


def test_rejected_webhooks_are_not_counted(client: Any, emitted: list[dict[str, Any]]) -> None:
    headers, body = signed_twilio(SMS, sms_fields("hello", "SM" + "c3" * 16, SENDER), token="wrong")
    assert client.http.post(SMS, headers=headers, body=body).status_code == 403
    assert metric_values(emitted, "InboundMessages") == []


def test_outside_lambda_metrics_are_dropped_and_requests_still_work(
    client: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    assert post_sms(client, "SM" + "d4" * 16).status_code == 200
    assert "CloudWatchMetrics" not in capsys.readouterr().out


def test_helpers_emit_one_blob_per_dimension_set(emitted: list[dict[str, Any]]) -> None:
    observability.record_send_failure("sms", "opted_out")
    observability.record_send_failure("sms", "opted_out")
    observability.record_sla_breaches(3)
    observability.record_first_human_reply("meta", 95.0)
    observability.flush_metrics()

    assert metric_values(emitted, "SendFailures") == [
        (1, {"service": "hearback", "channel": "sms", "reason": "opted_out"}),
        (1, {"service": "hearback", "channel": "sms", "reason": "opted_out"}),
    ]
    assert metric_values(emitted, "SlaBreaches") == [(3, {"service": "hearback"})]
    assert metric_values(emitted, "TimeToFirstHumanReply") == [(95.0, {"service": "hearback", "channel": "meta"})]
    observability.flush_metrics()  # nothing left over for the next invocation
    assert len(emitted) == 3


def test_each_invocations_blobs_carry_only_its_own_metrics_and_dimensions(
    emitted: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    observability.record_send_failure("sms", "opted_out")
    observability.flush_metrics()
    observability.record_sla_breaches(2)
    observability.flush_metrics()
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Other")
    observability.record_inbound("voice")
    observability.flush_metrics()

    first, second, third = emitted
    assert first["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service", "channel", "reason"]]
    assert second["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]
    assert "SendFailures" not in second and "channel" not in second and second["SlaBreaches"] == [2.0]
    assert third["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Other"
    assert third["channel"] == "voice" and "SlaBreaches" not in third


# Queue and topic handlers: a small app of this test's own (app.py's workers belong to other areas).
worker_app = Chalice(app_name="observability-test")
observability.register(worker_app)


@worker_app.on_sqs_message(queue="hearback-outbound")
def outbound(event: Any) -> None:
    for record in event:
        observability.get_logger().info("sending", extra={"to": "+16175550123", "body": record.body})


@worker_app.on_sns_message(topic="hearback-inbound-email")
def inbound_email(event: Any) -> None:
    raise RuntimeError("could not parse mail from ana@example.org")


def test_queue_worker_logs_carry_our_message_id(log_output: io.StringIO) -> None:
    with Client(worker_app) as client:
        sqs_event = client.events.generate_sqs_event(
            queue_name="hearback-outbound", message_bodies=[json.dumps({"message_id": "msg-0001", "person_id": "p1"})]
        )
        client.lambda_.invoke("outbound", sqs_event)

    lines = records(log_output)
    sending = next(r for r in lines if r["message"] == "sending")
    assert sending["correlation_id"] == "msg-0001"
    assert sending["to"] == "[phone]" and sending["body"] == "[redacted]"
    assert any(r["message"] == "invocation done" and r["records"] == 1 for r in lines)


def test_failures_are_logged_with_the_ses_message_id_and_still_raise(log_output: io.StringIO) -> None:
    sample = json.loads(event("ses_sns_lambda_event")["body"])
    sns = sample["Records"][0]["Sns"]
    ses_id = json.loads(sns["Message"])["mail"]["messageId"]
    with Client(worker_app) as client:
        sns_event = client.events.generate_sns_event(message=sns["Message"], subject=sns.get("Subject"))
        with pytest.raises(RuntimeError):
            client.lambda_.invoke("inbound_email", sns_event)

    failed = next(r for r in records(log_output) if r["message"] == "invocation failed")
    assert failed["correlation_id"] == ses_id
    assert "ana@example.org" not in log_output.getvalue()
    assert "[email]" in failed["exception"]


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("messenger_message", "m_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"),
        ("instagram_message", "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDAx"),
        ("x_dm_event", "1856000000000000001"),
    ],
)
def test_provider_message_ids_are_found_in_webhook_bodies(sample: str, expected: str) -> None:
    request = event(sample)
    path = request["url"].split("/api", 1)[1]
    assert observability.http_correlation_id(path, "application/json", request["body"].encode()) == expected


def test_whatsapp_message_id_is_found() -> None:
    request = event("whatsapp_message")
    body = json.loads(request["body"])
    expected = body["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    assert observability.http_correlation_id("/webhooks/meta", "application/json", request["body"].encode()) == expected


def test_json_log_line_for_a_blank_or_hostile_body_falls_back() -> None:
    assert observability.http_correlation_id("/webhooks/meta", "application/json", b"{not json") is None
    assert observability.http_correlation_id("/webhooks/twilio/sms", "application/x-www-form-urlencoded", b"") is None
    hostile = b"MessageSid=SM1%0A%7B%22level%22%3A%22ERROR%22%7D"
    assert (
        observability.http_correlation_id("/webhooks/twilio/sms", "application/x-www-form-urlencoded", hostile) is None
    )


FORM = "application/x-www-form-urlencoded"


def first_form_id(body: bytes) -> str | None:
    """What the correlation id of a form body is: parse_qs's first value of the first id present."""
    form = parse_qs(body.decode("utf-8"))
    for key in ("MessageSid", "CallSid", "SmsSid"):
        if form.get(key):
            return observability._safe(form[key][0])
    return None


@pytest.mark.parametrize(
    "body",
    [
        b"MessageSid=SM123&From=%2B16175550123",
        b"CallSid=CA1&MessageSid=SM2",
        b"MessageSid=&CallSid=CA1",
        b"MessageSid&SmsSid=SM3",
        b"Message%53id=SM4&SmsSid=SM5",
        b"MessageSid=SM6&MessageSid=SM7",
        b"MessageSid=SM+8%2B",
        b"AccountSid=AC1&Body=hello",
        b"&&=&MessageSid==SM9",
    ],
)
def test_form_correlation_id_is_the_first_id_parse_qs_would_find(body: bytes) -> None:
    assert observability.http_correlation_id(SMS, FORM, body) == first_form_id(body)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["MessageSid", "CallSid", "SmsSid", "Message%53id", "Body", "", "Call+Sid"]),
            st.sampled_from(["", "=", "==", "=SM1", "=CA2", "=SM%2B3", "=a+b", "=%0A", "=SM4&"]),
        ),
        max_size=6,
    )
)
def test_any_form_gets_the_correlation_id_parse_qs_would_give(pairs: list[tuple[str, str]]) -> None:
    body = "&".join(name + value for name, value in pairs).encode()
    assert observability.http_correlation_id(SMS, FORM, body) == first_form_id(body)
