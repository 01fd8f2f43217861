"""What differs between channels, as data (STYLE rule 7: no if-chains on channel names).

Reply windows are the providers' rules: Meta allows free-form messages for 24 h after the
person's last message (Messenger and Instagram up to 7 days with the HUMAN_AGENT tag);
WhatsApp outside 24 h needs a template. SMS, X and email have no window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.domain.model import Channel


@dataclass(frozen=True)
class ChannelRules:
    # The channel a volunteer's answer goes out on (a voicemail is answered by text).
    reply_channel: Channel
    reply_window: timedelta | None = None
    # A longer window available with a provider tag (Meta HUMAN_AGENT).
    tagged_window: timedelta | None = None
    # Answers go into the thread of the person's message (email's In-Reply-To and subject).
    threaded: bool = False


DAY = timedelta(hours=24)

RULES: dict[Channel, ChannelRules] = {
    Channel.SMS: ChannelRules(reply_channel=Channel.SMS),
    Channel.VOICE: ChannelRules(reply_channel=Channel.SMS),
    Channel.WHATSAPP: ChannelRules(reply_channel=Channel.WHATSAPP, reply_window=DAY),
    Channel.MESSENGER: ChannelRules(reply_channel=Channel.MESSENGER, reply_window=DAY, tagged_window=7 * DAY),
    Channel.INSTAGRAM: ChannelRules(reply_channel=Channel.INSTAGRAM, reply_window=DAY, tagged_window=7 * DAY),
    Channel.X: ChannelRules(reply_channel=Channel.X),
    Channel.EMAIL: ChannelRules(reply_channel=Channel.EMAIL, threaded=True),
}


@dataclass(frozen=True)
class WindowState:
    open: bool
    tagged: bool  # open only with the provider's human-agent tag
    closes_at: datetime | None


def reply_window(channel: Channel, last_inbound: datetime | None, now: datetime) -> WindowState:
    """Whether a free-form reply on ``channel`` may go out now."""
    rules = RULES[channel]
    if rules.reply_window is None:
        return WindowState(open=True, tagged=False, closes_at=None)
    if last_inbound is None:
        return WindowState(open=False, tagged=False, closes_at=None)
    if now < last_inbound + rules.reply_window:
        return WindowState(open=True, tagged=False, closes_at=last_inbound + rules.reply_window)
    if rules.tagged_window and now < last_inbound + rules.tagged_window:
        return WindowState(open=True, tagged=True, closes_at=last_inbound + rules.tagged_window)
    return WindowState(open=False, tagged=False, closes_at=None)
