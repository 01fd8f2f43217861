"""The start-up text: a sample SMS signed the way Twilio signs, and no secret passed in."""

from __future__ import annotations

import shlex
from pathlib import Path

from twilio.request_validator import RequestValidator

from chalicelib.local.banner import render_banner, signed_sms
from chalicelib.local.devenv import apply_dev_defaults


def test_the_sample_sms_carries_a_valid_twilio_signature() -> None:
    request = signed_sms(
        "http://127.0.0.1:8000/",
        "token",
        account_sid="AC" + "1" * 32,
        to="+15555550100",
    )

    assert request.url == "http://127.0.0.1:8000/webhooks/twilio/sms"
    assert request.params["MessageSid"].startswith("SM") and len(request.params["MessageSid"]) == 34
    assert RequestValidator("token").validate(request.url, request.params, request.signature)
    assert not RequestValidator("other").validate(request.url, request.params, request.signature)


def test_the_curl_command_posts_exactly_the_signed_fields() -> None:
    request = signed_sms("http://h:1", "t", account_sid="AC1", to="+15555550100", body="a & b+c")
    words = shlex.split(request.curl().replace("\\\n", " "))

    assert words[:5] == ["curl", "-i", "-X", "POST", "http://h:1/webhooks/twilio/sms"]
    assert f"X-Twilio-Signature: {request.signature}" in words
    posted = [words[i + 1] for i, w in enumerate(words) if w == "--data-urlencode"]
    assert dict(p.split("=", 1) for p in posted) == request.params


def test_the_banner_shows_dev_secrets_but_never_ones_from_the_environment(tmp_path: Path) -> None:
    environ = {"TWILIO_AUTH_TOKEN": "real-secret-from-shell"}
    filled = apply_dev_defaults(environ, tmp_path)

    text = render_banner(
        url="http://127.0.0.1:8000",
        environ=environ,
        dev_defaults=filled,
        endpoint_url="http://127.0.0.1:5000",
        embedded=True,
        data_dir=str(tmp_path),
    )

    assert "real-secret-from-shell" not in text
    assert "(from your environment)" in text
    assert environ["ORGANIZER_TOKEN"] in text
    assert environ["META_APP_SECRET"] in text
    assert "http://127.0.0.1:8000/webhooks/twilio/sms" in text
