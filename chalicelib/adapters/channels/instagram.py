"""Instagram direct messages: Meta's webhook (``object: instagram``, ``entry[].messaging[]``) in,
the page's Send API out.

Free-form replies within 24 h of the person's last message; up to 7 days with the
``HUMAN_AGENT`` tag (the outbound worker decides which, from the reply window).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.adapters.channels.base import ChannelSpec, Delivery, Events
from chalicelib.adapters.channels.meta import messenger_sender, parse_messaging
from chalicelib.domain.channels import DAY, Channel, ChannelRules, define
from chalicelib.domain.texts import TextKind

INSTAGRAM = define(
    ChannelRules(Channel("instagram"), address_kind="instagram", reply_window=DAY, tagged_window=7 * DAY,
                 van_contact_type="Social Media")
)  # fmt: skip


def _parse(item: Any, entry: Any, received_at: datetime, batch: Delivery) -> None:
    parse_messaging(INSTAGRAM, item, received_at, batch)


CHANNEL = ChannelSpec(
    rules=INSTAGRAM.rules,
    label="Instagram",
    colour="#be185d",
    icon='<rect x="3.5" y="3.5" width="17" height="17" rx="5" fill="none" stroke="currentColor" stroke-width="2"/>'
    '<circle cx="12" cy="12" r="4" fill="none" stroke="currentColor" stroke-width="2"/>'
    '<circle cx="17" cy="7" r="1.2" fill="currentColor"/>',
    # "Reply STOP" only means something where keywords are read.
    texts={TextKind.FIRST_CONTACT_NOTICE: ""},
    sender=messenger_sender,
    events=(Events("meta", "instagram:messaging", _parse),),
)
