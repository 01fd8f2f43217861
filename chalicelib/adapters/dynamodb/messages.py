"""Conversations on DynamoDB: each person's messages in time order, and provider-id pointers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamodb import keys
from chalicelib.adapters.dynamodb.codec import message_item
from chalicelib.adapters.dynamodb.table import Table, condition_failed
from chalicelib.domain.model import STATUS_RANK, Channel, Message, MessageStatus, iso
from chalicelib.services.ports.messages import MessageFill, MessageRef


def message_key(ref: MessageRef) -> keys.Key:
    return keys.message_key(ref.person_id, ref.created_at, ref.message_id)


def pointer_attrs(ref: MessageRef) -> dict[str, Any]:
    return {"type": "pointer", "person_id": ref.person_id, "message_id": ref.message_id,
            "created_at": iso(ref.created_at)}  # fmt: skip


class DynamoDBMessageStore:
    """:class:`~chalicelib.services.ports.messages.MessageStore` on the shared table."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def put_message(self, message: Message) -> None:
        self.table.db.put_item(TableName=self.table.name, Item=message_item(message), ConditionExpression=keys.NEW)

    def get_message(self, ref: MessageRef) -> Message | None:
        item = self.table.get(message_key(ref))
        return Message.model_validate(item) if item else None

    def list_messages(self, person_id: str) -> list[Message]:
        items = self.table.query_prefix(keys.person_pk(person_id), keys.MESSAGE_PREFIX, consistent=False)
        return [Message.model_validate(i) for i in items]

    def link_provider_id(self, channel: Channel, provider_id: str, ref: MessageRef) -> None:
        self.table.put(keys.provider_key(channel, provider_id), pointer_attrs(ref))
        # The message names its pointer, so merges and deletions find it.
        self.table.set_if_exists(message_key(ref), "provider_id", provider_id)

    def find_by_provider_id(self, channel: Channel, provider_id: str) -> MessageRef | None:
        item = self.table.get(keys.provider_key(channel, provider_id))
        if item is None:
            return None
        created = datetime.fromisoformat(item["created_at"].replace("Z", "+00:00"))
        return MessageRef(item["person_id"], item["message_id"], created)

    def advance_status(
        self,
        ref: MessageRef,
        status: MessageStatus,
        error_code: str | None = None,
        error_reason: str | None = None,
    ) -> bool:
        # The status ladder of domain.model.moves_forward, as a condition on the stored rank.
        sets = ["#st = :st", "status_rank = :rank"]
        values: dict[str, Any] = {":st": status.value, ":rank": STATUS_RANK[status]}
        if error_code:
            sets.append("error_code = :code")
            values[":code"] = error_code
        if error_reason:
            sets.append("error_reason = :reason")
            values[":reason"] = error_reason
        return self.table.try_update(
            message_key(ref), "SET " + ", ".join(sets), "attribute_exists(pk) AND status_rank < :rank", values,
            {"#st": "status"},
        )  # fmt: skip

    def fill_message(self, ref: MessageRef, fill: MessageFill) -> Message | None:
        names: dict[str, str] = {"#text": "text"}
        values: dict[str, Any] = {}
        sets: list[str] = []
        if fill.final_text is not None:
            # The final text is kept apart too, so a provisional fill applied later cannot hide it.
            sets += ["final_text = :final", "#text = :final"]
            values[":final"] = fill.final_text
        elif fill.provisional_text is not None:
            sets.append("#text = if_not_exists(final_text, :prov)")
            values[":prov"] = fill.provisional_text
        if fill.media_urls is not None:
            sets.append("media_urls = :media")
            values[":media"] = list(fill.media_urls)
        for i, (name, value) in enumerate(sorted((fill.meta or {}).items())):
            names[f"#m{i}"] = name
            sets.append(f"meta.#m{i} = :m{i}")
            values[f":m{i}"] = value
        if not sets:
            return self.get_message(ref)
        try:
            item = self.table.update(message_key(ref), "SET " + ", ".join(sets), keys.EXISTS, values, names, "ALL_NEW")
        except ClientError as exc:
            if condition_failed(exc):
                return None
            raise
        return Message.model_validate(item)
