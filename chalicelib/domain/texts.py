"""What constituents read (or hear), as one table keyed by (text, channel, language).

Lookup falls back from the most to the least specific entry: this channel in this language,
any channel in this language, this channel in English, any channel in English. The table is
built once by the composition root from the core defaults, each channel module's defaults
and the campaign's overrides from settings; ``{campaign}`` is filled in when it is built.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from chalicelib.domain.channels import Channel

ENGLISH = "en"


class TextKind(enum.StrEnum):
    ACK = "ack"  # the acknowledgement of a first message
    FIRST_CONTACT_NOTICE = "first_contact_notice"  # appended the first time ("Reply STOP to opt out.")
    HELP = "help"  # the answer to HELP


# (text, channel or None for any, language)
TextKey = tuple[TextKind, Channel | None, str]


@dataclass(frozen=True)
class Texts:
    entries: Mapping[TextKey, str] = field(default_factory=dict)

    def get(self, kind: TextKind, channel: Channel | None = None, language: str | None = None) -> str:
        for key in _candidates(kind, channel, language or ENGLISH):
            if key in self.entries:
                return self.entries[key]
        return ""

    def layered(self, more: Mapping[TextKey, str]) -> Texts:
        """This table with ``more`` on top (later layers win)."""
        return Texts({**self.entries, **more})


def _candidates(kind: TextKind, channel: Channel | None, language: str) -> list[TextKey]:
    found: list[TextKey] = []
    for lang in dict.fromkeys((language, ENGLISH)):
        if channel is not None:
            found.append((kind, channel, lang))
        found.append((kind, None, lang))
    return found
