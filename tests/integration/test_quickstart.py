"""The quick-start stage's resources: what `chalice deploy` needs to exist, created idempotently."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from chalicelib.bootstrap import load_settings
from chalicelib.config import get_settings
from chalicelib.infra.quickstart import create, stage_environment

ROOT = Path(__file__).resolve().parents[2]


def test_creates_every_resource_twice_without_harm(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    session = boto3.session.Session(region_name="us-east-1")
    env = stage_environment(ROOT, "dev")

    create(session, env)
    made = create(session, env)

    dynamodb, sqs, s3 = session.client("dynamodb"), session.client("sqs"), session.client("s3")
    backups = dynamodb.describe_continuous_backups(TableName="hearback")["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    ttl = dynamodb.describe_time_to_live(TableName="hearback")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires_at"
    attributes = sqs.get_queue_attributes(QueueUrl=made["queue"], AttributeNames=["All"])["Attributes"]
    assert int(attributes["VisibilityTimeout"]) >= 6 * env["_worker_timeout"]
    assert json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"].endswith(":hearback-outbound-dlq")
    policy = json.loads(session.client("sns").get_topic_attributes(TopicArn=made["topic"])["Attributes"]["Policy"])
    assert policy["Statement"][0]["Principal"] == {"Service": "ses.amazonaws.com"}

    bucket = made["bucket"]
    assert bucket == "hearback-exports-123456789012-us-east-1"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    [rule] = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rule["Expiration"]["Days"] == 7

    # The functions learn the bucket's name with their secrets.
    monkeypatch.setenv("SECRETS_PARAMETER_PATH", env["SECRETS_PARAMETER_PATH"])
    monkeypatch.delenv("EXPORTS_BUCKET", raising=False)
    get_settings.cache_clear()
    try:
        assert load_settings(session.client("ssm")).exports_bucket == bucket
    finally:
        get_settings.cache_clear()
