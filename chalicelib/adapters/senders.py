"""The senders by channel, behind the :class:`~chalicelib.services.ports.outbound.Sender` port.

``OUTBOUND=outbox`` (the default) records instead of sending: the message is marked sent
with a local id and shows in the conversation. ``OUTBOUND=live`` sends through each channel
module's sender (the registry's ``live_senders``).
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from chalicelib.adapters.channels.registry import CHANNELS, live_senders
from chalicelib.domain.channels import Channel
from chalicelib.domain.model import Message
from chalicelib.domain.phones import mask
from chalicelib.services.ports.outbound import SendContext, Sender

if TYPE_CHECKING:
    from chalicelib.settings import CoreSettings

log = logging.getLogger(__name__)


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


def outbox_senders() -> dict[Channel, Sender]:
    outbox = OutboxSender()
    return {c.channel: outbox for c in CHANNELS}


def build_senders(settings: CoreSettings) -> dict[Channel, Sender]:
    """The senders by channel. Channels without one fail their messages with a clear reason."""
    if settings.outbound == "outbox":
        return outbox_senders()
    senders = dict(live_senders(settings))
    for missing in sorted({c.channel for c in CHANNELS} - set(senders)):
        log.info("no %s sender: not configured", missing)
    return senders
