"""Port: the short answers organizers write once and volunteers insert."""

from __future__ import annotations

from typing import Protocol

from chalicelib.domain.saved_replies import SavedReply


class SavedReplyStore(Protocol):
    def put_saved_reply(self, reply: SavedReply) -> None:
        """Create or replace the saved reply with ``reply.id``."""

    def list_saved_replies(self) -> list[SavedReply]:
        """Every saved reply (organizers keep a short list), in no particular order."""

    def delete_saved_reply(self, reply_id: str) -> bool:
        """Remove a saved reply; False when there was none."""
