"""Least-privilege IAM policies, described once for both ways of deploying.

Each kind of function gets only the grants it uses (:data:`GRANTS`). A grant is a list of
actions on resources; the resources come from one of two ARN sources:

* :class:`StaticArns` for ``chalice deploy``: Chalice's policy files are static JSON, so the ARNs
  are concrete name patterns (``table/hearback``) with the region and account left open. These
  write ``.chalice/policy-<stage>.json`` (one policy for every function: with ``chalice deploy``
  a stage has one policy file), and a test keeps the files equal to what this module produces.
* :class:`CloudFormationArns` for ``make package``: exact ARNs through ``!GetAtt``/``!Sub`` on the
  resources of ``resources.yaml``, one role per function with only its kind's grants.

Run ``python -m chalicelib.infra.policies`` to rewrite the policy files after changing a grant.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

Arn = str | dict[str, Any]  # a literal ARN, or a CloudFormation intrinsic that resolves to one

TABLE_ACTIONS = [
    "dynamodb:BatchGetItem",  # the SMS webhook reads identity + staff phone at once
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",  # the stats snapshot reads the recent window once per refresh, not per call
    "dynamodb:TransactWriteItems",
    "dynamodb:UpdateItem",
    "dynamodb:BatchWriteItem",
]
INDEX_ACTIONS = ["dynamodb:Query"]
ENQUEUE_ACTIONS = ["sqs:GetQueueUrl", "sqs:SendMessage"]
# What the Lambda event source mapping needs to drive the worker, plus visibility changes
# for messages the worker puts back for later (sending hours).
CONSUME_ACTIONS = [
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ReceiveMessage",
]
EXPORT_ACTIONS = ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"]
EMAIL_ACTIONS = ["ses:SendEmail", "ses:SendRawEmail"]
SECRET_ACTIONS = ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"]
LOG_ACTIONS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]


class Kind(StrEnum):
    """What triggers a function, which decides what it may touch."""

    API = "api"  # the REST API (webhooks, volunteer API, exports)
    QUEUE_WORKER = "queue_worker"  # @app.on_sqs_message: sends outbound messages
    SCHEDULE = "schedule"  # @app.schedule: lease expiry, escalation, export jobs
    TOPIC = "topic"  # @app.on_sns_message: inbound mail from SES
    OTHER = "other"  # anything else (pure lambdas): logs and secrets only


class Grant(StrEnum):
    TABLE = "table"
    ENQUEUE = "enqueue"
    CONSUME = "consume"
    EXPORTS = "exports"
    EMAIL = "email"
    SECRETS = "secrets"
    LOGS = "logs"


GRANTS: dict[Kind, tuple[Grant, ...]] = {
    Kind.API: (Grant.TABLE, Grant.ENQUEUE, Grant.EXPORTS, Grant.SECRETS, Grant.LOGS),
    Kind.QUEUE_WORKER: (
        Grant.TABLE,
        Grant.ENQUEUE,
        Grant.CONSUME,
        Grant.EXPORTS,
        Grant.EMAIL,
        Grant.SECRETS,
        Grant.LOGS,
    ),
    Kind.SCHEDULE: (Grant.TABLE, Grant.ENQUEUE, Grant.EXPORTS, Grant.SECRETS, Grant.LOGS),
    Kind.TOPIC: (Grant.TABLE, Grant.ENQUEUE, Grant.SECRETS, Grant.LOGS),
    Kind.OTHER: (Grant.SECRETS, Grant.LOGS),
}


class Arns(Protocol):
    def table(self) -> list[Arn]: ...
    def indexes(self) -> list[Arn]: ...
    def queue(self) -> list[Arn]: ...
    def objects(self) -> list[Arn]: ...
    def email_identities(self) -> list[Arn]: ...
    def parameters(self) -> list[Arn]: ...
    def decrypt_key(self) -> tuple[list[Arn], dict[str, Any]]: ...
    def log_groups(self) -> list[Arn]: ...


@dataclass(frozen=True)
class Names:
    table: str = "hearback"
    queue: str = "hearback-outbound"
    export_queue: str = "hearback-exports"
    bucket_prefix: str = "hearback-exports"
    parameter_path: str = "/hearback/prod/"
    app_name: str = "hearback"
    stage: str = "prod"


@dataclass(frozen=True)
class StaticArns:
    """Concrete name patterns for ``chalice deploy`` (region and account left open)."""

    names: Names

    def table(self) -> list[Arn]:
        return [f"arn:aws:dynamodb:*:*:table/{self.names.table}"]

    def indexes(self) -> list[Arn]:
        return [f"arn:aws:dynamodb:*:*:table/{self.names.table}/index/*"]

    def queue(self) -> list[Arn]:
        return [f"arn:aws:sqs:*:*:{name}" for name in (self.names.queue, self.names.export_queue)]

    def objects(self) -> list[Arn]:
        # Bucket names are global, so a deployment picks its own suffix (README).
        return [f"arn:aws:s3:::{self.names.bucket_prefix}*/*"]

    def email_identities(self) -> list[Arn]:
        return ["arn:aws:ses:*:*:identity/*"]

    def parameters(self) -> list[Arn]:
        return [f"arn:aws:ssm:*:*:parameter{self.names.parameter_path}*"]

    def decrypt_key(self) -> tuple[list[Arn], dict[str, Any]]:
        return ["arn:aws:kms:*:*:key/*"], {"StringLike": {"kms:ViaService": "ssm.*.amazonaws.com"}}

    def log_groups(self) -> list[Arn]:
        # chalice deploy names the API function <app>-<stage> and the others <app>-<stage>-<name>.
        prefix = f"{self.names.app_name}-{self.names.stage}"
        return [f"arn:aws:logs:*:*:log-group:/aws/lambda/{prefix}*"]


def _sub(template: str) -> dict[str, Any]:
    return {"Fn::Sub": template}


_ACCOUNT = "arn:${AWS::Partition}:%s:${AWS::Region}:${AWS::AccountId}"


class CloudFormationArns:
    """Exact ARNs of the resources declared in ``resources.yaml``."""

    def table(self) -> list[Arn]:
        return [{"Fn::GetAtt": ["Table", "Arn"]}]

    def indexes(self) -> list[Arn]:
        return [_sub("${Table.Arn}/index/*")]

    def queue(self) -> list[Arn]:
        return [{"Fn::GetAtt": ["OutboundQueue", "Arn"]}, {"Fn::GetAtt": ["ExportJobsQueue", "Arn"]}]

    def objects(self) -> list[Arn]:
        return [_sub("${ExportsBucket.Arn}/*")]

    def email_identities(self) -> list[Arn]:
        return [_sub(_ACCOUNT % "ses" + ":identity/${EmailDomain}")]

    def parameters(self) -> list[Arn]:
        # SecretsParameterPath starts and ends with "/".
        return [_sub(_ACCOUNT % "ssm" + ":parameter${SecretsParameterPath}*")]

    def decrypt_key(self) -> tuple[list[Arn], dict[str, Any]]:
        # SecureStrings under the AWS managed key aws/ssm: decrypt only when SSM asks for it.
        return [_sub(_ACCOUNT % "kms" + ":key/*")], {
            "StringEquals": {"kms:ViaService": _sub("ssm.${AWS::Region}.amazonaws.com")}
        }

    def log_groups(self) -> list[Arn]:
        # SAM names functions <stack>-<logical id>-<suffix>.
        return [_sub(_ACCOUNT % "logs" + ":log-group:/aws/lambda/${AWS::StackName}-*")]


def _statement(sid: str, actions: list[str], resources: list[Arn], condition: dict[str, Any] | None = None) -> dict:
    statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def statements(grant: Grant, arns: Arns) -> list[dict[str, Any]]:
    if grant is Grant.TABLE:
        return [
            _statement("Table", TABLE_ACTIONS, arns.table()),
            _statement("TableIndexes", INDEX_ACTIONS, arns.indexes()),
        ]
    if grant is Grant.ENQUEUE:
        return [_statement("EnqueueOutbound", ENQUEUE_ACTIONS, arns.queue())]
    if grant is Grant.CONSUME:
        return [_statement("ConsumeOutbound", CONSUME_ACTIONS, arns.queue())]
    if grant is Grant.EXPORTS:
        return [_statement("ExportObjects", EXPORT_ACTIONS, arns.objects())]
    if grant is Grant.EMAIL:
        return [_statement("SendEmail", EMAIL_ACTIONS, arns.email_identities())]
    if grant is Grant.SECRETS:
        keys, condition = arns.decrypt_key()
        return [
            _statement("ReadSettings", SECRET_ACTIONS, arns.parameters()),
            _statement("DecryptSecureStrings", ["kms:Decrypt"], keys, condition),
        ]
    return [_statement("Logs", LOG_ACTIONS, arns.log_groups())]


def policy_document(grants: tuple[Grant, ...] | list[Grant], arns: Arns) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [s for g in grants for s in statements(g, arns)]}


def all_grants() -> list[Grant]:
    """Every grant any kind uses, in a stable order (the one policy of ``chalice deploy``)."""
    return [g for g in Grant if any(g in grants for grants in GRANTS.values())]


def stage_names(config: dict[str, Any], stage: str) -> Names:
    env = {**config.get("environment_variables", {}), **config["stages"][stage].get("environment_variables", {})}
    return Names(
        table=env.get("TABLE_NAME", Names.table),
        queue=env.get("OUTBOUND_QUEUE_NAME", Names.queue),
        bucket_prefix=env.get("EXPORTS_BUCKET", Names.bucket_prefix),
        parameter_path=env.get("SECRETS_PARAMETER_PATH", f"/hearback/{stage}/"),
        app_name=config.get("app_name", "hearback"),
        stage=stage,
    )


def static_policy(config: dict[str, Any], stage: str) -> dict[str, Any]:
    return policy_document(all_grants(), StaticArns(stage_names(config, stage)))


def write_policy_files(chalice_dir: Path) -> list[Path]:
    config = json.loads((chalice_dir / "config.json").read_text())
    written = []
    for stage, stage_config in config["stages"].items():
        path = chalice_dir / stage_config.get("iam_policy_file", f"policy-{stage}.json")
        path.write_text(json.dumps(static_policy(config, stage), indent=2) + "\n")
        written.append(path)
    return written


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd()
    for p in write_policy_files(root / ".chalice"):
        print(f"wrote {p}")
