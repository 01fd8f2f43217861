"""DynamoDB single-table store: the only module that knows keys, indexes and conditions.

| item              | pk                              | sk                 | gsi1 (sparse)                     |
| ----------------- | ------------------------------- | ------------------ | --------------------------------- |
| person            | PERSON#<id>                     | PROFILE            |                                   |
| identity          | IDENT#<kind>#<address>          | IDENT              |                                   |
| message           | PERSON#<id>                     | MSG#<iso>#<id>     |                                   |
| task              | TASK#<id>                       | TASK               | TASKS#<status>#<shard> / <due>#<id> |
| dedupe marker     | PROVIDER#<channel>#<provider id> | DEDUP (TTL)       |                                   |
| provider pointer  | PROVIDER#<channel>#<provider id> | OUTMSG            |                                   |
| user              | USER#<id>                       | USER               |                                   |
| token             | TOKEN#<sha256>                  | TOKEN              |                                   |
| saved reply       | SAVED_REPLIES                   | REPLY#<id>         |                                   |

Nothing written for every message shares a partition key: the task index is sharded by
task id and there are no global counters on the hot path.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from chalicelib.adapters.cursor import decode_cursor, encode_cursor
from chalicelib.domain.inbound import Answer, InboundPlan
from chalicelib.domain.model import (
    STATUS_RANK,
    Channel,
    Identity,
    Message,
    MessageStatus,
    Model,
    Person,
    SubscriptionStatus,
    Task,
    TaskStatus,
    User,
    iso,
    preview_of,
)
from chalicelib.domain.saved_replies import SavedReply
from chalicelib.services.ports import (
    DuplicateDeliveryError,
    InFlightError,
    MessageRef,
    StalePlanError,
    TaskPage,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_ser = TypeSerializer()
_de = TypeDeserializer()

PROFILE, IDENT, TASK, DEDUP, OUTMSG, USER, TOKEN = (
    "PROFILE", "IDENT", "TASK", "DEDUP", "OUTMSG", "USER", "TOKEN",
)  # fmt: skip


def person_key(person_id: str) -> dict[str, Any]:
    return _key(f"PERSON#{person_id}", PROFILE)


def identity_key(kind: str, address: str) -> dict[str, Any]:
    return _key(f"IDENT#{kind}#{address}", IDENT)


def message_sk(created_at: datetime, message_id: str) -> str:
    return f"MSG#{iso(created_at)}#{message_id}"


def message_key(ref: MessageRef) -> dict[str, Any]:
    return _key(f"PERSON#{ref.person_id}", message_sk(ref.created_at, ref.message_id))


def task_key(task_id: str) -> dict[str, Any]:
    return _key(f"TASK#{task_id}", TASK)


def dedupe_key(dedupe: str) -> dict[str, Any]:
    return _key(f"PROVIDER#{dedupe}", DEDUP)


def provider_key(channel: Channel, provider_id: str) -> dict[str, Any]:
    return _key(f"PROVIDER#{channel.value}#{provider_id}", OUTMSG)


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def serialize(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _ser.serialize(v) for k, v in values.items() if v is not None}


def deserialize(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _de.deserialize(v) for k, v in item.items()}


def _attrs(model: Model) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=True)


class DynamoDBStore:
    """The :class:`~chalicelib.services.ports.Store` port on one DynamoDB table."""

    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        shards: int = 4,
        dedupe_ttl: timedelta = timedelta(days=14),
    ) -> None:
        self._db = client
        self._table = table_name
        self._shards = shards
        self._dedupe_ttl = dedupe_ttl

    # -- helpers -------------------------------------------------------------------------
    def _get(self, key: dict[str, Any]) -> dict[str, Any] | None:
        item = self._db.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
        return deserialize(item) if item else None

    def _put(self, key: dict[str, Any], attrs: dict[str, Any], condition: str | None = None) -> dict[str, Any]:
        op: dict[str, Any] = {"TableName": self._table, "Item": {**key, **serialize(attrs)}}
        if condition:
            op["ConditionExpression"] = condition
        return op

    def shard_of(self, task_id: str) -> int:
        return zlib.crc32(task_id.encode()) % self._shards

    def _task_index(self, task: Task) -> dict[str, Any]:
        return {
            "gsi1pk": f"TASKS#{task.status.value}#{self.shard_of(task.id)}",
            "gsi1sk": f"{iso(task.due_at)}#{task.id}",
        }

    def _task_item(self, task: Task) -> dict[str, Any]:
        return {"type": "task", **_attrs(task), **self._task_index(task)}

    # -- inbound -------------------------------------------------------------------------
    def find_identity(self, kind: str, address: str) -> Identity | None:
        item = self._get(identity_key(kind, address))
        return Identity.model_validate(item) if item else None

    def get_person(self, person_id: str) -> Person | None:
        item = self._get(person_key(person_id))
        return Person.model_validate(item) if item else None

    def record_inbound(self, plan: InboundPlan) -> None:
        msg = plan.inbound
        now = iso(msg.received_at)
        expires = int((msg.received_at + self._dedupe_ttl).timestamp())
        marker = {"type": "dedupe", "answer": plan.answer.model_dump_json(), "expires_at": expires}
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    **self._put(dedupe_key(msg.dedupe_key), marker, "attribute_not_exists(pk)"),
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
            {"Put": self._message_put(plan.message)},
        ]
        items += [{"Put": self._message_put(out)} for out in plan.outbound]
        task_id = plan.open_task.id if plan.open_task else plan.join_task_id
        channel = msg.channel.value

        if plan.new_identity is not None and plan.new_person is not None:
            identity = plan.new_identity.model_copy()
            person = plan.new_person.model_copy()
            identity.last_inbound = {channel: msg.received_at}
            if plan.subscription:
                identity.subscriptions = {channel: plan.subscription}
            identity.open_task_id = person.open_task_id = task_id
            person.first_contact_at = person.last_contact_at = msg.received_at
            person.last_contact_channel = msg.channel
            items.append({"Put": self._put(
                identity_key(identity.kind, identity.address),
                {"type": "identity", **_attrs(identity)},
                "attribute_not_exists(pk)",
            )})  # fmt: skip
            items.append({"Put": self._put(
                person_key(person.id), {"type": "person", **_attrs(person)}, "attribute_not_exists(pk)"
            )})  # fmt: skip
        else:
            sets = ["last_inbound.#ch = :now"]
            values: dict[str, Any] = {":now": now, ":pid": plan.person_id}
            if plan.subscription:
                sets.append("subscriptions.#ch = :sub")
                values[":sub"] = plan.subscription.value
            if task_id:
                sets.append("open_task_id = :task")
                values[":task"] = task_id
            items.append({"Update": {
                "TableName": self._table,
                "Key": identity_key(plan.identity_kind, msg.address),
                "UpdateExpression": "SET " + ", ".join(sets),
                "ConditionExpression": "person_id = :pid",
                "ExpressionAttributeNames": {"#ch": channel},
                "ExpressionAttributeValues": serialize(values),
            }})  # fmt: skip
            items.append({"Update": self._person_contact_update(plan, now, task_id)})

        if plan.open_task is not None:
            items.append({"Put": self._put(
                task_key(plan.open_task.id), self._task_item(plan.open_task), "attribute_not_exists(pk)"
            )})  # fmt: skip
        elif plan.join_task_id is not None:
            items.append({"Update": {
                "TableName": self._table,
                "Key": task_key(plan.join_task_id),
                "UpdateExpression": "SET preview = :preview, last_inbound_at = :now, channel = :ch "
                "ADD inbound_count :one",
                "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeValues": serialize({
                    ":preview": preview_of(plan.message.text), ":now": now, ":ch": channel, ":one": 1,
                }),
            }})  # fmt: skip
        self._transact(items, dedupe_key(msg.dedupe_key))

    def _person_contact_update(self, plan: InboundPlan, now: str, task_id: str | None) -> dict[str, Any]:
        sets = [
            "last_contact_at = :now",
            "last_contact_channel = :ch",
            "first_contact_at = if_not_exists(first_contact_at, :now)",
        ]
        values: dict[str, Any] = {":now": now, ":ch": plan.inbound.channel.value}
        condition = "attribute_exists(pk)"
        if plan.open_task is not None or plan.join_task_id is not None:
            # The plan relied on the open task it was given; hold it to that.
            if plan.expected_open_task is None:
                condition += " AND attribute_not_exists(open_task_id)"
            else:
                condition += " AND open_task_id = :expected"
                values[":expected"] = plan.expected_open_task
        if plan.open_task is not None:
            sets.append("open_task_id = :task")
            values[":task"] = task_id
        return {
            "TableName": self._table,
            "Key": person_key(plan.person_id),
            "UpdateExpression": "SET " + ", ".join(sets),
            "ConditionExpression": condition,
            "ExpressionAttributeValues": serialize(values),
        }

    def _transact(self, items: list[dict[str, Any]], marker_key: dict[str, Any]) -> None:
        try:
            self._db.transact_write_items(TransactItems=items)  # type: ignore[arg-type]
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                if exc.response["Error"]["Code"] == "TransactionConflictException":
                    raise InFlightError() from None
                raise
            reasons = exc.response.get("CancellationReasons") or []
            codes = [r.get("Code", "None") for r in reasons]
            if codes and codes[0] == "ConditionalCheckFailed":
                old = reasons[0].get("Item")
                stored = deserialize(dict(old)) if old else self._get(marker_key)
                if stored is None or "answer" not in stored:
                    raise InFlightError() from None
                raise DuplicateDeliveryError(Answer.model_validate_json(stored["answer"])) from None
            if "TransactionConflict" in codes:
                raise InFlightError() from None
            if "ConditionalCheckFailed" in codes:
                raise StalePlanError() from None
            raise

    # -- messages ------------------------------------------------------------------------
    def _message_put(self, message: Message) -> dict[str, Any]:
        key = _key(f"PERSON#{message.person_id}", message_sk(message.created_at, message.id))
        attrs = {"type": "message", **_attrs(message), "status_rank": STATUS_RANK[message.status]}
        return self._put(key, attrs, "attribute_not_exists(pk)")

    def put_message(self, message: Message) -> None:
        self._db.put_item(**self._message_put(message))

    def get_message(self, ref: MessageRef) -> Message | None:
        item = self._get(message_key(ref))
        return Message.model_validate(item) if item else None

    def list_messages(self, person_id: str) -> list[Message]:
        paginator = self._db.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :msg)",
            ExpressionAttributeValues=serialize({":pk": f"PERSON#{person_id}", ":msg": "MSG#"}),
        )
        return [Message.model_validate(deserialize(i)) for page in pages for i in page["Items"]]

    def link_provider_id(self, channel: Channel, provider_id: str, ref: MessageRef) -> None:
        attrs = {
            "type": "pointer",
            "person_id": ref.person_id,
            "message_id": ref.message_id,
            "created_at": iso(ref.created_at),
        }
        self._db.put_item(**self._put(provider_key(channel, provider_id), attrs))

    def find_by_provider_id(self, channel: Channel, provider_id: str) -> MessageRef | None:
        item = self._get(provider_key(channel, provider_id))
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
        sets = ["#st = :st", "status_rank = :rank"]
        values: dict[str, Any] = {":st": status.value, ":rank": STATUS_RANK[status]}
        if error_code:
            sets.append("error_code = :code")
            values[":code"] = error_code
        if error_reason:
            sets.append("error_reason = :reason")
            values[":reason"] = error_reason
        try:
            self._db.update_item(
                TableName=self._table,
                Key=message_key(ref),
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression="attribute_exists(pk) AND status_rank < :rank",
                ExpressionAttributeNames={"#st": "status"},
                ExpressionAttributeValues=serialize(values),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def set_subscription(self, kind: str, address: str, channel: Channel, status: SubscriptionStatus) -> None:
        try:
            self._db.update_item(
                TableName=self._table,
                Key=identity_key(kind, address),
                UpdateExpression="SET subscriptions.#ch = :s",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#ch": channel.value},
                ExpressionAttributeValues=serialize({":s": status.value}),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    # -- tasks ---------------------------------------------------------------------------
    def get_task(self, task_id: str) -> Task | None:
        item = self._get(task_key(task_id))
        return Task.model_validate(item) if item else None

    def list_tasks(self, status: TaskStatus, limit: int, after: str | None) -> TaskPage:
        """Merge the shards' queues: each is ordered by due time, so the first ``limit`` of
        the merged shards' first ``limit + 1`` items is exactly the next page."""
        start = decode_cursor(after) if after else None
        found: list[dict[str, Any]] = []
        for shard in range(self._shards):
            condition = "gsi1pk = :pk"
            values: dict[str, Any] = {":pk": f"TASKS#{status.value}#{shard}"}
            if start:
                condition += " AND gsi1sk > :after"
                values[":after"] = start
            kwargs: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": "gsi1",
                "KeyConditionExpression": condition,
                "ExpressionAttributeValues": serialize(values),
                "Limit": limit + 1,
            }
            taken: list[dict[str, Any]] = []
            while len(taken) <= limit:
                page = self._db.query(**kwargs)
                taken += [deserialize(i) for i in page["Items"]]
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
            found += taken[: limit + 1]
        found.sort(key=lambda item: item["gsi1sk"])
        more = len(found) > limit
        page_items = found[:limit]
        cursor = encode_cursor(page_items[-1]["gsi1sk"]) if more and page_items else None
        return TaskPage([Task.model_validate(i) for i in page_items], cursor)

    # -- users ---------------------------------------------------------------------------
    def put_user(self, user: User, token_hash: str) -> None:
        attrs = {"type": "user", **_attrs(user)}
        self._db.transact_write_items(
            TransactItems=[
                {"Put": self._put(_key(f"USER#{user.id}", USER), attrs)},  # type: ignore[list-item]
                {"Put": self._put(_key(f"TOKEN#{token_hash}", TOKEN), {**attrs, "type": "token"})},  # type: ignore[list-item]
            ]
        )

    def user_for_token(self, token_hash: str) -> User | None:
        item = self._get(_key(f"TOKEN#{token_hash}", TOKEN))
        return User.model_validate(item) if item else None

    def get_user(self, user_id: str) -> User | None:
        item = self._get(_key(f"USER#{user_id}", USER))
        return User.model_validate(item) if item else None

    # -- saved replies (issue 6: the inbox page) ------------------------------------------
    # One short partition (organizers keep a few dozen): pk SAVED_REPLIES, sk REPLY#<id>.
    def put_saved_reply(self, reply: SavedReply) -> None:
        attrs = {"type": "saved_reply", **_attrs(reply)}
        self._db.put_item(**self._put(_key("SAVED_REPLIES", f"REPLY#{reply.id}"), attrs))

    def list_saved_replies(self) -> list[SavedReply]:
        paginator = self._db.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :reply)",
            ExpressionAttributeValues=serialize({":pk": "SAVED_REPLIES", ":reply": "REPLY#"}),
            ConsistentRead=True,
        )
        return [SavedReply.model_validate(deserialize(i)) for page in pages for i in page["Items"]]

    def delete_saved_reply(self, reply_id: str) -> bool:
        old = self._db.delete_item(
            TableName=self._table, Key=_key("SAVED_REPLIES", f"REPLY#{reply_id}"), ReturnValues="ALL_OLD"
        )
        return bool(old.get("Attributes"))
