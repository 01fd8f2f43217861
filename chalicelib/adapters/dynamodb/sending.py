"""The send state of outbound messages on DynamoDB: queued -> sending (leased) -> sent | failed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamodb import keys
from chalicelib.adapters.dynamodb.messages import message_key, pointer_attrs
from chalicelib.adapters.dynamodb.table import Table, condition_failed, error_code, old_item
from chalicelib.domain.model import STATUS_RANK, Channel, Message, MessageStatus, iso
from chalicelib.services.ports.messages import MessageRef
from chalicelib.services.ports.outbound import SendStart


class DynamoDBSendingStore:
    """:class:`~chalicelib.services.ports.outbound.SendingStore` on the shared table.

    Every transition is one conditional write keyed on our message id, so a redelivered queue
    message never sends twice.
    """

    def __init__(self, table: Table) -> None:
        self.table = table

    def begin_send(self, ref: MessageRef, now: datetime, lease_until: datetime) -> SendStart:
        """One conditional write that also returns the message: no read before sending."""
        try:
            out = self.table.update(
                message_key(ref),
                "SET #s = :sending, status_rank = :rank, sending_until = :lease",
                "(#s = :queued OR (#s = :sending AND sending_until < :now)) "
                "AND (attribute_not_exists(send_after) OR send_after <= :now)",
                {":sending": MessageStatus.SENDING.value, ":queued": MessageStatus.QUEUED.value,
                 ":rank": STATUS_RANK[MessageStatus.SENDING], ":lease": iso(lease_until), ":now": iso(now)},
                {"#s": "status"}, returns="ALL_NEW",
            )  # fmt: skip
        except ClientError as exc:
            if not condition_failed(exc):
                raise
            old = old_item(exc)
            return SendStart(False, Message.model_validate(old) if old else None)
        return SendStart(True, Message.model_validate(out))

    def mark_sent(self, ref: MessageRef, channel: Channel, provider_id: str, now: datetime) -> None:
        sent = MessageStatus.SENT
        update = self.table.update_op(
            message_key(ref),
            "SET #s = :sent, status_rank = :rank, provider_id = :pid, sent_at = :now REMOVE sending_until",
            "attribute_exists(pk) AND status_rank < :rank",
            {":sent": sent.value, ":rank": STATUS_RANK[sent], ":pid": provider_id, ":now": iso(now)},
            {"#s": "status"},
        )
        pointer = self.table.put_op(keys.provider_key(channel, provider_id), pointer_attrs(ref))
        try:
            self.table.transact([{"Update": update}, {"Put": pointer}])
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise
            # A status callback got there first (sent/delivered): keep its status, add the id.
            self.table.db.update_item(**self.table.update_op(
                message_key(ref), "SET provider_id = :pid", keys.EXISTS, {":pid": provider_id}
            ))  # fmt: skip
            self.table.db.put_item(**pointer)

    def mark_failed(self, ref: MessageRef, code: str | None, reason: str) -> None:
        failed = MessageStatus.FAILED
        values: dict[str, Any] = {":failed": failed.value, ":rank": STATUS_RANK[failed],
                                  ":sent": STATUS_RANK[MessageStatus.SENT], ":reason": reason}  # fmt: skip
        sets = "SET #s = :failed, status_rank = :rank, error_reason = :reason"
        if code:
            sets += ", error_code = :code"
            values[":code"] = code
        self.table.try_update(
            message_key(ref), sets + " REMOVE sending_until", "attribute_exists(pk) AND status_rank < :sent", values,
            {"#s": "status"},
        )  # fmt: skip

    def retry_later(self, ref: MessageRef, reason: str) -> None:
        self.table.try_update(
            message_key(ref),
            "SET #s = :queued, status_rank = :rank, last_error = :reason REMOVE sending_until ADD attempts :one",
            "#s = :sending",
            {":queued": MessageStatus.QUEUED.value, ":rank": STATUS_RANK[MessageStatus.QUEUED],
             ":sending": MessageStatus.SENDING.value, ":reason": reason, ":one": 1},
            {"#s": "status"},
        )  # fmt: skip
