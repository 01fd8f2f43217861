"""Saved replies on DynamoDB: one short partition (organizers keep a few dozen)."""

from __future__ import annotations

from chalicelib.adapters.dynamodb import keys
from chalicelib.adapters.dynamodb.codec import attrs
from chalicelib.adapters.dynamodb.table import Table
from chalicelib.domain.saved_replies import SavedReply


class DynamoDBSavedReplyStore:
    """:class:`~chalicelib.services.ports.saved_replies.SavedReplyStore` on the shared table."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def put_saved_reply(self, reply: SavedReply) -> None:
        self.table.put(keys.saved_reply_key(reply.id), {"type": "saved_reply", **attrs(reply)})

    def list_saved_replies(self) -> list[SavedReply]:
        return [
            SavedReply.model_validate(i) for i in self.table.query_prefix(keys.SAVED_REPLIES, keys.SAVED_REPLY_PREFIX)
        ]

    def delete_saved_reply(self, reply_id: str) -> bool:
        return self.table.delete(keys.saved_reply_key(reply_id)) is not None
