"""What `make run` prints at start: where to go, how to sign in, how to send a first message.

The sample SMS is signed exactly as Twilio signs (``RequestValidator.compute_signature``
over ``PUBLIC_BASE_URL`` + path and the form fields), so pasting it exercises the real
verification path; there is no switch that turns checking off.
"""

from __future__ import annotations

import secrets
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

from twilio.request_validator import RequestValidator

from chalicelib.local.devenv import DEV_SECRETS

SMS_PATH = "/webhooks/twilio/sms"
# A fictional sender (555-01xx) so the sample never reaches a real person.
SAMPLE_SENDER = "+15555550123"
SAMPLE_BODY = "Hello from the local sample. Is the library open on Sunday?"


@dataclass(frozen=True)
class SignedRequest:
    url: str
    params: dict[str, str]
    signature: str

    def curl(self) -> str:
        """A ready-to-paste command, one option a line."""
        lines = [
            f"curl -i -X POST {shlex.quote(self.url)}",
            f"-H {shlex.quote(f'X-Twilio-Signature: {self.signature}')}",
        ]
        lines += [f"--data-urlencode {shlex.quote(f'{k}={v}')}" for k, v in self.params.items()]
        return " \\\n  ".join(lines)


def signed_sms(
    base_url: str,
    auth_token: str,
    *,
    account_sid: str,
    to: str,
    sender: str = SAMPLE_SENDER,
    body: str = SAMPLE_BODY,
    message_sid: str | None = None,
) -> SignedRequest:
    """A Twilio inbound-SMS webhook request signed with ``auth_token``."""
    url = base_url.rstrip("/") + SMS_PATH
    params = {
        "From": sender,
        "To": to,
        "Body": body,
        "MessageSid": message_sid or "SM" + secrets.token_hex(16),
        "AccountSid": account_sid,
    }
    signature = RequestValidator(auth_token).compute_signature(url, params)
    return SignedRequest(url=url, params=params, signature=signature)


def render_banner(
    *,
    url: str,
    environ: Mapping[str, str],
    dev_defaults: list[str],
    endpoint_url: str,
    embedded: bool,
    data_dir: str,
) -> str:
    """The start-up text. Prints only secrets the stack made up itself, never ones passed in."""
    sample = signed_sms(
        environ["PUBLIC_BASE_URL"],
        environ["TWILIO_AUTH_TOKEN"],
        account_sid=environ["TWILIO_ACCOUNT_SID"],
        to=environ["TWILIO_PHONE_NUMBER"],
    )
    store = "embedded moto" if embedded else "external endpoint"
    lines = [
        "",
        "Hearback is running (local stack)",
        f"  URL             {url}",
        f"  public base URL {environ['PUBLIC_BASE_URL']}",
        f"  organizer token {environ['ORGANIZER_TOKEN']}",
        f"  AWS endpoint    {endpoint_url} ({store})",
        f"  data folder     {data_dir}",
        f"  outbound        {environ.get('OUTBOUND', 'outbox')}",
        "",
        "Development-only secrets (public values, for this machine only; never deploy them):",
    ]
    for name in DEV_SECRETS:
        shown = environ[name] if name in dev_defaults else "(from your environment)"
        lines.append(f"  {name:<26}{shown}")
    lines += [
        "",
        "Send a signed sample SMS:",
        sample.curl(),
        "",
        "Ctrl-C stops the stack and saves the tables.",
        "",
    ]
    return "\n".join(lines)
