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
| stance data point | PERSON#<id>                     | STANCE#<iso>#<id>  |                                   |
| suppression       | SUPPRESS#<sha256 of kind:addr>  | SUPPRESS           |                                   |
| deletion record   | DELETION#<person id>            | DELETION           |                                   |
| export job        | EXPORT#<id>                     | EXPORT             |                                   |
| stats snapshot    | STATS                           | LATEST             |                                   |
| staff phone       | USERPHONE#<e164>                | USERPHONE          | SHIFT#on / <last offer>#<e164>    |

Person items are also in gsi2 (sparse): gsi2pk = PEOPLE#<shard>, gsi2sk = <changed iso>#<id>.
Staff phones are also in gsi2 (STAFF#<role> / <user id>): organizers to notify, without a scan.

Nothing written for every message shares a partition key: the task index is sharded by
task id and there are no global counters on the hot path.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from chalicelib.adapters.cursor import decode_cursor, encode_cursor
from chalicelib.domain.exports import Contact
from chalicelib.domain.followup import StaffPhone
from chalicelib.domain.inbound import Answer, InboundPlan
from chalicelib.domain.model import (
    STATUS_RANK,
    Channel,
    Identity,
    Message,
    MessageStatus,
    Model,
    Person,
    Role,
    SubscriptionStatus,
    Task,
    TaskStatus,
    User,
    iso,
    preview_of,
)
from chalicelib.domain.saved_replies import SavedReply
from chalicelib.domain.stance import Stance
from chalicelib.services.ports import (
    DuplicateDeliveryError,
    ExportJob,
    IdentityTakenError,
    InFlightError,
    MessageFill,
    MessageRef,
    PersonNotFoundError,
    PersonRow,
    SenderLookup,
    SendStart,
    StalePlanError,
    TaskPage,
    TaskStateError,
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


# -- follow-up -------------------------------------------------------------------
STAFF = "USERPHONE"
SHIFT_ON = "SHIFT#on"  # gsi1 partition of the staff phones on shift, least recently offered first
_RETRYABLE_TRANSACTION = ("TransactionCanceledException", "TransactionConflictException")


def staff_key(phone: str) -> dict[str, Any]:
    return _key(f"USERPHONE#{phone}", STAFF)


def _task_state(exc: ClientError) -> TaskStateError:
    """What a failed conditional task write found (ReturnValuesOnConditionCheckFailure)."""
    if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
        raise exc
    old: Any = exc.response.get("Item")  # type: ignore[typeddict-item]
    return TaskStateError(Task.model_validate(deserialize(old)) if old else None)


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def serialize(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _value(v) for k, v in values.items() if v is not None}


_MAX_EXACT_INT = 10**38  # DynamoDB numbers hold 38 digits; TypeSerializer refuses longer ones


def _value(value: Any) -> dict[str, Any]:
    """``TypeSerializer().serialize``, with a fast path for what model dumps hold.

    Items are JSON dumps of models: plain str, int, bool, dict and list. Those are turned
    into attribute values here (a third of the time TypeSerializer takes on the five-item
    inbound transaction); any other type, subclasses included, goes to TypeSerializer,
    which also raises for what DynamoDB cannot store (floats, huge ints).
    """
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is dict:
        return {"M": {k: _value(v) for k, v in value.items()}}
    if kind is list:
        return {"L": [_value(v) for v in value]}
    if kind is bool:
        return {"BOOL": value}
    if kind is int and -_MAX_EXACT_INT < value < _MAX_EXACT_INT:
        return {"N": str(value)}
    return dict(_ser.serialize(value))


def deserialize(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _de.deserialize(v) for k, v in item.items()}


def _attrs(model: Model) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=True)


# -- people, stance, exports -----------------------------------------------------------------
def stance_key(stance: Stance) -> dict[str, Any]:
    return _key(f"PERSON#{stance.person_id}", f"STANCE#{iso(stance.recorded_at)}#{stance.id}")


def _stance_attrs(stance: Stance) -> dict[str, Any]:
    """recorded_at in the sort-key format, so that stored stances compare as text."""
    return {**_attrs(stance), "recorded_at": iso(stance.recorded_at)}


# The person item mirrors what exports need of its identities, so an export reads one item a
# person: an attribute "sub|<kind>:<address>|<channel>" holds each subscription status, and the
# set REACH_SEEN the "<kind>:<address>|<channel>" keys the person wrote on. Both are top-level, so
# an update sets them on any person item (a nested map would have to exist first). Every write of
# an identity's subscriptions or channels writes the mirror in the same transaction; a merge
# rebuilds it from the identities.
SUB_PREFIX, REACH_SEEN = "sub|", "reach_seen"


def reach_key(kind: str, address: str, channel: str) -> str:
    return f"{kind}:{address}|{channel}"


def _reach_attrs(identities: Iterable[Identity]) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    seen: set[str] = set()
    for i in identities:
        attrs.update({SUB_PREFIX + reach_key(i.kind, i.address, ch): s.value for ch, s in i.subscriptions.items()})
        seen.update(reach_key(i.kind, i.address, ch) for ch in i.last_inbound)
    return {**attrs, REACH_SEEN: seen or None}  # DynamoDB has no empty sets


def _contacts(person: Person, item: dict[str, Any]) -> tuple[Contact, ...]:
    subs = {k[len(SUB_PREFIX) :]: v for k, v in item.items() if k.startswith(SUB_PREFIX)}
    seen: set[str] = item.get(REACH_SEEN) or set()
    contacts = []
    for ref in person.identities:
        kind, _, address = ref.partition(":")
        prefix = ref + "|"
        contacts.append(Contact(
            kind,
            address,
            {k[len(prefix):]: SubscriptionStatus(v) for k, v in subs.items() if k.startswith(prefix)},
            frozenset(k[len(prefix):] for k in seen if k.startswith(prefix)),
        ))  # fmt: skip
    return tuple(contacts)


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
                person_key(person.id),
                {"type": "person", **_attrs(person), **self._people_index(person.id, msg.received_at),
                 **_reach_attrs([identity])},
                "attribute_not_exists(pk)",
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
            # people, stance, exports: the person changed (exports' since= reads gsi2sk).
            "gsi2sk = :g2sk",
            "gsi2pk = if_not_exists(gsi2pk, :g2pk)",
        ]
        index = self._people_index(plan.person_id, plan.inbound.received_at)
        channel = plan.inbound.channel.value
        reach = reach_key(plan.identity_kind, plan.inbound.address, channel)
        values: dict[str, Any] = {
            ":now": now, ":ch": channel, ":g2sk": index["gsi2sk"], ":g2pk": index["gsi2pk"], ":seen": {reach},
        }  # fmt: skip
        names = {"#seen": REACH_SEEN}
        if plan.subscription:
            sets.append("#sub = :sub")
            names["#sub"] = SUB_PREFIX + reach
            values[":sub"] = plan.subscription.value
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
            "UpdateExpression": "SET " + ", ".join(sets) + " ADD #seen :seen",
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
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

    # -- people, stance, exports ---------------------------------------------------------
    # Person items carry the current stance (attribute ``stance``) and sit in the sparse
    # gsi2: gsi2pk = PEOPLE#<shard>, gsi2sk = <changed iso>#<id>, so exports page through
    # people only (never messages) and ``since=`` is a key condition. Stance data points
    # are PERSON#<id> / STANCE#<iso>#<id>; suppression entries SUPPRESS#<sha256> / SUPPRESS.
    PEOPLE_SHARDS = 4  # fixed: changing it needs a re-index of person items
    _pool: ThreadPoolExecutor | None = None  # batched reads of an export page, in parallel

    def people_shard(self, person_id: str) -> int:
        return zlib.crc32(person_id.encode()) % self.PEOPLE_SHARDS

    def _people_index(self, person_id: str, changed: datetime) -> dict[str, str]:
        return {"gsi2pk": f"PEOPLE#{self.people_shard(person_id)}", "gsi2sk": f"{iso(changed)}#{person_id}"}

    def _person_attrs(self, person: Person, stance: Stance | None, identities: Iterable[Identity]) -> dict[str, Any]:
        changed = max(t for t in (person.created_at, person.updated_at, person.last_contact_at) if t)
        attrs: dict[str, Any] = {
            "type": "person", **_attrs(person), **self._people_index(person.id, changed), **_reach_attrs(identities)
        }  # fmt: skip
        if stance is not None:
            attrs["stance"] = _stance_attrs(stance)
        return attrs

    def _row(self, item: dict[str, Any]) -> PersonRow:
        stance = item.get("stance")
        person = Person.model_validate(item)
        return PersonRow(person, Stance.model_validate(stance) if stance else None, _contacts(person, item))

    def add_stance(self, stance: Stance, changed_at: datetime | None = None) -> bool:
        point = _stance_attrs(stance)
        changed = changed_at or stance.recorded_at
        index = self._people_index(stance.person_id, changed)
        update = {
            "TableName": self._table,
            "Key": person_key(stance.person_id),
            "UpdateExpression": "SET #stance = :s, updated_at = :now, gsi2sk = :g2sk, "
            "gsi2pk = if_not_exists(gsi2pk, :g2pk)",
            "ConditionExpression": "attribute_exists(pk) AND (attribute_not_exists(#stance) "
            "OR #stance.recorded_at < :at OR (#stance.recorded_at = :at AND #stance.id <= :id))",
            "ExpressionAttributeNames": {"#stance": "stance"},
            "ExpressionAttributeValues": serialize({
                ":s": point, ":now": iso(changed), ":g2sk": index["gsi2sk"], ":g2pk": index["gsi2pk"],
                ":at": point["recorded_at"], ":id": stance.id,
            }),
        }  # fmt: skip
        put = self._put(stance_key(stance), {"type": "stance", **point})
        try:
            self._db.transact_write_items(TransactItems=[{"Put": put}, {"Update": update}])  # type: ignore[list-item]
            return True
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
        if self._get(person_key(stance.person_id)) is None:
            raise PersonNotFoundError(stance.person_id)
        # An older data point (a late import): history only, the current stance stays.
        self._db.put_item(**put)
        return False

    def list_stances(self, person_id: str) -> list[Stance]:
        return [Stance.model_validate(i) for i in self._query_prefix(f"PERSON#{person_id}", "STANCE#")]

    def get_current_stance(self, person_id: str) -> Stance | None:
        item = self._get(person_key(person_id))
        return self._row(item).stance if item else None

    def _query_prefix(self, pk: str, prefix: str) -> Iterator[dict[str, Any]]:
        condition, values = "pk = :pk", {":pk": pk}
        if prefix:
            condition += " AND begins_with(sk, :prefix)"
            values[":prefix"] = prefix
        paginator = self._db.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=serialize(values),
            ConsistentRead=True,
        )
        for page in pages:
            for item in page["Items"]:
                yield deserialize(item)

    def update_person(self, person_id: str, changes: dict[str, str | None], at: datetime) -> Person:
        index = self._people_index(person_id, at)
        names = {"#u": "updated_at", "#g2sk": "gsi2sk", "#g2pk": "gsi2pk"}
        values: dict[str, Any] = {":u": iso(at), ":g2sk": index["gsi2sk"], ":g2pk": index["gsi2pk"]}
        sets = ["#u = :u", "#g2sk = :g2sk", "#g2pk = if_not_exists(#g2pk, :g2pk)"]
        removes = []
        for n, (field, value) in enumerate(sorted(changes.items())):
            names[f"#f{n}"] = field
            if value is None:
                removes.append(f"#f{n}")
            else:
                sets.append(f"#f{n} = :f{n}")
                values[f":f{n}"] = value
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        try:
            found = self._db.update_item(
                TableName=self._table,
                Key=person_key(person_id),
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=serialize(values),
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise PersonNotFoundError(person_id) from None
            raise
        return Person.model_validate(deserialize(found["Attributes"]))

    def people_pages(self, since: datetime | None, page_size: int) -> Iterator[list[PersonRow]]:
        for shard in range(self.PEOPLE_SHARDS):
            condition = "gsi2pk = :pk"
            values: dict[str, Any] = {":pk": f"PEOPLE#{shard}"}
            if since is not None:
                condition += " AND gsi2sk >= :since"
                values[":since"] = iso(since)
            kwargs: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": "gsi2",
                "KeyConditionExpression": condition,
                "ExpressionAttributeValues": serialize(values),
                "Limit": page_size,
            }
            while True:
                page = self._db.query(**kwargs)
                if page["Items"]:
                    yield [self._row(deserialize(i)) for i in page["Items"]]
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _batch_get(self, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """BatchGetItem takes 100 keys; the batches of a page go out in parallel (latency-bound)."""
        batches = [keys[start : start + 100] for start in range(0, len(keys), 100)]
        if len(batches) <= 1:
            return [item for batch in batches for item in self._get_batch(batch)]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="dynamodb-batch")
        return [item for found in self._pool.map(self._get_batch, batches) for item in found]

    def _get_batch(self, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        request: dict[str, Any] = {self._table: {"Keys": keys}}
        for attempt in range(20):
            found = self._db.batch_get_item(RequestItems=request)
            items += [deserialize(item) for item in found["Responses"].get(self._table, [])]
            request = found.get("UnprocessedKeys") or {}
            if not request:
                return items
            time.sleep(min(1.0, 0.05 * 2**attempt))  # throttled: back off before asking again
        raise RuntimeError("DynamoDB kept keys unprocessed; retry later")

    def get_identities(self, keys: list[tuple[str, str]]) -> list[Identity]:
        unique = list(dict.fromkeys(keys))
        wanted = [identity_key(k, a) for k, a in unique]
        return [Identity.model_validate(i) for i in self._batch_get(wanted)]

    def get_tasks(self, task_ids: list[str]) -> list[Task]:
        keys = [task_key(t) for t in dict.fromkeys(task_ids)]
        return [Task.model_validate(i) for i in self._batch_get(keys)]

    def create_person(self, person: Person, identities: list[Identity], stance: Stance | None) -> None:
        items: list[dict[str, Any]] = [
            {
                "Put": self._put(
                    person_key(person.id), self._person_attrs(person, stance, identities), "attribute_not_exists(pk)"
                )
            }
        ]
        for identity in identities:
            key = identity_key(identity.kind, identity.address)
            attrs = {"type": "identity", **_attrs(identity)}
            items.append({"Put": self._put(key, attrs, "attribute_not_exists(pk)")})
        if stance is not None:
            items.append({"Put": self._put(stance_key(stance), {"type": "stance", **_stance_attrs(stance)})})
        try:
            self._db.transact_write_items(TransactItems=items)  # type: ignore[arg-type]
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            for identity in identities:
                taken = self.find_identity(identity.kind, identity.address)
                if taken is not None:
                    raise IdentityTakenError(taken.person_id) from None
            raise IdentityTakenError(person.id) from None

    def move_person_data(self, from_id: str, to_id: str) -> set[str]:
        task_ids: set[str] = set()
        moved: list[dict[str, Any]] = []
        for item in self._query_prefix(f"PERSON#{from_id}", ""):
            if item["sk"] == PROFILE:
                continue
            moved.append(item)
            if item.get("type") == "message" and item.get("task_id"):
                task_ids.add(item["task_id"])
            if len(moved) == 25:
                self._move_items(moved, to_id)
                moved = []
        if moved:
            self._move_items(moved, to_id)
        for task_id in task_ids:
            self._set_if_exists(task_key(task_id), "person_id", to_id)
        return task_ids

    def _move_items(self, items: list[dict[str, Any]], to_id: str) -> None:
        copies = [{**i, "pk": f"PERSON#{to_id}", "person_id": to_id} for i in items]
        self._write_batch([{"PutRequest": {"Item": serialize(c)}} for c in copies])
        for item in items:
            if item.get("type") == "message" and item.get("provider_id") and item.get("direction") == "outbound":
                self._set_if_exists(provider_key(Channel(item["channel"]), item["provider_id"]), "person_id", to_id)
        self._write_batch([{"DeleteRequest": {"Key": _key(i["pk"], i["sk"])}} for i in items])

    def _write_batch(self, requests: list[dict[str, Any]]) -> None:
        for start in range(0, len(requests), 25):
            pending: dict[str, Any] = {self._table: requests[start : start + 25]}
            for attempt in range(20):
                pending = self._db.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
                if not pending:
                    break
                time.sleep(min(1.0, 0.05 * 2**attempt))  # throttled: back off before asking again
            else:
                raise RuntimeError("DynamoDB kept writes unprocessed; retry later")

    def _set_if_exists(self, key: dict[str, Any], name: str, value: str) -> None:
        try:
            self._db.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression="SET #n = :v",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#n": name},
                ExpressionAttributeValues=serialize({":v": value}),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def reassign_identity(self, kind: str, address: str, person_id: str, open_task_id: str | None) -> None:
        expression = "SET person_id = :p" + (", open_task_id = :t" if open_task_id else " REMOVE open_task_id")
        values = {":p": person_id, ":t": open_task_id}
        self._db.update_item(
            TableName=self._table,
            Key=identity_key(kind, address),
            UpdateExpression=expression,
            ExpressionAttributeValues=serialize(values),
        )

    def replace_person(self, person: Person, stance: Stance | None) -> None:
        """Rewrite the person item; the mirror of the identities is rebuilt from them (a merge
        calls this once the identities point at the person)."""
        keys = [(kind, address) for kind, _, address in (ref.partition(":") for ref in person.identities)]
        identities = self.get_identities(keys) if keys else []
        self._db.put_item(**self._put(person_key(person.id), self._person_attrs(person, stance, identities)))

    def delete_profile(self, person_id: str) -> None:
        self._db.delete_item(TableName=self._table, Key=person_key(person_id))

    def count_people(self, since: datetime | None) -> int:
        bound = (">=", iso(since)) if since is not None else None
        return sum(self._count("gsi2", f"PEOPLE#{shard}", bound) for shard in range(self.PEOPLE_SHARDS))

    def _count(self, index: str, partition: str, bound: tuple[str, str] | None) -> int:
        """Items in one index partition, optionally with the sort key compared to a bound."""
        condition = f"{index}pk = :pk"
        values: dict[str, Any] = {":pk": partition}
        if bound is not None:
            condition += f" AND {index}sk {bound[0]} :bound"
            values[":bound"] = bound[1]
        paginator = self._db.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table,
            IndexName=index,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=serialize(values),
            Select="COUNT",
        )
        return sum(page["Count"] for page in pages)

    def erase_person(self, person_id: str, suppress: list[str], record: dict[str, str]) -> None:
        # Suppression first: whatever happens next, the person is never contacted again.
        self._write_batch([
            {"PutRequest": {"Item": {**_key(f"SUPPRESS#{h}", "SUPPRESS"), **serialize({"type": "suppression"})}}}
            for h in dict.fromkeys(suppress)
        ])  # fmt: skip
        profile = self._get(person_key(person_id))
        keys: list[dict[str, Any]] = []
        task_ids: set[str] = set()
        for item in self._query_prefix(f"PERSON#{person_id}", ""):
            if item["sk"] == PROFILE:
                continue
            keys.append(_key(item["pk"], item["sk"]))
            if item.get("task_id"):
                task_ids.add(item["task_id"])
            if item.get("provider_id") and item.get("direction") == "outbound":
                keys.append(provider_key(Channel(item["channel"]), item["provider_id"]))
        if profile is not None:
            person = Person.model_validate(profile)
            keys += [identity_key(*ref.split(":", 1)) for ref in person.identities]
            if person.open_task_id:
                task_ids.add(person.open_task_id)
        keys += [task_key(t) for t in sorted(task_ids)]
        self._write_batch([{"DeleteRequest": {"Key": k}} for k in keys])
        self._db.put_item(
            TableName=self._table,
            Item={**_key(f"DELETION#{person_id}", "DELETION"), **serialize({"type": "deletion", **record})},
        )
        self._db.delete_item(TableName=self._table, Key=person_key(person_id))

    def is_suppressed(self, identity_hash: str) -> bool:
        return self._get(_key(f"SUPPRESS#{identity_hash}", "SUPPRESS")) is not None

    def put_stats(self, stats: dict[str, Any]) -> None:
        self._db.put_item(
            TableName=self._table,
            Item={**_key("STATS", "LATEST"), **serialize({"type": "stats", "data": json.dumps(stats)})},
        )

    def get_stats(self) -> dict[str, Any] | None:
        item = self._get(_key("STATS", "LATEST"))
        return json.loads(item["data"]) if item else None

    def count_tasks(self, status: TaskStatus, due_before: datetime | None = None) -> int:
        bound = ("<", iso(due_before)) if due_before is not None else None
        return sum(self._count("gsi1", f"TASKS#{status.value}#{shard}", bound) for shard in range(self._shards))

    def scan_activity(self, since: datetime) -> Iterator[dict[str, Any]]:
        paginator = self._db.get_paginator("scan")
        pages = paginator.paginate(
            TableName=self._table,
            FilterExpression="#type IN (:m, :t) AND created_at >= :since",
            ProjectionExpression="#type, id, person_id, direction, channel, kind, created_at, task_id, "
            "sent_by, due_at, done_at, #status",
            ExpressionAttributeNames={"#type": "type", "#status": "status"},
            ExpressionAttributeValues=serialize({":m": "message", ":t": "task", ":since": iso(since)[:19]}),
        )
        for page in pages:
            for item in page["Items"]:
                yield deserialize(item)

    def put_export_job(self, job: ExportJob) -> None:
        self._db.put_item(**self._put(_key(f"EXPORT#{job.id}", "EXPORT"), {"type": "export", **_attrs(job)}))

    def get_export_job(self, job_id: str) -> ExportJob | None:
        item = self._get(_key(f"EXPORT#{job_id}", "EXPORT"))
        return ExportJob.model_validate(item) if item else None

    # -- messages ------------------------------------------------------------------------
    def _message_put(self, message: Message) -> dict[str, Any]:
        key = _key(f"PERSON#{message.person_id}", message_sk(message.created_at, message.id))
        attrs = {"type": "message", **_attrs(message), "status_rank": STATUS_RANK[message.status]}
        if message.send_after is not None:
            attrs["send_after"] = iso(message.send_after)  # compared as text with iso(now)
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
        # people, stance, exports: the message names its pointer, so merges and deletions find it.
        self._set_if_exists(message_key(ref), "provider_id", provider_id)

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
        """The identity's status and its person's mirror, together. The identity is read first
        for its person; a merge moving it in between makes the write retry."""
        for _ in range(4):
            found = self._get(identity_key(kind, address))
            if found is None:
                return
            values = serialize({":s": status.value, ":pid": found["person_id"]})
            identity_update = {
                "TableName": self._table,
                "Key": identity_key(kind, address),
                "UpdateExpression": "SET subscriptions.#ch = :s",
                "ConditionExpression": "person_id = :pid",
                "ExpressionAttributeNames": {"#ch": channel.value},
                "ExpressionAttributeValues": values,
            }
            person_update = {
                "TableName": self._table,
                "Key": person_key(found["person_id"]),
                "UpdateExpression": "SET #sub = :s",
                "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeNames": {"#sub": SUB_PREFIX + reach_key(kind, address, channel.value)},
                "ExpressionAttributeValues": {":s": values[":s"]},
            }
            try:
                self._db.transact_write_items(TransactItems=[{"Update": identity_update}, {"Update": person_update}])  # type: ignore[list-item]
                return
            except ClientError as exc:
                if exc.response["Error"]["Code"] not in _RETRYABLE_TRANSACTION:
                    raise
                codes = [r.get("Code") for r in exc.response.get("CancellationReasons") or []]
                if codes[1:2] == ["ConditionalCheckFailed"] and codes[0] != "ConditionalCheckFailed":
                    # No person item (erased half-way): the identity's status still counts.
                    self._db.update_item(**identity_update)
                    return
        raise RuntimeError(f"the {kind} identity kept moving while its subscription was set; retry later")

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

    # -- follow-up: claims, outbound sends, volunteers' phones --------------------
    def _task_pk(self, status: TaskStatus, task_id: str) -> str:
        return f"TASKS#{status.value}#{self.shard_of(task_id)}"

    def _update(  # noqa: PLR0917
        self,
        key: dict[str, Any],
        expression: str,
        condition: str,
        values: dict[str, Any],
        names: dict[str, str] | None = None,
        returns: str = "NONE",
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "Key": key,
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": serialize(values),
            "ReturnValues": returns,
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if names:
            kwargs["ExpressionAttributeNames"] = names
        return self._db.update_item(**kwargs)  # type: ignore[no-any-return]

    def claim_task(self, task_id: str, user_id: str, now: datetime, lease_until: datetime) -> Task:
        try:
            out = self._update(
                task_key(task_id),
                "SET #s = :claimed, claimed_by = :me, lease_until = :lease, gsi1pk = :pk",
                "attribute_exists(pk) AND (#s = :open OR (#s = :claimed AND (claimed_by = :me OR lease_until < :now)))",
                {":claimed": TaskStatus.CLAIMED.value, ":open": TaskStatus.OPEN.value, ":me": user_id,
                 ":lease": iso(lease_until), ":now": iso(now), ":pk": self._task_pk(TaskStatus.CLAIMED, task_id)},
                {"#s": "status"},
                returns="ALL_NEW",
            )  # fmt: skip
        except ClientError as exc:
            raise _task_state(exc) from None
        return Task.model_validate(deserialize(out["Attributes"]))

    def release_task(self, task_id: str, holder: str | None) -> Task:
        condition = "#s = :claimed" + (" AND claimed_by = :me" if holder else "")
        values = {":claimed": TaskStatus.CLAIMED.value, ":open": TaskStatus.OPEN.value,
                  ":pk": self._task_pk(TaskStatus.OPEN, task_id)}  # fmt: skip
        if holder:
            values[":me"] = holder
        try:
            out = self._update(
                task_key(task_id),
                "SET #s = :open, gsi1pk = :pk REMOVE claimed_by, lease_until",
                condition, values, {"#s": "status"}, returns="ALL_NEW",
            )  # fmt: skip
        except ClientError as exc:
            state = _task_state(exc)
            if state.task is not None and state.task.status is TaskStatus.OPEN:
                return state.task  # already open: releasing again changes nothing
            raise state from None
        return Task.model_validate(deserialize(out["Attributes"]))

    def complete_task(self, task_id: str, holder: str | None, outcome: str, now: datetime) -> Task:
        for _ in range(3):
            task = self.get_task(task_id)
            if task is None:
                raise TaskStateError(None)
            if task.status is TaskStatus.DONE:
                return task
            if holder is not None and (task.status is not TaskStatus.CLAIMED or task.claimed_by != holder):
                raise TaskStateError(task)
            person = self.get_person(task.person_id)
            condition = "#s = :seen"
            values: dict[str, Any] = {":done": TaskStatus.DONE.value, ":seen": task.status.value,
                                      ":outcome": outcome, ":now": iso(now),
                                      ":pk": self._task_pk(TaskStatus.DONE, task_id)}  # fmt: skip
            if holder is not None:
                condition += " AND claimed_by = :me"
                values[":me"] = holder
            items: list[dict[str, Any]] = [{"Update": {
                "TableName": self._table,
                "Key": task_key(task_id),
                "UpdateExpression": "SET #s = :done, outcome = :outcome, done_at = :now, gsi1pk = :pk "
                "REMOVE lease_until",
                "ConditionExpression": condition,
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": serialize(values),
            }}]  # fmt: skip
            if person is not None and person.open_task_id == task_id:
                # The next message from the person opens a new task (and gets a new acknowledgement).
                items.append({"Update": {
                    "TableName": self._table,
                    "Key": person_key(person.id),
                    "UpdateExpression": "REMOVE open_task_id",
                    "ConditionExpression": "open_task_id = :task",
                    "ExpressionAttributeValues": serialize({":task": task_id}),
                }})  # fmt: skip
                for ref in person.identities:
                    kind, _, address = ref.partition(":")
                    items.append({"Update": {
                        "TableName": self._table,
                        "Key": identity_key(kind, address),
                        "UpdateExpression": "REMOVE open_task_id",
                        "ConditionExpression": "attribute_exists(pk)",
                    }})  # fmt: skip
            try:
                self._db.transact_write_items(TransactItems=items)  # type: ignore[arg-type]
            except ClientError as exc:
                if exc.response["Error"]["Code"] not in _RETRYABLE_TRANSACTION:
                    raise
                continue  # the task, the person or an identity moved meanwhile: look again
            return task.model_copy(update={"status": TaskStatus.DONE, "outcome": outcome, "done_at": now,
                                           "lease_until": None})  # fmt: skip
        raise InFlightError()

    def _query_index(
        self, index: str, condition: str, values: dict[str, Any], filter_expression: str | None = None
    ) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": serialize(values),
        }
        if filter_expression:
            kwargs["FilterExpression"] = filter_expression
        found: list[dict[str, Any]] = []
        while True:
            page = self._db.query(**kwargs)
            found += [deserialize(i) for i in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def expire_leases(self, now: datetime) -> list[Task]:
        """Claimed tasks are few (a handful per volunteer at work), so each shard's claimed
        partition is read whole and filtered on the lease: a query, never a scan."""
        reopened: list[Task] = []
        for shard in range(self._shards):
            items = self._query_index(
                "gsi1",
                "gsi1pk = :pk",
                {":pk": f"TASKS#{TaskStatus.CLAIMED.value}#{shard}", ":now": iso(now)},
                "lease_until < :now",
            )
            for item in items:
                task = Task.model_validate(item)
                try:
                    out = self._update(
                        task_key(task.id),
                        "SET #s = :open, gsi1pk = :pk REMOVE claimed_by, lease_until",
                        "#s = :claimed AND lease_until < :now",
                        {":open": TaskStatus.OPEN.value, ":claimed": TaskStatus.CLAIMED.value, ":now": iso(now),
                         ":pk": self._task_pk(TaskStatus.OPEN, task.id)},
                        {"#s": "status"}, returns="ALL_NEW",
                    )  # fmt: skip
                except ClientError as exc:
                    if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                        continue  # renewed or done meanwhile
                    raise
                reopened.append(Task.model_validate(deserialize(out["Attributes"])))
        return reopened

    def overdue_tasks(self, now: datetime, below_priority: int, due_before: datetime) -> list[Task]:
        found: list[Task] = []
        for shard in range(self._shards):
            items = self._query_index(
                "gsi1",
                "gsi1pk = :pk AND gsi1sk < :due",
                {":pk": f"TASKS#{TaskStatus.OPEN.value}#{shard}", ":due": iso(due_before), ":p": below_priority},
                "priority < :p",
            )
            found += [Task.model_validate(i) for i in items]
        return sorted(found, key=lambda t: (iso(t.due_at), t.id))

    def raise_priority(self, task_id: str, priority: int) -> bool:
        try:
            self._update(task_key(task_id), "SET priority = :p", "attribute_exists(pk) AND priority < :p",
                         {":p": priority})  # fmt: skip
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def begin_send(self, ref: MessageRef, now: datetime, lease_until: datetime) -> SendStart:
        """One conditional write that also returns the message: no read before sending."""
        try:
            out = self._update(
                message_key(ref),
                "SET #s = :sending, status_rank = :rank, sending_until = :lease",
                "(#s = :queued OR (#s = :sending AND sending_until < :now)) "
                "AND (attribute_not_exists(send_after) OR send_after <= :now)",
                {":sending": MessageStatus.SENDING.value, ":queued": MessageStatus.QUEUED.value,
                 ":rank": STATUS_RANK[MessageStatus.SENDING], ":lease": iso(lease_until), ":now": iso(now)},
                {"#s": "status"}, returns="ALL_NEW",
            )  # fmt: skip
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            old: Any = exc.response.get("Item")  # type: ignore[typeddict-item]
            return SendStart(False, Message.model_validate(deserialize(old)) if old else None)
        return SendStart(True, Message.model_validate(deserialize(out["Attributes"])))

    def mark_sent(self, ref: MessageRef, channel: Channel, provider_id: str, now: datetime) -> None:
        sent = MessageStatus.SENT
        pointer = {"type": "pointer", "person_id": ref.person_id, "message_id": ref.message_id,
                   "created_at": iso(ref.created_at)}  # fmt: skip
        update = {
            "TableName": self._table,
            "Key": message_key(ref),
            "UpdateExpression": "SET #s = :sent, status_rank = :rank, provider_id = :pid, sent_at = :now "
            "REMOVE sending_until",
            "ConditionExpression": "attribute_exists(pk) AND status_rank < :rank",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": serialize({":sent": sent.value, ":rank": STATUS_RANK[sent],
                                                    ":pid": provider_id, ":now": iso(now)}),
        }  # fmt: skip
        items = [{"Update": update}, {"Put": self._put(provider_key(channel, provider_id), pointer)}]
        try:
            self._db.transact_write_items(TransactItems=items)  # type: ignore[arg-type]
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            # A status callback got there first (sent/delivered): keep its status, add the id.
            self._db.update_item(
                TableName=self._table, Key=message_key(ref), UpdateExpression="SET provider_id = :pid",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=serialize({":pid": provider_id}),
            )  # fmt: skip
            self._db.put_item(**self._put(provider_key(channel, provider_id), pointer))

    def mark_failed(self, ref: MessageRef, code: str | None, reason: str) -> None:
        failed = MessageStatus.FAILED
        values: dict[str, Any] = {":failed": failed.value, ":rank": STATUS_RANK[failed],
                                  ":sent": STATUS_RANK[MessageStatus.SENT], ":reason": reason}  # fmt: skip
        sets = "SET #s = :failed, status_rank = :rank, error_reason = :reason"
        if code:
            sets += ", error_code = :code"
            values[":code"] = code
        try:
            self._update(message_key(ref), sets + " REMOVE sending_until",
                         "attribute_exists(pk) AND status_rank < :sent", values, {"#s": "status"})  # fmt: skip
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def retry_later(self, ref: MessageRef, reason: str) -> None:
        try:
            self._update(
                message_key(ref),
                "SET #s = :queued, status_rank = :rank, last_error = :reason REMOVE sending_until ADD attempts :one",
                "#s = :sending",
                {":queued": MessageStatus.QUEUED.value, ":rank": STATUS_RANK[MessageStatus.QUEUED],
                 ":sending": MessageStatus.SENDING.value, ":reason": reason, ":one": 1},
                {"#s": "status"},
            )  # fmt: skip
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def _staff_item(self, staff: StaffPhone) -> dict[str, Any]:
        item: dict[str, Any] = {"type": "staffphone", **_attrs(staff),
                                "gsi2pk": f"STAFF#{staff.role.value}", "gsi2sk": staff.user_id}  # fmt: skip
        item["gsi1sk"] = f"{iso(staff.last_offered_at) if staff.last_offered_at else '0'}#{staff.phone}"
        if staff.on_shift:
            item["gsi1pk"] = SHIFT_ON
        return item

    def put_staff_phone(self, staff: StaffPhone) -> None:
        self._db.put_item(**self._put(staff_key(staff.phone), self._staff_item(staff)))

    def find_staff_phone(self, phone: str) -> StaffPhone | None:
        item = self._get(staff_key(phone))
        return StaffPhone.model_validate(item) if item else None

    def set_shift(self, phone: str, on: bool) -> StaffPhone | None:
        expression = "SET on_shift = :on, gsi1pk = :shift" if on else "SET on_shift = :on REMOVE gsi1pk"
        values: dict[str, Any] = {":on": on}
        if on:
            values[":shift"] = SHIFT_ON
        try:
            out = self._update(staff_key(phone), expression, "attribute_exists(pk)", values, returns="ALL_NEW")
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        return StaffPhone.model_validate(deserialize(out["Attributes"]))

    def on_shift(self) -> list[StaffPhone]:
        items = self._query_index("gsi1", "gsi1pk = :pk", {":pk": SHIFT_ON})
        return [StaffPhone.model_validate(i) for i in items]

    def staff_with_role(self, role: Role) -> list[StaffPhone]:
        items = self._query_index("gsi2", "gsi2pk = :pk", {":pk": f"STAFF#{role.value}"})
        return [StaffPhone.model_validate(i) for i in items]

    def set_current_task(self, phone: str, task_id: str | None, now: datetime) -> None:
        values: dict[str, Any] = {}
        expression = "REMOVE current_task_id"
        if task_id is not None:
            # Offering moves them to the back of the on-shift line (round robin).
            expression = "SET current_task_id = :task, last_offered_at = :now, forwarded_at = :now, gsi1sk = :sk"
            values = {":task": task_id, ":now": iso(now), ":sk": f"{iso(now)}#{phone}"}
        condition = "attribute_exists(pk)"
        kwargs: dict[str, Any] = {"TableName": self._table, "Key": staff_key(phone),
                                  "UpdateExpression": expression, "ConditionExpression": condition}  # fmt: skip
        if values:
            kwargs["ExpressionAttributeValues"] = serialize(values)
        try:
            self._db.update_item(**kwargs)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def find_sender(self, kind: str, address: str) -> SenderLookup:
        """One BatchGetItem for both items: the SMS webhook's single read."""
        wanted = {"Keys": [identity_key(kind, address), staff_key(address)], "ConsistentRead": True}
        found: list[dict[str, Any]] = []
        request: dict[str, Any] = {self._table: wanted}
        while request:
            out = self._db.batch_get_item(RequestItems=request)
            found += [deserialize(i) for i in out["Responses"].get(self._table, [])]
            request = dict(out.get("UnprocessedKeys") or {})
        identity = next((i for i in found if i["sk"] == IDENT), None)
        staff = next((i for i in found if i["sk"] == STAFF), None)
        return SenderLookup(
            Identity.model_validate(identity) if identity else None,
            StaffPhone.model_validate(staff) if staff else None,
        )

    def mark_forwarded(self, phone: str, until: datetime) -> None:
        try:
            self._update(staff_key(phone), "SET forwarded_at = :at", "attribute_exists(pk)", {":at": iso(until)})
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def mark_handled(self, dedupe_key: str, now: datetime) -> bool:
        marker = {"type": "dedupe", "expires_at": int((now + self._dedupe_ttl).timestamp())}
        try:
            self._db.put_item(**self._put(_key(f"PROVIDER#{dedupe_key}", DEDUP), marker, "attribute_not_exists(pk)"))
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

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

    # -- channels: content that arrives after the message ----------------------
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
            item = self._db.update_item(
                TableName=self._table,
                Key=message_key(ref),
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=serialize(values),
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        return Message.model_validate(deserialize(dict(item)))

    def set_task_preview(self, task_id: str, preview: str, replaces: tuple[str, ...]) -> bool:
        if not replaces:
            return False
        olds = {f":old{i}": text for i, text in enumerate(replaces)}
        try:
            self._db.update_item(
                TableName=self._table,
                Key=task_key(task_id),
                UpdateExpression="SET preview = :preview",
                ConditionExpression=f"attribute_exists(pk) AND preview IN ({', '.join(olds)})",
                ExpressionAttributeValues=serialize({":preview": preview, **olds}),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    # -- saved replies ------------------------------------------
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
