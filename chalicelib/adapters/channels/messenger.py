"""Messenger direct messages: Meta's webhook (``object: page``, ``entry[].messaging[]``) in,
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

MESSENGER = define(
    ChannelRules(Channel("messenger"), address_kind="messenger", reply_window=DAY, tagged_window=7 * DAY,
                 van_contact_type="Social Media")
)  # fmt: skip


def _parse(item: Any, entry: Any, received_at: datetime, batch: Delivery) -> None:
    parse_messaging(MESSENGER, item, received_at, batch)


CHANNEL = ChannelSpec(
    rules=MESSENGER.rules,
    label="Messenger",
    colour="#0e7490",
    icon='<path fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round" '
    'd="M12 3C7 3 3 6.7 3 11.3c0 2.6 1.3 4.9 3.3 6.4V21l3-1.7c.9.3 1.8.4 2.7.4 5 0 9-3.7 9-8.4S17 3 12 3z"/>'
    '<path fill="currentColor" d="M7 13.5l3.5-3.7 2 2 3.5-2-3.5 3.7-2-2z"/>',
    # "Reply STOP" only means something where keywords are read.
    texts={TextKind.FIRST_CONTACT_NOTICE: ""},
    sender=messenger_sender,
    events=(Events("meta", "page:messaging", _parse),),
)
