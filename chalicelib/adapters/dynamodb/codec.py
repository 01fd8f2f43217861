"""Items to and from DynamoDB attribute values, and the item shapes several repositories write.

Items are JSON dumps of the domain models (times as ISO 8601 text that sorts) plus the keys
of :mod:`.keys`.
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from chalicelib.adapters.dynamodb import keys
from chalicelib.domain.exports import Contact
from chalicelib.domain.model import STATUS_RANK, Message, Model, Person, SubscriptionStatus, iso
from chalicelib.domain.stance import Stance

_ser = TypeSerializer()
_de = TypeDeserializer()
_MAX_EXACT_INT = 10**38  # DynamoDB numbers hold 38 digits; TypeSerializer refuses longer ones


def serialize(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _value(v) for k, v in values.items() if v is not None}


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


def attrs(model: Model) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=True)


def stance_attrs(stance: Stance) -> dict[str, Any]:
    """recorded_at in the sort-key format, so that stored stances compare as text."""
    return {**attrs(stance), "recorded_at": iso(stance.recorded_at)}


def message_item(message: Message) -> dict[str, Any]:
    """A message item: its key, its attributes, and the status rank conditions compare."""
    item = {
        **keys.message_key(message.person_id, message.created_at, message.id),
        **serialize({"type": "message", **attrs(message), "status_rank": STATUS_RANK[message.status]}),
    }
    if message.send_after is not None:
        item["send_after"] = {"S": iso(message.send_after)}  # compared as text with iso(now)
    return item


def contacts(person: Person, item: dict[str, Any]) -> tuple[Contact, ...]:
    """The person item's mirror of its identities (see :func:`.keys.mirror_attrs`)."""
    subs = {k[len(keys.SUB_PREFIX) :]: v for k, v in item.items() if k.startswith(keys.SUB_PREFIX)}
    seen: set[str] = item.get(keys.REACH_SEEN) or set()
    found = []
    for ref in person.identities:
        prefix = f"{ref}|"
        found.append(Contact(
            ref.kind,
            ref.value,
            {k[len(prefix):]: SubscriptionStatus(v) for k, v in subs.items() if k.startswith(prefix)},
            frozenset(k[len(prefix):] for k in seen if k.startswith(prefix)),
        ))  # fmt: skip
    return tuple(found)
