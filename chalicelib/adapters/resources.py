"""The AWS resources Hearback needs, described once.

The deployment template (``chalicelib/infra``) declares the same table, queues and bucket
for CloudFormation; the local stack and the integration tests create them with
:func:`ensure_resources`, which is idempotent so it can run on every start.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.settings import CoreSettings

# One table; generic key names so each item type chooses what its keys mean.
KEY_SCHEMA = [
    {"AttributeName": "pk", "KeyType": "HASH"},
    {"AttributeName": "sk", "KeyType": "RANGE"},
]
ATTRIBUTES = [
    {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk")
]
GSIS = [
    {
        # Tasks by status, sharded: gsi1pk = TASKS#<status>#<shard>, gsi1sk = <due>#<task id>.
        "IndexName": "gsi1",
        "KeySchema": [
            {"AttributeName": "gsi1pk", "KeyType": "HASH"},
            {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "ALL"},
    },
    {
        # Second sparse index, free for people/stance listings (exports by date).
        "IndexName": "gsi2",
        "KeySchema": [
            {"AttributeName": "gsi2pk", "KeyType": "HASH"},
            {"AttributeName": "gsi2sk", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "ALL"},
    },
]
TTL_ATTRIBUTE = "expires_at"
DLQ_MAX_RECEIVES = 5
QUEUE_VISIBILITY_SECONDS = 60


def table_definition(name: str) -> dict[str, Any]:
    return {
        "TableName": name,
        "KeySchema": KEY_SCHEMA,
        "AttributeDefinitions": ATTRIBUTES,
        "GlobalSecondaryIndexes": GSIS,
        "BillingMode": "PAY_PER_REQUEST",
    }


def ensure_table(dynamodb: Any, name: str) -> None:
    existing = dynamodb.list_tables().get("TableNames", [])
    if name in existing:
        return
    dynamodb.create_table(**table_definition(name))
    dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
    dynamodb.update_time_to_live(
        TableName=name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
    )


def ensure_queues(sqs: Any, name: str, dlq_name: str) -> str:
    """Create the outbound queue and its dead-letter queue; return the queue URL."""
    dlq_url = sqs.create_queue(QueueName=dlq_name)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(DLQ_MAX_RECEIVES)})
    return str(
        sqs.create_queue(
            QueueName=name,
            Attributes={
                "VisibilityTimeout": str(QUEUE_VISIBILITY_SECONDS),
                "RedrivePolicy": redrive,
            },
        )["QueueUrl"]
    )


def ensure_bucket(s3: Any, name: str, region: str) -> None:
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if name in existing:
        return
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})


def ensure_resources(dynamodb: Any, sqs: Any, s3: Any, settings: CoreSettings) -> None:
    ensure_table(dynamodb, settings.table_name)
    ensure_queues(sqs, settings.outbound_queue_name, settings.outbound_dlq_name)
    ensure_bucket(s3, settings.exports_bucket, settings.aws_region)
    # Export jobs wait here for the export worker.
    ensure_queues(sqs, settings.export_jobs_queue_name, settings.export_jobs_dlq_name)
