"""Development-only settings for the local stack.

``chalicelib.settings`` gives secrets no default on purpose (a deployed function with a
missing secret must refuse webhooks). Locally, the stack fills the gaps with the fixed,
public values below so that `make run` works on a fresh machine, and prints them so
sample requests can be signed. They are worthless outside this machine: never put them
in a deployment. Anything already in the environment wins.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import MutableMapping
from pathlib import Path

DATA_DIR_ENV = "HEARBACK_DATA_DIR"
DEFAULT_DATA_DIR = ".data"
ORGANIZER_TOKEN_FILE = "organizer-token"
DEFAULT_PORT = 8000

# Fixed so that signed sample requests keep working across restarts. DEV ONLY.
DEV_SECRETS: dict[str, str] = {
    "TWILIO_ACCOUNT_SID": "AC0123456789abcdef0123456789abcdef",
    "TWILIO_AUTH_TOKEN": "dev-only-twilio-auth-token",
    # 555-0100..0199 are reserved for fiction: never a real subscriber.
    "TWILIO_PHONE_NUMBER": "+15555550100",
    "META_APP_SECRET": "dev-only-meta-app-secret",
    "META_VERIFY_TOKEN": "dev-only-meta-verify-token",
    "META_PAGE_ACCESS_TOKEN": "dev-only-meta-page-access-token",
    "WHATSAPP_ACCESS_TOKEN": "dev-only-whatsapp-access-token",
    "WHATSAPP_PHONE_NUMBER_ID": "100000000000001",
    "X_CONSUMER_SECRET": "dev-only-x-consumer-secret",
}

# Credentials moto accepts; they reach no AWS account.
AWS_DEFAULTS: dict[str, str] = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    # Newer botocore otherwise tries account-id based endpoints.
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
}


def data_dir_from(environ: MutableMapping[str, str], cwd: Path | None = None) -> Path:
    """The data folder: ``$HEARBACK_DATA_DIR`` or ``.data/`` in the working directory."""
    configured = environ.get(DATA_DIR_ENV)
    base = cwd or Path.cwd()
    return Path(configured) if configured else base / DEFAULT_DATA_DIR


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def organizer_token(data_dir: Path) -> str:
    """The local organizer token, generated once and kept in the data folder.

    Stable across restarts so a bookmarked inbox or a script keeps working.
    """
    path = data_dir / ORGANIZER_TOKEN_FILE
    if path.exists():
        token = path.read_text(encoding="utf-8").strip()
        if token:
            return token
    token = secrets.token_urlsafe(32)
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    return token


def apply_dev_defaults(environ: MutableMapping[str, str], data_dir: Path) -> list[str]:
    """Fill in every unset local setting; return the names that got a development value.

    ``PORT=0`` asks for any free port; ``PUBLIC_BASE_URL`` then follows the chosen port.
    """
    filled: list[str] = []

    def default(name: str, value: str) -> None:
        if not environ.get(name):
            environ[name] = value
            filled.append(name)

    for name, value in AWS_DEFAULTS.items():
        default(name, value)
    port = int(environ.get("PORT") or DEFAULT_PORT)
    if port == 0:
        port = free_port(environ.get("HOST") or "127.0.0.1")
        environ["PORT"] = str(port)
    default("PORT", str(port))
    default("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}")
    for name, value in DEV_SECRETS.items():
        default(name, value)
    default("OUTBOUND", "outbox")
    if not environ.get("ORGANIZER_TOKEN"):
        environ["ORGANIZER_TOKEN"] = organizer_token(data_dir)
        filled.append("ORGANIZER_TOKEN")
    return filled
