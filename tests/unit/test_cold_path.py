"""The webhook functions' cold path leaves out the Twilio REST client and the X-Ray SDK."""

from __future__ import annotations

import pytest

from bench.cold_import import FIRST_REQUEST, IMPORT_APP, loaded_but_unwanted, measure


@pytest.mark.parametrize("code", [IMPORT_APP, FIRST_REQUEST], ids=["import app", "first request"])
def test_twilio_rest_and_xray_are_not_loaded(code: str) -> None:
    _, _, modules = measure(code)
    assert "app" in modules and "chalicelib.api.webhooks" in modules
    assert loaded_but_unwanted(modules) == []


def test_the_check_would_catch_them() -> None:
    assert loaded_but_unwanted(["twilio", "twilio.rest", "aws_xray_sdk.core", "twilio.twiml"]) == [
        "twilio.rest",
        "aws_xray_sdk.core",
    ]
