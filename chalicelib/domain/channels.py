"""Channels: the open vocabulary of where a person writes from, and each channel's rules.

The core knows one channel by name, :data:`SMS` (the campaign number: keywords, the
volunteers' relay, the exports' ``sms_status``). Every other channel is declared by its own
module under ``chalicelib/adapters/channels/``, which calls :func:`define` with the channel's
rules when the registry imports it; the domain keeps the table and answers questions from it
(STYLE rule 7: no if-chains on channel names).

Reply windows are the providers' rules: Meta allows free-form messages for 24 h after the
person's last message (Messenger and Instagram up to 7 days with the HUMAN_AGENT tag);
WhatsApp outside 24 h needs a template. SMS, X and email have no window.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

_SLUG = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class Channel(str):
    """A channel's value, as stored and as the API shows it (``"sms"``, ``"messenger"``...)."""

    __slots__ = ()

    def __new__(cls, value: str) -> Channel:
        if isinstance(value, Channel):
            return value
        if not isinstance(value, str) or not _SLUG.match(value):
            raise ValueError(f"not a channel name: {str(value)[:40]!r}")
        return super().__new__(cls, value)

    @property
    def value(self) -> str:
        return str.__str__(self)

    @property
    def rules(self) -> ChannelRules:
        return rules_of(self)

    def __repr__(self) -> str:
        return f"Channel({self.value!r})"

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            cls, core_schema.str_schema(), serialization=core_schema.plain_serializer_function_ser_schema(str)
        )


SMS = Channel("sms")


@dataclass(frozen=True)
class ChannelRules:
    channel: Channel
    # The kind of address a person has here; channels of one kind share one identity (the same
    # E.164 number texting, calling and on WhatsApp is one person).
    address_kind: str
    # The channel a volunteer's answer goes out on (None: this one; a voicemail is answered by text).
    reply_channel: Channel | None = None
    reply_window: timedelta | None = None
    # A longer window available with a provider tag (Meta HUMAN_AGENT).
    tagged_window: timedelta | None = None
    # Answers go into the thread of the person's message (email's In-Reply-To and subject).
    threaded: bool = False
    # VAN's ContactType for stance recorded from this channel.
    van_contact_type: str = ""

    @property
    def answers_on(self) -> Channel:
        return self.reply_channel or self.channel


_RULES: dict[str, ChannelRules] = {}
_lock = threading.Lock()


class UnknownChannelError(KeyError):
    """No channel module declared this channel (a value from storage nobody serves any more)."""


def define(rules: ChannelRules) -> Channel:
    """Add a channel's rules to the table (its module does, on import). Defining the same rules
    again is harmless; different rules for a defined channel are a mistake and refused."""
    with _lock:
        known = _RULES.get(rules.channel.value)
        if known is not None and known != rules:
            raise ValueError(f"channel {rules.channel.value!r} is already defined with other rules")
        _RULES[rules.channel.value] = rules
    return rules.channel


def rules_of(channel: Channel | str) -> ChannelRules:
    try:
        return _RULES[str(channel)]
    except KeyError:
        raise UnknownChannelError(f"no channel module defines {str(channel)!r}") from None


def known_channels() -> tuple[Channel, ...]:
    return tuple(r.channel for r in _RULES.values())


def address_kind(channel: Channel) -> str:
    return rules_of(channel).address_kind


DAY = timedelta(hours=24)


@dataclass(frozen=True)
class WindowState:
    open: bool
    tagged: bool  # open only with the provider's human-agent tag
    closes_at: datetime | None


def reply_window(channel: Channel, last_inbound: datetime | None, now: datetime) -> WindowState:
    """Whether a free-form reply on ``channel`` may go out now."""
    rules = rules_of(channel)
    if rules.reply_window is None:
        return WindowState(open=True, tagged=False, closes_at=None)
    if last_inbound is None:
        return WindowState(open=False, tagged=False, closes_at=None)
    if now < last_inbound + rules.reply_window:
        return WindowState(open=True, tagged=False, closes_at=last_inbound + rules.reply_window)
    if rules.tagged_window and now < last_inbound + rules.tagged_window:
        return WindowState(open=True, tagged=True, closes_at=last_inbound + rules.tagged_window)
    return WindowState(open=False, tagged=False, closes_at=None)
