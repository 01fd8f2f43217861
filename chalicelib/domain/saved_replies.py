"""Saved replies: short answers organizers write once and volunteers insert with one tap."""

from __future__ import annotations

import hashlib
from datetime import datetime

from pydantic import Field

from chalicelib.domain.model import Model

TITLE_MAX = 80
TEXT_MAX = 1600  # what one reply may carry (Twilio's concatenated-SMS limit)
MAX_SAVED_REPLIES = 200


class SavedReply(Model):
    id: str
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    text: str = Field(min_length=1, max_length=TEXT_MAX)
    created_by: str
    created_at: datetime


def saved_reply_id(title: str) -> str:
    """One saved reply a title: posting the same title again replaces its text (safe to retry)."""
    normalized = " ".join(title.split()).casefold()
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()[:20]
