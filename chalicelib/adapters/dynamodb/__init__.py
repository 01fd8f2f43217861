"""Hearback's storage on one DynamoDB table: a repository module per port, sharing the
table's layout (:mod:`.keys`), its item codec (:mod:`.codec`) and its requests (:mod:`.table`)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from chalicelib.adapters.dynamodb.exports import DynamoDBExportJobStore, DynamoDBStatsStore
from chalicelib.adapters.dynamodb.inbound import DynamoDBInboundStore
from chalicelib.adapters.dynamodb.messages import DynamoDBMessageStore
from chalicelib.adapters.dynamodb.people import DynamoDBPeopleStore
from chalicelib.adapters.dynamodb.saved_replies import DynamoDBSavedReplyStore
from chalicelib.adapters.dynamodb.sending import DynamoDBSendingStore
from chalicelib.adapters.dynamodb.staff import DynamoDBStaffStore
from chalicelib.adapters.dynamodb.table import Table
from chalicelib.adapters.dynamodb.tasks import DynamoDBTaskStore
from chalicelib.adapters.dynamodb.users import DynamoDBUserStore
from chalicelib.services.ports import Stores

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def dynamodb_stores(
    client: DynamoDBClient, table_name: str, shards: int = 4, dedupe_ttl: timedelta = timedelta(days=14)
) -> Stores:
    """Every storage port on one table, sharing one client."""
    table = Table(client, table_name)
    return Stores(
        inbound=DynamoDBInboundStore(table, shards, dedupe_ttl),
        people=DynamoDBPeopleStore(table),
        messages=DynamoDBMessageStore(table),
        tasks=DynamoDBTaskStore(table, shards),
        sending=DynamoDBSendingStore(table),
        staff=DynamoDBStaffStore(table),
        users=DynamoDBUserStore(table),
        exports=DynamoDBExportJobStore(table),
        stats=DynamoDBStatsStore(table),
        saved_replies=DynamoDBSavedReplyStore(table),
    )
