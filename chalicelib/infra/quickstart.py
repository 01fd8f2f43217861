"""Create what ``chalice deploy`` does not, for the quick-start stage (``dev``).

    python -m chalicelib.infra.quickstart --stage dev

``chalice deploy`` creates the functions, the API, the roles (from ``.chalice/policy-dev.json``),
the schedules and the queue/topic subscriptions, but not the table, the queues, the topic or the
bucket those subscriptions and policies name. This creates them with the same definitions the
local stack uses (``chalicelib.adapters.resources``), plus what a real account should have:
point-in-time recovery, a visibility timeout fit for the worker, a private, expiring bucket. It is
idempotent. The bucket name is global, so it gets the account and region as a suffix and is
recorded in SSM as ``<path>EXPORTS_BUCKET``, where the functions read it with their secrets.

Production uses ``make package`` + CloudFormation instead (README, "Deploy").
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from chalicelib.adapters.resources import ensure_bucket, ensure_queues, ensure_table
from chalicelib.infra.package import VISIBILITY_TIMEOUT_FACTOR

EXPORT_EXPIRY_DAYS = 7
TOPIC_NAME = "hearback-inbound-email"


def stage_environment(project_dir: Path, stage: str) -> dict[str, Any]:
    config = json.loads((project_dir / ".chalice" / "config.json").read_text())
    stage_config = config["stages"][stage]
    env = {**config.get("environment_variables", {}), **stage_config.get("environment_variables", {})}
    env["_worker_timeout"] = int(stage_config.get("lambda_timeout", 60))
    return env


def create(session: Any, env: dict[str, Any]) -> dict[str, str]:
    """Create (or find) every resource; return what was created, by name."""
    region = session.region_name
    account = session.client("sts").get_caller_identity()["Account"]
    dynamodb, sqs, s3, sns, ssm = (session.client(n) for n in ("dynamodb", "sqs", "s3", "sns", "ssm"))

    table = env.get("TABLE_NAME", "hearback")
    ensure_table(dynamodb, table)
    dynamodb.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )

    queue = env.get("OUTBOUND_QUEUE_NAME", "hearback-outbound")
    try:
        queue_url = ensure_queues(sqs, queue, env.get("OUTBOUND_DLQ_NAME", "hearback-outbound-dlq"))
    except sqs.exceptions.QueueNameExists:  # created by an earlier run, with the timeout set below
        queue_url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    visibility = VISIBILITY_TIMEOUT_FACTOR * int(env["_worker_timeout"])
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"VisibilityTimeout": str(visibility)})
    export_queue = env.get("EXPORT_JOBS_QUEUE_NAME", "hearback-exports")
    try:
        export_url = ensure_queues(sqs, export_queue, env.get("EXPORT_JOBS_DLQ_NAME", "hearback-exports-dlq"))
    except sqs.exceptions.QueueNameExists:
        export_url = sqs.get_queue_url(QueueName=export_queue)["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=export_url, Attributes={"VisibilityTimeout": str(visibility)})

    topic_arn = sns.create_topic(Name=TOPIC_NAME)["TopicArn"]
    sns.set_topic_attributes(
        TopicArn=topic_arn,
        AttributeName="Policy",
        AttributeValue=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "AllowSesPublishFromThisAccount",
                        "Effect": "Allow",
                        "Principal": {"Service": "ses.amazonaws.com"},
                        "Action": "sns:Publish",
                        "Resource": topic_arn,
                        "Condition": {"StringEquals": {"AWS:SourceAccount": account}},
                    }
                ],
            }
        ),
    )

    bucket = f"{env.get('EXPORTS_BUCKET', 'hearback-exports')}-{account}-{region}"
    ensure_bucket(s3, bucket, region)
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "expire-exports",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "Expiration": {"Days": EXPORT_EXPIRY_DAYS},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                }
            ]
        },
    )
    path = env["SECRETS_PARAMETER_PATH"]
    ssm.put_parameter(Name=f"{path}EXPORTS_BUCKET", Value=bucket, Type="String", Overwrite=True)
    return {"table": table, "queue": queue_url, "topic": topic_arn, "bucket": bucket}


def main(argv: list[str] | None = None) -> None:
    import boto3

    parser = argparse.ArgumentParser(description="Create the table, queues, topic and bucket for `chalice deploy`.")
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--project-dir", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    env = stage_environment(args.project_dir, args.stage)
    for kind, name in create(boto3.session.Session(), env).items():
        print(f"{kind:<6} {name}")


if __name__ == "__main__":
    main()
