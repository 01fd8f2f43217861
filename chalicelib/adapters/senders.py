"""Senders: one per channel, behind the :class:`~chalicelib.services.ports.Sender` port.

``OUTBOUND=outbox`` (the default) records instead of sending: the message is marked sent
with a local id and shows in the conversation. ``OUTBOUND=live`` sends through the
providers; ``twilio.rest`` is imported only when a Twilio message is really sent.
Another channel's sender is one class here (or its own module) and one line in
:func:`build_senders`.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from chalicelib.domain.model import Channel, Message
from chalicelib.domain.phones import mask
from chalicelib.services.ports.outbound import SendContext, Sender, SendError

if TYPE_CHECKING:
    from chalicelib.settings import Settings

log = logging.getLogger(__name__)

# Twilio errors that no retry can fix (https://www.twilio.com/docs/api/errors).
TWILIO_PERMANENT = {
    "21211": "invalid 'To' phone number",
    "21408": "permission to send to this region is not enabled",
    "21610": "the recipient has opted out (replied STOP)",
    "21612": "the 'To' number cannot be reached from the campaign number",
    "21614": "'To' number is not a mobile number",
    "21606": "the 'From' number cannot send messages",
    "21617": "message body exceeds the concatenated message limit",
    "30003": "unreachable destination handset",
    "30004": "message blocked",
    "30005": "unknown destination handset",
    "30006": "landline or unreachable carrier",
    "30007": "message filtered by the carrier",
}
OPTED_OUT_CODE = "21610"


class OutboxSender:
    """Records messages instead of sending them (local runs, demos, tests)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sent: list[Message] = []

    def send(self, message: Message, context: SendContext) -> str:
        with self._lock:
            self.sent.append(message)
        log.info("outbox: %s message %s to %s", message.channel.value, message.id, mask(message.address or ""))
        return f"outbox-{message.id}"


class TwilioSmsSender:
    """SMS (and WhatsApp through Twilio) with Twilio's REST API."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        status_callback_url: str | None = None,
        client: Any = None,
    ) -> None:
        self._sid = account_sid
        self._token = auth_token
        self._from = from_number
        self._callback = status_callback_url
        self._client = client

    def _twilio(self) -> Any:
        if self._client is None:
            from twilio.rest import Client  # 100+ ms of import: only where messages are sent

            self._client = Client(self._sid, self._token)
        return self._client

    def send(self, message: Message, context: SendContext) -> str:
        if not message.address:
            raise SendError("no recipient address", permanent=True)
        prefix = "whatsapp:" if message.channel is Channel.WHATSAPP else ""
        kwargs: dict[str, Any] = {"to": prefix + message.address, "from_": prefix + self._from, "body": message.text}
        if self._callback:
            kwargs["status_callback"] = self._callback
        try:
            created = self._twilio().messages.create(**kwargs)
        except Exception as exc:  # twilio and requests errors are mapped below, nothing else is swallowed
            raise _twilio_error(exc) from exc
        return str(created.sid)


def _twilio_error(exc: Exception) -> SendError:
    from twilio.base.exceptions import TwilioRestException

    if isinstance(exc, TwilioRestException):
        code = str(exc.code) if exc.code is not None else None
        status = int(exc.status or 0)
        if code in TWILIO_PERMANENT:
            return SendError(
                f"Twilio {code}: {TWILIO_PERMANENT[code]}",
                code=code,
                permanent=True,
                recipient_opted_out=code == OPTED_OUT_CODE,
            )
        if status == 429 or status >= 500:
            return SendError(f"Twilio HTTP {status}: {exc.msg}", code=code)
        return SendError(f"Twilio HTTP {status}: {exc.msg}", code=code, permanent=status in range(400, 500))
    # Timeouts and connection errors: try again later.
    return SendError(f"{type(exc).__name__}: could not reach Twilio")


def build_senders(settings: Settings) -> dict[Channel, Sender]:
    """The registry of senders by channel. Channels without an entry fail with a clear reason."""
    if settings.outbound == "outbox":
        outbox = OutboxSender()
        return dict.fromkeys(Channel, outbox)
    from chalicelib.adapters.channels import LIVE_SENDERS
    from chalicelib.services.errors import NotConfiguredError

    senders: dict[Channel, Sender] = {}
    for channel, factory in LIVE_SENDERS.items():
        try:
            senders[channel] = factory(settings)
        except NotConfiguredError:
            log.info("no %s sender: not configured", channel.value)  # its messages fail with that reason
    if settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_phone_number:
        twilio = TwilioSmsSender(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            settings.twilio_phone_number,
            status_callback_url=settings.public_base_url + "/webhooks/twilio/status",
        )
        senders[Channel.SMS] = twilio
    return senders
