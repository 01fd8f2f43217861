"""The inbound path on DynamoDB: one read for the sender, one transaction for the whole plan."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamodb import keys
from chalicelib.adapters.dynamodb.codec import attrs, deserialize, message_item
from chalicelib.adapters.dynamodb.table import Table, condition_failed, error_code
from chalicelib.domain.followup import StaffPhone
from chalicelib.domain.inbound import Answer, InboundPlan
from chalicelib.domain.model import Address, Identity, Person, iso, preview_of
from chalicelib.services.ports.inbound import DuplicateDeliveryError, InFlightError, SenderLookup, StalePlanError


class DynamoDBInboundStore:
    """:class:`~chalicelib.services.ports.inbound.InboundStore` on the shared table.

    A known person's message costs one read (:meth:`find_sender` or :meth:`find_identity`)
    and one transaction (:meth:`record_inbound`): the dedupe marker, the message, the
    acknowledgement, the identity, the person and the task, each conditioned on what the
    plan assumed.
    """

    def __init__(self, table: Table, shards: int, dedupe_ttl: timedelta) -> None:
        self.table = table
        self._shards = shards
        self._dedupe_ttl = dedupe_ttl

    def find_identity(self, address: Address) -> Identity | None:
        item = self.table.get(keys.identity_key(address))
        return Identity.model_validate(item) if item else None

    def get_person(self, person_id: str) -> Person | None:
        item = self.table.get(keys.person_key(person_id))
        return Person.model_validate(item) if item else None

    def find_sender(self, address: Address) -> SenderLookup:
        """One BatchGetItem for both items: the SMS webhook's single read."""
        found = self.table.batch_get([keys.identity_key(address), keys.staff_key(address.value)], consistent=True)
        identity = next((i for i in found if i["sk"] == keys.IDENT), None)
        staff = next((i for i in found if i["sk"] == keys.STAFF), None)
        return SenderLookup(
            Identity.model_validate(identity) if identity else None,
            StaffPhone.model_validate(staff) if staff else None,
        )

    def is_suppressed(self, identity_hash: str) -> bool:
        return self.table.get(keys.suppression_key(identity_hash)) is not None

    def mark_handled(self, dedupe_key: str, now: datetime) -> bool:
        marker = {"type": "dedupe", "expires_at": int((now + self._dedupe_ttl).timestamp())}
        try:
            self.table.put(keys.dedupe_key(dedupe_key), marker, keys.NEW)
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def record_inbound(self, plan: InboundPlan) -> None:
        msg = plan.inbound
        expires = int((msg.received_at + self._dedupe_ttl).timestamp())
        marker = {"type": "dedupe", "answer": plan.answer.model_dump_json(), "expires_at": expires}
        items: list[dict[str, Any]] = [
            {"Put": {
                **self.table.put_op(keys.dedupe_key(msg.dedupe_key), marker, keys.NEW),
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }},
            {"Put": self._message_put(plan.message)},
            *({"Put": self._message_put(out)} for out in plan.outbound),
        ]  # fmt: skip
        if plan.new_identity is not None and plan.new_person is not None:
            items += self._new_person_puts(plan)
        else:
            items += [{"Update": self._identity_update(plan)}, {"Update": self._person_update(plan)}]
        if plan.open_task is not None:
            task = plan.open_task
            index = {"gsi1pk": keys.task_partition(task.status, keys.task_shard(task.id, self._shards)),
                     "gsi1sk": keys.task_sort(task)}  # fmt: skip
            items.append({"Put": self.table.put_op(keys.task_key(task.id), {"type": "task", **attrs(task), **index},
                                                keys.NEW)})  # fmt: skip
        elif plan.join_task_id is not None:
            items.append({"Update": self.table.update_op(
                keys.task_key(plan.join_task_id),
                "SET preview = :preview, last_inbound_at = :now, channel = :ch ADD inbound_count :one",
                keys.EXISTS,
                {":preview": preview_of(plan.message.text), ":now": iso(msg.received_at), ":ch": msg.channel.value,
                 ":one": 1},
            )})  # fmt: skip
        self._transact(items, keys.dedupe_key(msg.dedupe_key))

    def _message_put(self, message: Any) -> dict[str, Any]:
        return {"TableName": self.table.name, "Item": message_item(message), "ConditionExpression": keys.NEW}

    def _task_id(self, plan: InboundPlan) -> str | None:
        return plan.open_task.id if plan.open_task else plan.join_task_id

    def _new_person_puts(self, plan: InboundPlan) -> list[dict[str, Any]]:
        msg = plan.inbound
        assert plan.new_identity is not None and plan.new_person is not None
        identity = plan.new_identity.model_copy()
        person = plan.new_person.model_copy()
        identity.last_inbound = {msg.channel.value: msg.received_at}
        if plan.subscription:
            identity.subscriptions = {msg.channel.value: plan.subscription}
        identity.open_task_id = person.open_task_id = self._task_id(plan)
        person.first_contact_at = person.last_contact_at = msg.received_at
        person.last_contact_channel = msg.channel
        person_attrs = {"type": "person", **attrs(person), **keys.people_index(person.id, msg.received_at),
                        **keys.mirror_attrs([identity])}  # fmt: skip
        return [
            {
                "Put": self.table.put_op(
                    keys.identity_key(identity.ref), {"type": "identity", **attrs(identity)}, keys.NEW
                )
            },
            {"Put": self.table.put_op(keys.person_key(person.id), person_attrs, keys.NEW)},
        ]

    def _identity_update(self, plan: InboundPlan) -> dict[str, Any]:
        msg = plan.inbound
        sets = ["last_inbound.#ch = :now"]
        values: dict[str, Any] = {":now": iso(msg.received_at), ":pid": plan.person_id}
        if plan.subscription:
            sets.append("subscriptions.#ch = :sub")
            values[":sub"] = plan.subscription.value
        task_id = self._task_id(plan)
        if task_id:
            sets.append("open_task_id = :task")
            values[":task"] = task_id
        return self.table.update_op(
            keys.identity_key(plan.address), "SET " + ", ".join(sets), "person_id = :pid", values,
            {"#ch": msg.channel.value},
        )  # fmt: skip

    def _person_update(self, plan: InboundPlan) -> dict[str, Any]:
        msg = plan.inbound
        sets = [
            "last_contact_at = :now",
            "last_contact_channel = :ch",
            "first_contact_at = if_not_exists(first_contact_at, :now)",
            # The person changed: exports' since= reads gsi2sk.
            "gsi2sk = :g2sk",
            "gsi2pk = if_not_exists(gsi2pk, :g2pk)",
        ]
        index = keys.people_index(plan.person_id, msg.received_at)
        reach = keys.reach_key(plan.address, msg.channel.value)
        values: dict[str, Any] = {":now": iso(msg.received_at), ":ch": msg.channel.value, ":g2sk": index["gsi2sk"],
                                  ":g2pk": index["gsi2pk"], ":seen": {reach}}  # fmt: skip
        names = {"#seen": keys.REACH_SEEN}
        if plan.subscription:
            sets.append("#sub = :sub")
            names["#sub"] = keys.SUB_PREFIX + reach
            values[":sub"] = plan.subscription.value
        condition = keys.EXISTS
        if plan.open_task is not None or plan.join_task_id is not None:
            # The plan relied on the open task it was given; hold it to that.
            if plan.expected_open_task is None:
                condition += " AND attribute_not_exists(open_task_id)"
            else:
                condition += " AND open_task_id = :expected"
                values[":expected"] = plan.expected_open_task
        if plan.open_task is not None:
            sets.append("open_task_id = :task")
            values[":task"] = plan.open_task.id
        return self.table.update_op(
            keys.person_key(plan.person_id), "SET " + ", ".join(sets) + " ADD #seen :seen", condition, values, names
        )

    def _transact(self, items: list[dict[str, Any]], marker_key: keys.Key) -> None:
        try:
            self.table.transact(items)
        except ClientError as exc:
            code = error_code(exc)
            if code == "TransactionConflictException":
                raise InFlightError() from None
            if code != "TransactionCanceledException":
                raise
            reasons = exc.response.get("CancellationReasons") or []
            codes = [r.get("Code", "None") for r in reasons]
            if codes and codes[0] == "ConditionalCheckFailed":
                old = reasons[0].get("Item")
                stored = deserialize(dict(old)) if old else self.table.get(marker_key)
                if stored is None or "answer" not in stored:
                    raise InFlightError() from None
                raise DuplicateDeliveryError(Answer.model_validate_json(stored["answer"])) from None
            if "TransactionConflict" in codes:
                raise InFlightError() from None
            if "ConditionalCheckFailed" in codes:
                raise StalePlanError() from None
            raise
