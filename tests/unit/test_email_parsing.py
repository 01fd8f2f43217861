"""Reading inbound mail: the new part of a reply, HTML as text, robots, large and encoded mail."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from chalicelib.adapters.channels.email import EMAIL
from chalicelib.adapters.channels.email_mime import (
    TOO_LARGE,
    automated_reason,
    clean_reply,
    html_to_text,
    parse_sns_event,
)

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "Yes, I'll come.\n\nOn Tue, Jan 14, 2025 at 9:00 AM Jane <j@x.org> wrote:\n> Will you come?\n",
            "Yes, I'll come.",
        ),
        ("Yes.\nOn Tue, Jan 14, 2025 at 9:00 AM Jane Doe\n<j@x.org> wrote:\n> quoted\n", "Yes."),
        ("Fine by me.\n\n-----Original Message-----\nFrom: Jane\nSent: Monday\n", "Fine by me."),
        ("Fine.\n________________________________\nFrom: Jane <j@x.org>\nSent: Monday\n", "Fine."),
        ("Thanks!\n-- \nPat Smith\nBoard member\n", "Thanks!"),
        ("Count me in\n\nSent from my iPhone", "Count me in"),
        ("> only a quote\n> nothing else", ""),
        ("line one\n> interleaved quote\nline two", "line one\nline two"),
    ],
)
def test_clean_reply_keeps_only_the_new_part(body: str, expected: str) -> None:
    assert clean_reply(body) == expected


def test_html_to_text_drops_quotes_and_scripts_and_keeps_paragraphs() -> None:
    html = "<p>Hello&nbsp;there</p><script>x()</script><blockquote>old</blockquote><div>Second <b>line</b></div>"
    assert html_to_text(html) == "Hello there\n\nSecond line"


@pytest.mark.parametrize(
    ("headers", "subject", "robot"),
    [
        ({"auto-submitted": "auto-replied"}, "", True),
        ({"auto-submitted": "no"}, "", False),
        ({"precedence": "bulk"}, "", True),
        ({"list-id": "<a.b>"}, "", True),
        ({"x-autoreply": "yes"}, "", True),
        ({}, "Automatic reply: away", True),
        ({}, "Out of Office: back Monday", True),
        ({}, "Out of patience with the potholes", False),
    ],
)
def test_robots_are_recognised(headers: dict[str, str], subject: str, robot: bool) -> None:
    assert (automated_reason(headers, subject, "person@example.org") is not None) is robot


def event(notification: dict[str, object]) -> dict[str, object]:
    return {"Records": [{"Sns": {"TopicArn": "t", "MessageId": "s", "Message": json.dumps(notification)}}]}


def test_base64_content_is_decoded() -> None:
    mime = b"From: a@example.org\r\nMessage-ID: <b64@x>\r\nSubject: hi\r\n\r\nCaf\xc3\xa9 on Main\r\n"
    notification = {
        "notificationType": "Received",
        "mail": {"messageId": "m1", "source": "a@example.org"},
        "receipt": {"action": {"encoding": "BASE64"}},
        "content": base64.b64encode(mime).decode(),
    }
    [msg] = parse_sns_event(event(notification), None, NOW, EMAIL).messages
    assert msg.text == "Café on Main" and msg.provider_id == "<b64@x>"


def test_mail_without_content_is_still_a_message_from_its_headers() -> None:
    notification = {
        "notificationType": "Received",
        "mail": {
            "messageId": "ses-big",
            "source": "big@example.org",
            "headers": [
                {"name": "From", "value": "Big Sender <big@example.org>"},
                {"name": "Subject", "value": "Plans"},
            ],
        },
    }
    [msg] = parse_sns_event(event(notification), None, NOW, EMAIL).messages
    assert msg.text == TOO_LARGE and msg.provider_id == "ses-big" and msg.address == "big@example.org"
    assert msg.meta["subject"] == "Plans" and msg.first_name == "Big"


def test_sender_address_is_lower_cased() -> None:
    mime = "From: Pat <Pat.Smith@Example.ORG>\r\nMessage-ID: <c@x>\r\n\r\nhello\r\n"
    notification = {"notificationType": "Received", "mail": {"messageId": "m"}, "content": mime}
    [msg] = parse_sns_event(event(notification), None, NOW, EMAIL).messages
    assert msg.address == "pat.smith@example.org"
