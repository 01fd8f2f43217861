"""No log line carries a phone number, an email address or what someone wrote."""

from __future__ import annotations

import io
import json
import logging
import uuid

import pytest
from aws_lambda_powertools import Logger
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.api.redaction import RedactingFilter, RedactingFormatter, redact_text

PHONES = [
    "+16175550123",
    "+1 617 555 0123",
    "+1 (617) 555-0123",
    "(617) 555-0123",
    "617-555-0123",
    "617.555.0123",
    "6175550123",
    "16175550123",
    "+44 20 7946 0958",
    "whatsapp:+16175550123",
]
EMAILS = ["jane.doe+campaign@example.org", "J.Smith@mail.example.co.uk"]
BODY = "I will vote for you if you fix the potholes"


def powertools_logger(stream: io.StringIO) -> Logger:
    return Logger(service=f"redaction-{uuid.uuid4().hex}", stream=stream, logger_formatter=RedactingFormatter())


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_log_lines_carry_no_phone_email_or_body() -> None:
    stream = io.StringIO()
    log = powertools_logger(stream)

    log.info(
        f"inbound from {PHONES[0]} and {EMAILS[0]}",
        extra={
            "Body": BODY,
            "text": BODY,
            "form": {"From": "whatsapp:+16175550123", "Body": BODY, "MessageSid": "SM0123456789abcdef"},
            "recipients": [EMAILS[1], "(617) 555-0123"],
        },
    )
    log.info({"From": "617-555-0123", "body": BODY, "to": "+44 20 7946 0958"})

    output = stream.getvalue()
    for secret in [*PHONES, *EMAILS, BODY, "6175550123", "555-0123"]:
        assert secret not in output, secret
    first, second = lines(stream)
    assert first["Body"] == "[redacted]" and first["text"] == "[redacted]"
    assert first["form"] == {"From": "whatsapp:[phone]", "Body": "[redacted]", "MessageSid": "SM0123456789abcdef"}
    assert first["recipients"] == ["[email]", "[phone]"]
    assert first["message"] == "inbound from [phone] and [email]"
    assert second["message"] == {"From": "[phone]", "body": "[redacted]", "to": "[phone]"}


def test_body_in_a_free_text_message_is_the_callers_job_but_phones_in_it_are_masked() -> None:
    # A message string is not a field: only patterns are masked in it. Code logs ids, not texts.
    assert redact_text(f"Reply from 617-555-0123: {BODY}") == f"Reply from [phone]: {BODY}"


def test_exceptions_and_stack_traces_are_masked() -> None:
    stream = io.StringIO()
    log = powertools_logger(stream)
    try:
        raise ValueError("cannot send to +16175550123 (jane@example.org)")
    except ValueError:
        log.exception("send failed")

    output = stream.getvalue()
    assert "+16175550123" not in output and "jane@example.org" not in output
    assert "cannot send to [phone] ([email])" in lines(stream)[0]["exception"]


@pytest.mark.parametrize(
    "kept",
    [
        "2026-11-26T15:00:00.123456+00:00",
        "2026-11-26 15:00:00,123",
        "SM0123456789abcdef0123456789abcdef",
        "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        "1-5759e988-bd862e3fe1be46a994272793",
        "TASK#01JD3W8S1B4N7Q/2026",
        "task 42 claimed by volunteer 7 after 1500 ms",
    ],
)
def test_ids_times_and_numbers_are_not_masked(kept: str) -> None:
    assert redact_text(kept) == kept


@given(
    area=st.integers(200, 999),
    exchange=st.integers(200, 999),
    line=st.integers(0, 9999),
    shape=st.sampled_from(["+1{a}{e}{l}", "({a}) {e}-{l}", "{a}-{e}-{l}", "{a}.{e}.{l}", "1 {a} {e} {l}"]),
)
def test_any_us_number_in_any_common_shape_is_masked(area: int, exchange: int, line: int, shape: str) -> None:
    number = shape.format(a=area, e=exchange, l=f"{line:04d}")
    assert redact_text(f"call me at {number} today") == "call me at [phone] today"


def test_plain_handlers_get_redacted_records_too() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s %(Body)s"))
    handler.addFilter(RedactingFilter())
    log = logging.getLogger(f"plain-{uuid.uuid4().hex}")
    log.propagate = False
    log.addHandler(handler)

    log.warning("text from %s <%s>", "+16175550123", "jane@example.org", extra={"Body": BODY})

    assert stream.getvalue() == "WARNING text from [phone] <[email]> [redacted]\n"


def masked_everywhere(text: str) -> str:
    """Both patterns over the whole text, as redaction did before it skipped strings that cannot match."""
    from chalicelib.api.redaction import _EMAIL, _PHONE, EMAIL_MASK, PHONE_MASK

    return _PHONE.sub(PHONE_MASK, _EMAIL.sub(EMAIL_MASK, text))


@given(st.text(alphabet=st.sampled_from("0123456789\u0661\u0662\u0663+@.-() _abcXYZ\n"), max_size=40))
def test_skipping_strings_without_digits_or_at_signs_never_changes_what_is_masked(text: str) -> None:
    assert redact_text(text) == masked_everywhere(text)


@pytest.mark.parametrize("text", [*PHONES, *EMAILS, "+1 (617) 555-0123 or a@b.co", "INFO", "observe:274"])
def test_known_shapes_are_masked_exactly_as_by_both_patterns(text: str) -> None:
    assert redact_text(text) == masked_everywhere(text)
