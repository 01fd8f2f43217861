"""The one table every repository shares: a client, a name, and the request shapes they reuse."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamodb import keys
from chalicelib.adapters.dynamodb.codec import deserialize, serialize

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

RETRYABLE_TRANSACTION = ("TransactionCanceledException", "TransactionConflictException")


def error_code(exc: ClientError) -> str:
    return str(exc.response["Error"]["Code"])


def condition_failed(exc: ClientError) -> bool:
    return error_code(exc) == "ConditionalCheckFailedException"


def old_item(exc: ClientError) -> dict[str, Any] | None:
    """The item a failed conditional write found (``ReturnValuesOnConditionCheckFailure``)."""
    old: Any = exc.response.get("Item")  # type: ignore[typeddict-item]
    return deserialize(old) if old else None


class Table:
    """A DynamoDB table and the reads and writes its repositories have in common."""

    def __init__(self, client: DynamoDBClient, name: str) -> None:
        self.db = client
        self.name = name
        self._pool: ThreadPoolExecutor | None = None  # batched reads of an export page, in parallel

    def get(self, key: keys.Key) -> dict[str, Any] | None:
        item = self.db.get_item(TableName=self.name, Key=key, ConsistentRead=True).get("Item")
        return deserialize(item) if item else None

    def put_op(self, key: keys.Key, attrs: dict[str, Any], condition: str | None = None) -> dict[str, Any]:
        op: dict[str, Any] = {"TableName": self.name, "Item": {**key, **serialize(attrs)}}
        if condition:
            op["ConditionExpression"] = condition
        return op

    def put(self, key: keys.Key, attrs: dict[str, Any], condition: str | None = None) -> None:
        self.db.put_item(**self.put_op(key, attrs, condition))

    def update_op(
        self,
        key: keys.Key,
        expression: str,
        condition: str | None = None,
        values: dict[str, Any] | None = None,
        names: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        op: dict[str, Any] = {"TableName": self.name, "Key": key, "UpdateExpression": expression}
        if condition:
            op["ConditionExpression"] = condition
        if values:
            op["ExpressionAttributeValues"] = serialize(values)
        if names:
            op["ExpressionAttributeNames"] = names
        return op

    def update(  # noqa: PLR0917
        self,
        key: keys.Key,
        expression: str,
        condition: str | None = None,
        values: dict[str, Any] | None = None,
        names: dict[str, str] | None = None,
        returns: str = "NONE",
    ) -> dict[str, Any] | None:
        """An UpdateItem that returns the new item (``returns="ALL_NEW"``) and reports the old one
        on a failed condition (through :func:`old_item`)."""
        op = self.update_op(key, expression, condition, values, names)
        op["ReturnValues"] = returns
        op["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        found = self.db.update_item(**op).get("Attributes")
        return deserialize(dict(found)) if found else None

    def try_update(self, key: keys.Key, expression: str, condition: str, values: dict[str, Any] | None = None,
                   names: dict[str, str] | None = None) -> bool:  # fmt: skip
        """An UpdateItem whose failed condition is an answer (False), not an error."""
        try:
            self.update(key, expression, condition, values, names)
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def transact(self, items: list[dict[str, Any]]) -> None:
        self.db.transact_write_items(TransactItems=items)  # type: ignore[arg-type]

    def delete(self, key: keys.Key) -> dict[str, Any] | None:
        old = self.db.delete_item(TableName=self.name, Key=key, ReturnValues="ALL_OLD").get("Attributes")
        return deserialize(dict(old)) if old else None

    def query_prefix(self, pk: str, prefix: str = "", consistent: bool = True) -> Iterator[dict[str, Any]]:
        """Every item of a partition whose sort key starts with ``prefix``, in sort-key order."""
        condition, values = "pk = :pk", {":pk": pk}
        if prefix:
            condition += " AND begins_with(sk, :prefix)"
            values[":prefix"] = prefix
        pages = self.db.get_paginator("query").paginate(
            TableName=self.name,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=serialize(values),
            ConsistentRead=consistent,
        )
        for page in pages:
            for item in page["Items"]:
                yield deserialize(item)

    def query_index(
        self, index: str, condition: str, values: dict[str, Any], filter_expression: str | None = None
    ) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": serialize(values),
        }
        if filter_expression:
            kwargs["FilterExpression"] = filter_expression
        found: list[dict[str, Any]] = []
        while True:
            page = self.db.query(**kwargs)
            found += [deserialize(i) for i in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def count(self, index: str, partition: str, bound: tuple[str, str] | None) -> int:
        """Items in one index partition, optionally with the sort key compared to a bound."""
        condition = f"{index}pk = :pk"
        values: dict[str, Any] = {":pk": partition}
        if bound is not None:
            condition += f" AND {index}sk {bound[0]} :bound"
            values[":bound"] = bound[1]
        pages = self.db.get_paginator("query").paginate(
            TableName=self.name,
            IndexName=index,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=serialize(values),
            Select="COUNT",
        )
        return sum(page["Count"] for page in pages)

    def batch_get(self, wanted: list[keys.Key], consistent: bool = False) -> list[dict[str, Any]]:
        """BatchGetItem takes 100 keys; the batches of a page go out in parallel (latency-bound)."""
        batches = [wanted[start : start + 100] for start in range(0, len(wanted), 100)]
        if len(batches) <= 1:
            return [item for batch in batches for item in self._get_batch(batch, consistent)]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="dynamodb-batch")
        found = self._pool.map(lambda batch: self._get_batch(batch, consistent), batches)
        return [item for items in found for item in items]

    def _get_batch(self, wanted: list[keys.Key], consistent: bool) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        request: dict[str, Any] = {self.name: {"Keys": wanted, "ConsistentRead": consistent}}
        for attempt in range(20):
            found = self.db.batch_get_item(RequestItems=request)
            items += [deserialize(item) for item in found["Responses"].get(self.name, [])]
            request = dict(found.get("UnprocessedKeys") or {})
            if not request:
                return items
            time.sleep(min(1.0, 0.05 * 2**attempt))  # throttled: back off before asking again
        raise RuntimeError("DynamoDB kept keys unprocessed; retry later")

    def write_batch(self, requests: list[dict[str, Any]]) -> None:
        for start in range(0, len(requests), 25):
            pending: dict[str, Any] = {self.name: requests[start : start + 25]}
            for attempt in range(20):
                pending = dict(self.db.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {})
                if not pending:
                    break
                time.sleep(min(1.0, 0.05 * 2**attempt))  # throttled: back off before asking again
            else:
                raise RuntimeError("DynamoDB kept writes unprocessed; retry later")

    def set_if_exists(self, key: keys.Key, name: str, value: str) -> None:
        self.try_update(key, "SET #n = :v", keys.EXISTS, {":v": value}, {"#n": name})
