"""Development defaults fill only what is unset, and the organizer token is stable."""

from __future__ import annotations

import re
import stat
from pathlib import Path

from chalicelib.local.devenv import DEV_SECRETS, apply_dev_defaults, data_dir_from, organizer_token


def test_every_unset_setting_gets_a_development_value(tmp_path: Path) -> None:
    environ: dict[str, str] = {}
    filled = apply_dev_defaults(environ, tmp_path)

    assert environ["PORT"] == "8000"
    assert environ["PUBLIC_BASE_URL"] == "http://127.0.0.1:8000"
    assert environ["AWS_ACCOUNT_ID_ENDPOINT_MODE"] == "disabled"
    assert environ["AWS_DEFAULT_REGION"] == "us-east-1"
    assert environ["OUTBOUND"] == "outbox"
    assert re.fullmatch(r"AC[0-9a-f]{32}", environ["TWILIO_ACCOUNT_SID"])
    assert re.fullmatch(r"\+1555\d{7}", environ["TWILIO_PHONE_NUMBER"])
    assert set(DEV_SECRETS) <= set(filled)
    assert "ORGANIZER_TOKEN" in filled
    assert "AWS_ENDPOINT_URL" not in environ


def test_values_already_set_win(tmp_path: Path) -> None:
    environ = {
        "PORT": "9001",
        "TWILIO_AUTH_TOKEN": "real-token",
        "OUTBOUND": "live",
        "ORGANIZER_TOKEN": "mine",
        "PUBLIC_BASE_URL": "https://example.ngrok.app",
    }
    filled = apply_dev_defaults(environ, tmp_path)

    assert environ["TWILIO_AUTH_TOKEN"] == "real-token"
    assert environ["OUTBOUND"] == "live"
    assert environ["ORGANIZER_TOKEN"] == "mine"
    assert environ["PUBLIC_BASE_URL"] == "https://example.ngrok.app"
    assert not {"TWILIO_AUTH_TOKEN", "OUTBOUND", "ORGANIZER_TOKEN", "PUBLIC_BASE_URL"} & set(filled)
    assert not (tmp_path / "organizer-token").exists()


def test_the_public_base_url_follows_the_port(tmp_path: Path) -> None:
    environ = {"PORT": "9002"}
    apply_dev_defaults(environ, tmp_path)
    assert environ["PUBLIC_BASE_URL"] == "http://127.0.0.1:9002"


def test_port_zero_picks_a_free_port(tmp_path: Path) -> None:
    environ = {"PORT": "0"}
    apply_dev_defaults(environ, tmp_path)
    assert int(environ["PORT"]) > 0
    assert environ["PUBLIC_BASE_URL"] == f"http://127.0.0.1:{environ['PORT']}"


def test_the_organizer_token_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    first = organizer_token(tmp_path / "data")
    second = organizer_token(tmp_path / "data")

    assert first == second
    assert len(first) >= 40
    mode = stat.S_IMODE((tmp_path / "data" / "organizer-token").stat().st_mode)
    assert mode == 0o600


def test_the_data_folder_defaults_to_dot_data_in_the_working_directory(tmp_path: Path) -> None:
    assert data_dir_from({}, tmp_path) == tmp_path / ".data"
    assert data_dir_from({"HEARBACK_DATA_DIR": "/srv/hb"}, tmp_path) == Path("/srv/hb")
