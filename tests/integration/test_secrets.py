"""In AWS the provider secrets come from SSM Parameter Store (under SECRETS_PARAMETER_PATH), cached."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.adapters.aws import aws_client
from chalicelib.adapters.secrets import SECRET_PARAMETERS
from chalicelib.bootstrap import build_container, load_settings
from chalicelib.config import Settings, get_settings

PATH = "/hearback/test/"


@pytest.fixture
def ssm(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in [*SECRET_PARAMETERS, "PUBLIC_BASE_URL", "CAMPAIGN_NAME"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRETS_PARAMETER_PATH", PATH)
    get_settings.cache_clear()
    client = aws_client("ssm", Settings())
    yield client
    get_settings.cache_clear()


def put(client: Any, name: str, value: str, secure: bool = True) -> None:
    client.put_parameter(Name=name, Value=value, Type="SecureString" if secure else "String", Overwrite=True)


def test_missing_settings_are_read_from_the_parameter_path(ssm: Any) -> None:
    put(ssm, PATH + "TWILIO_AUTH_TOKEN", "token-from-ssm")
    put(ssm, PATH + "X_CONSUMER_SECRET", "x-secret")
    put(ssm, PATH + "PUBLIC_BASE_URL", "https://abc123.execute-api.us-east-1.amazonaws.com/api/", secure=False)

    settings = load_settings(ssm)

    assert settings.twilio_auth_token == "token-from-ssm"  # decrypted SecureString
    assert settings.x_consumer_secret == "x-secret"
    assert settings.public_base_url == "https://abc123.execute-api.us-east-1.amazonaws.com/api"  # validated


def test_the_environment_wins_and_other_paths_are_not_read(ssm: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_PHONE_NUMBER", "+16175550100")
    get_settings.cache_clear()
    put(ssm, PATH + "TWILIO_PHONE_NUMBER", "+16175550199")
    put(ssm, PATH + "nested/TWILIO_AUTH_TOKEN", "nested")
    put(ssm, "/hearback/prod/TWILIO_ACCOUNT_SID", "ACprod")
    put(ssm, PATH + "SECRETS_PARAMETER_PATH", "/elsewhere/")
    put(ssm, PATH + "NOT_A_SETTING", "ignored")

    settings = load_settings(ssm)

    assert settings.twilio_phone_number == "+16175550100"
    assert settings.twilio_auth_token is None
    assert settings.twilio_account_sid is None
    assert settings.secrets_parameter_path == PATH


def test_values_are_cached_for_a_while(ssm: Any) -> None:
    put(ssm, PATH + "META_APP_SECRET", "first")
    assert load_settings(ssm).meta_app_secret == "first"

    put(ssm, PATH + "META_APP_SECRET", "rotated")

    assert load_settings(ssm).meta_app_secret == "first"  # cached (max_age 5 minutes)


def test_without_a_path_nothing_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    class NoCalls:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"SSM called: {name}")

    monkeypatch.delenv("SECRETS_PARAMETER_PATH", raising=False)
    get_settings.cache_clear()
    try:
        assert load_settings(NoCalls()) is get_settings()
    finally:
        get_settings.cache_clear()


def test_a_local_stack_endpoint_reads_no_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    class NoCalls:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"SSM called: {name}")

    monkeypatch.setenv("SECRETS_PARAMETER_PATH", PATH)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    get_settings.cache_clear()
    try:
        assert load_settings(NoCalls()) is get_settings()
    finally:
        get_settings.cache_clear()


def test_the_container_is_built_with_the_secrets(ssm: Any) -> None:
    put(ssm, PATH + "TWILIO_AUTH_TOKEN", "container-token")

    container = build_container()

    assert container.settings.twilio_auth_token == "container-token"
