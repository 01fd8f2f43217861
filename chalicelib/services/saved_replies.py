"""Use cases: the saved replies organizers maintain for volunteers."""

from __future__ import annotations

from chalicelib.domain.model import User
from chalicelib.domain.saved_replies import MAX_SAVED_REPLIES, SavedReply, saved_reply_id
from chalicelib.services.errors import NotFoundError, UnprocessableError
from chalicelib.services.ports import Clock
from chalicelib.services.ports.saved_replies import SavedReplyStore


def list_saved_replies(store: SavedReplyStore) -> list[SavedReply]:
    return sorted(store.list_saved_replies(), key=lambda r: r.title.casefold())


def save_reply(store: SavedReplyStore, clock: Clock, author: User, title: str, text: str) -> SavedReply:
    """Create or replace (same title) a saved reply."""
    title, text = " ".join(title.split()), text.strip()
    reply = SavedReply(id=saved_reply_id(title), title=title, text=text, created_by=author.id, created_at=clock())
    existing = store.list_saved_replies()
    if reply.id not in {r.id for r in existing} and len(existing) >= MAX_SAVED_REPLIES:
        raise UnprocessableError(f"at most {MAX_SAVED_REPLIES} saved replies; delete one first")
    store.put_saved_reply(reply)
    return reply


def delete_saved_reply(store: SavedReplyStore, reply_id: str) -> None:
    if not store.delete_saved_reply(reply_id):
        raise NotFoundError("no such saved reply")
