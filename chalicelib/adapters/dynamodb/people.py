"""People on DynamoDB: profiles with their current stance and mirror, identities, stance
history, merges and erasure on request."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamodb import keys
from chalicelib.adapters.dynamodb.codec import attrs, contacts, deserialize, serialize, stance_attrs
from chalicelib.adapters.dynamodb.table import RETRYABLE_TRANSACTION, Table, condition_failed, error_code
from chalicelib.domain.exports import changed_at
from chalicelib.domain.model import Address, Channel, Identity, Person, SubscriptionStatus, iso
from chalicelib.domain.stance import Stance
from chalicelib.services.ports.people import IdentityTakenError, PersonNotFoundError, PersonRow


class DynamoDBPeopleStore:
    """:class:`~chalicelib.services.ports.people.PeopleStore` on the shared table.

    Person items carry the current stance (attribute ``stance``) and the mirror of their
    identities, and sit in the sparse people index (gsi2), so exports page through people
    only and read one item a person.
    """

    def __init__(self, table: Table) -> None:
        self.table = table

    def get_person(self, person_id: str) -> Person | None:
        item = self.table.get(keys.person_key(person_id))
        return Person.model_validate(item) if item else None

    def find_identity(self, address: Address) -> Identity | None:
        item = self.table.get(keys.identity_key(address))
        return Identity.model_validate(item) if item else None

    def get_identities(self, addresses: list[Address]) -> list[Identity]:
        wanted = [keys.identity_key(a) for a in dict.fromkeys(addresses)]
        return [Identity.model_validate(i) for i in self.table.batch_get(wanted)] if wanted else []

    def set_subscription(self, address: Address, channel: Channel, status: SubscriptionStatus) -> None:
        """The identity's status and its person's mirror, together. The identity is read first
        for its person; a merge moving it in between makes the write retry."""
        for _ in range(4):
            found = self.table.get(keys.identity_key(address))
            if found is None:
                return
            values = {":s": status.value, ":pid": found["person_id"]}
            identity_update = self.table.update_op(
                keys.identity_key(address), "SET subscriptions.#ch = :s", "person_id = :pid", values,
                {"#ch": channel.value},
            )  # fmt: skip
            person_update = self.table.update_op(
                keys.person_key(found["person_id"]), "SET #sub = :s", keys.EXISTS, {":s": status.value},
                {"#sub": keys.SUB_PREFIX + keys.reach_key(address, channel.value)},
            )  # fmt: skip
            try:
                self.table.transact([{"Update": identity_update}, {"Update": person_update}])
                return
            except ClientError as exc:
                if error_code(exc) not in RETRYABLE_TRANSACTION:
                    raise
                codes = [r.get("Code") for r in exc.response.get("CancellationReasons") or []]
                if codes[1:2] == ["ConditionalCheckFailed"] and codes[0] != "ConditionalCheckFailed":
                    # No person item (erased half-way): the identity's status still counts.
                    self.table.db.update_item(**identity_update)
                    return
        raise RuntimeError("the identity kept moving while its subscription was set; retry later")

    # -- stance ------------------------------------------------------------------------------
    def add_stance(self, stance: Stance, changed_at: datetime | None = None) -> bool:
        point = stance_attrs(stance)
        changed = changed_at or stance.recorded_at
        index = keys.people_index(stance.person_id, changed)
        update = self.table.update_op(
            keys.person_key(stance.person_id),
            "SET #stance = :s, updated_at = :now, gsi2sk = :g2sk, gsi2pk = if_not_exists(gsi2pk, :g2pk)",
            "attribute_exists(pk) AND (attribute_not_exists(#stance) "
            "OR #stance.recorded_at < :at OR (#stance.recorded_at = :at AND #stance.id <= :id))",
            {":s": point, ":now": iso(changed), ":g2sk": index["gsi2sk"], ":g2pk": index["gsi2pk"],
             ":at": point["recorded_at"], ":id": stance.id},
            {"#stance": "stance"},
        )  # fmt: skip
        put = self.table.put_op(keys.stance_key(stance), {"type": "stance", **point})
        try:
            self.table.transact([{"Put": put}, {"Update": update}])
            return True
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise
        if self.table.get(keys.person_key(stance.person_id)) is None:
            raise PersonNotFoundError(stance.person_id)
        # An older data point (a late import): history only, the current stance stays.
        self.table.db.put_item(**put)
        return False

    def list_stances(self, person_id: str) -> list[Stance]:
        return [
            Stance.model_validate(i) for i in self.table.query_prefix(keys.person_pk(person_id), keys.STANCE_PREFIX)
        ]

    def get_current_stance(self, person_id: str) -> Stance | None:
        item = self.table.get(keys.person_key(person_id))
        return _row(item).stance if item else None

    # -- profiles ----------------------------------------------------------------------------
    def update_person(self, person_id: str, changes: dict[str, str | None], at: datetime) -> Person:
        index = keys.people_index(person_id, at)
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
            found = self.table.update(keys.person_key(person_id), expression, keys.EXISTS, values, names, "ALL_NEW")
        except ClientError as exc:
            if condition_failed(exc):
                raise PersonNotFoundError(person_id) from None
            raise
        return Person.model_validate(found)

    def people_pages(self, since: datetime | None, page_size: int) -> Iterator[list[PersonRow]]:
        for shard in range(keys.PEOPLE_SHARDS):
            condition = "gsi2pk = :pk"
            values: dict[str, Any] = {":pk": keys.people_partition(shard)}
            if since is not None:
                condition += " AND gsi2sk >= :since"
                values[":since"] = iso(since)
            kwargs: dict[str, Any] = {
                "TableName": self.table.name,
                "IndexName": "gsi2",
                "KeyConditionExpression": condition,
                "ExpressionAttributeValues": serialize(values),
                "Limit": page_size,
            }
            while True:
                page = self.table.db.query(**kwargs)
                if page["Items"]:
                    yield [_row(deserialize(i)) for i in page["Items"]]
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def count_people(self, since: datetime | None) -> int:
        bound = (">=", iso(since)) if since is not None else None
        return sum(self.table.count("gsi2", keys.people_partition(shard), bound) for shard in range(keys.PEOPLE_SHARDS))

    def create_person(self, person: Person, identities: list[Identity], stance: Stance | None) -> None:
        items: list[dict[str, Any]] = [
            {"Put": self.table.put_op(keys.person_key(person.id), person_attrs(person, stance, identities), keys.NEW)}
        ]
        for identity in identities:
            items.append({"Put": self.table.put_op(
                keys.identity_key(identity.ref), {"type": "identity", **attrs(identity)}, keys.NEW
            )})  # fmt: skip
        if stance is not None:
            items.append(
                {"Put": self.table.put_op(keys.stance_key(stance), {"type": "stance", **stance_attrs(stance)})}
            )
        try:
            self.table.transact(items)
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise
            for identity in identities:
                taken = self.find_identity(identity.ref)
                if taken is not None:
                    raise IdentityTakenError(taken.person_id) from None
            raise IdentityTakenError(person.id) from None

    # -- merges ------------------------------------------------------------------------------
    def move_person_data(self, from_id: str, to_id: str) -> set[str]:
        task_ids: set[str] = set()
        moved: list[dict[str, Any]] = []
        for item in self.table.query_prefix(keys.person_pk(from_id)):
            if item["sk"] == keys.PROFILE:
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
            self.table.set_if_exists(keys.task_key(task_id), "person_id", to_id)
        return task_ids

    def _move_items(self, items: list[dict[str, Any]], to_id: str) -> None:
        copies = [{**i, "pk": keys.person_pk(to_id), "person_id": to_id} for i in items]
        self.table.write_batch([{"PutRequest": {"Item": serialize(c)}} for c in copies])
        for item in items:
            if item.get("type") == "message" and item.get("provider_id") and item.get("direction") == "outbound":
                pointer = keys.provider_key(Channel(item["channel"]), item["provider_id"])
                self.table.set_if_exists(pointer, "person_id", to_id)
        self.table.write_batch([{"DeleteRequest": {"Key": keys.key(i["pk"], i["sk"])}} for i in items])

    def reassign_identity(self, address: Address, person_id: str, open_task_id: str | None) -> None:
        expression = "SET person_id = :p" + (", open_task_id = :t" if open_task_id else " REMOVE open_task_id")
        values = {":p": person_id, ":t": open_task_id} if open_task_id else {":p": person_id}
        self.table.db.update_item(**self.table.update_op(keys.identity_key(address), expression, None, values))

    def replace_person(self, person: Person, stance: Stance | None) -> None:
        identities = self.get_identities(list(person.identities))
        self.table.put(keys.person_key(person.id), person_attrs(person, stance, identities))

    def delete_profile(self, person_id: str) -> None:
        self.table.db.delete_item(TableName=self.table.name, Key=keys.person_key(person_id))

    def erase_person(self, person_id: str, suppress: list[str], record: dict[str, str]) -> None:
        # Suppression first: whatever happens next, the person is never contacted again.
        self.table.write_batch([
            {"PutRequest": {"Item": {**keys.suppression_key(h), **serialize({"type": "suppression"})}}}
            for h in dict.fromkeys(suppress)
        ])  # fmt: skip
        profile = self.table.get(keys.person_key(person_id))
        doomed: list[keys.Key] = []
        task_ids: set[str] = set()
        for item in self.table.query_prefix(keys.person_pk(person_id)):
            if item["sk"] == keys.PROFILE:
                continue
            doomed.append(keys.key(item["pk"], item["sk"]))
            if item.get("task_id"):
                task_ids.add(item["task_id"])
            if item.get("provider_id") and item.get("direction") == "outbound":
                doomed.append(keys.provider_key(Channel(item["channel"]), item["provider_id"]))
        if profile is not None:
            person = Person.model_validate(profile)
            doomed += [keys.identity_key(ref) for ref in person.identities]
            if person.open_task_id:
                task_ids.add(person.open_task_id)
        doomed += [keys.task_key(t) for t in sorted(task_ids)]
        self.table.write_batch([{"DeleteRequest": {"Key": k}} for k in doomed])
        self.table.put(keys.deletion_key(person_id), {"type": "deletion", **record})
        self.table.db.delete_item(TableName=self.table.name, Key=keys.person_key(person_id))


def person_attrs(person: Person, stance: Stance | None, identities: Iterable[Identity]) -> dict[str, Any]:
    found: dict[str, Any] = {
        "type": "person", **attrs(person), **keys.people_index(person.id, changed_at(person)),
        **keys.mirror_attrs(identities),
    }  # fmt: skip
    if stance is not None:
        found["stance"] = stance_attrs(stance)
    return found


def _row(item: dict[str, Any]) -> PersonRow:
    stance = item.get("stance")
    person = Person.model_validate(item)
    return PersonRow(person, Stance.model_validate(stance) if stance else None, contacts(person, item))
