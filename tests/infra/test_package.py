"""`make package` produces a template that cfn-lint accepts, with the resources, the partial-batch
setting and least-privilege roles the deployment relies on.

The app is packaged into a temporary copy of the project with an empty requirements.txt (the
template does not depend on the wheels, and tests run offline). Handlers that other areas add
(queue worker, schedules, inbound mail) are checked when they exist; a kind that does not exist
yet gets a placeholder handler in the COPY only, so the wiring for it is still exercised.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from chalicelib.adapters import resources as local_resources
from chalicelib.infra.package import QUEUE_RESOURCE, QUEUES, kind_of, package
from chalicelib.infra.policies import GRANTS, CloudFormationArns, Kind, policy_document, static_policy

ROOT = Path(__file__).resolve().parents[2]

PLACEHOLDERS = {
    "SQSEventConfig": """
@app.on_sqs_message(queue="hearback-outbound", batch_size=10)
def placeholder_outbound_worker(event):
    return None
""",
    "ScheduledEventConfig": """
@app.schedule("rate(1 minute)")
def placeholder_schedule(event):
    return None
""",
    "SNSEventConfig": """
@app.on_sns_message(topic="hearback-inbound-email")
def placeholder_inbound_email(event):
    return None
""",
}


def _project_copy(tmp: Path) -> Path:
    from app import app

    project = tmp / "project"
    project.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "deployments", "deployed")
    shutil.copytree(ROOT / "chalicelib", project / "chalicelib", ignore=ignore)
    shutil.copytree(ROOT / ".chalice", project / ".chalice", ignore=ignore)
    (project / "requirements.txt").write_text("")
    present = {type(source).__name__ for source in app.event_sources}
    extra = "".join(code for kind, code in PLACEHOLDERS.items() if kind not in present)
    (project / "app.py").write_text((ROOT / "app.py").read_text() + extra)
    return project


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("package")
    project = _project_copy(tmp)
    return package(project, "prod", tmp / "dist")


@pytest.fixture(scope="module")
def template(packaged: Path) -> dict[str, Any]:
    return yaml.safe_load(packaged.read_text())


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def _functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return _of_type(template, "AWS::Serverless::Function")


def test_cfn_lint_accepts_the_template(packaged: Path) -> None:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run(
        [str(cfn_lint) if cfn_lint.exists() else "cfn-lint", str(packaged)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_table_is_on_demand_with_ttl_recovery_and_encryption(template: dict[str, Any]) -> None:
    table = template["Resources"]["Table"]["Properties"]
    assert table["TableName"] == "hearback"
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["TimeToLiveSpecification"] == {"AttributeName": local_resources.TTL_ATTRIBUTE, "Enabled": True}
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["SSESpecification"]["SSEEnabled"] is True
    # The same keys and indexes the local stack and the tests create.
    assert table["KeySchema"] == local_resources.KEY_SCHEMA
    assert sorted(table["AttributeDefinitions"], key=str) == sorted(local_resources.ATTRIBUTES, key=str)
    assert table["GlobalSecondaryIndexes"] == local_resources.GSIS


def test_outbound_queue_has_a_dead_letter_queue(template: dict[str, Any]) -> None:
    res = template["Resources"]
    queue = res[QUEUE_RESOURCE]["Properties"]
    assert queue["QueueName"] == "hearback-outbound"
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["OutboundDeadLetterQueue", "Arn"]}
    assert queue["RedrivePolicy"]["maxReceiveCount"] == local_resources.DLQ_MAX_RECEIVES
    assert res["OutboundDeadLetterQueue"]["Properties"]["QueueName"] == "hearback-outbound-dlq"


def test_every_queue_trigger_reports_partial_batch_failures(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    triggers = [
        (fn, event)
        for fn in _functions(template).values()
        for event in (fn["Properties"].get("Events") or {}).values()
        if event["Type"] == "SQS"
    ]
    assert triggers, "the outbound worker (or its placeholder) is packaged"
    for fn, event in triggers:
        assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        # Every trigger points at a queue of this stack, whose visibility covers 6 worker timeouts.
        [queue_id, attribute] = event["Properties"]["Queue"]["Fn::GetAtt"]
        assert attribute == "Arn" and queue_id in QUEUES.values()
        assert resources[queue_id]["Properties"]["VisibilityTimeout"] >= 6 * fn["Properties"]["Timeout"]
        assert "deadLetterTargetArn" in resources[queue_id]["Properties"]["RedrivePolicy"]


def test_inbound_mail_reaches_its_topic(template: dict[str, Any]) -> None:
    res = template["Resources"]
    assert res["InboundEmailTopic"]["Properties"]["TopicName"] == "hearback-inbound-email"
    statement = res["InboundEmailTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert statement["Principal"] == {"Service": "ses.amazonaws.com"}
    assert statement["Action"] == "sns:Publish"
    action = res["InboundEmailRule"]["Properties"]["Rule"]["Actions"][0]["SNSAction"]
    assert action["TopicArn"] == {"Ref": "InboundEmailTopic"}
    subscriptions = [
        event
        for fn in _functions(template).values()
        for event in (fn["Properties"].get("Events") or {}).values()
        if event["Type"] == "SNS"
    ]
    assert subscriptions
    assert all(e["Properties"]["Topic"] == {"Ref": "InboundEmailTopic"} for e in subscriptions)


def test_exports_bucket_is_encrypted_private_and_expiring(template: dict[str, Any]) -> None:
    bucket = template["Resources"]["ExportsBucket"]["Properties"]
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["ExpirationInDays"] == 7


def test_schedules_are_packaged(template: dict[str, Any]) -> None:
    schedules = [
        event["Properties"]["Schedule"]
        for fn in _functions(template).values()
        for event in (fn["Properties"].get("Events") or {}).values()
        if event["Type"] == "Schedule"
    ]
    assert schedules
    assert all(s.startswith(("rate(", "cron(")) for s in schedules)


def test_alarms_watch_the_dead_letter_queue_and_every_function(template: dict[str, Any]) -> None:
    alarms = _of_type(template, "AWS::CloudWatch::Alarm")
    dlq = alarms["OutboundDeadLetterAlarm"]["Properties"]
    assert dlq["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert dlq["Threshold"] == 0
    assert dlq["ComparisonOperator"] == "GreaterThanThreshold"
    watched = {
        (a["Properties"]["MetricName"], a["Properties"]["Dimensions"][0]["Value"]["Ref"])
        for a in alarms.values()
        if a["Properties"]["Namespace"] == "AWS/Lambda"
    }
    for name in _functions(template):
        assert ("Errors", name) in watched
        assert ("Throttles", name) in watched


def test_functions_are_told_the_stack_resource_names(template: dict[str, Any]) -> None:
    for fn in _functions(template).values():
        env = fn["Properties"]["Environment"]["Variables"]
        assert env["TABLE_NAME"] == {"Ref": "Table"}
        assert env["EXPORTS_BUCKET"] == {"Ref": "ExportsBucket"}
        assert env["OUTBOUND_QUEUE_NAME"] == {"Fn::GetAtt": [QUEUE_RESOURCE, "QueueName"]}
        assert env["SECRETS_PARAMETER_PATH"] == {"Ref": "SecretsParameterPath"}
    assert template["Parameters"]["SecretsParameterPath"]["Default"] == "/hearback/prod/"


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Statements, with conditional ones (Fn::If [cond, statement, NoValue]) unwrapped."""
    out = []
    for s in document["Statement"]:
        out.append(s["Fn::If"][1] if "Fn::If" in s else s)
    return out


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def assert_least_privilege(document: dict[str, Any]) -> None:
    for statement in _statements(document):
        assert statement["Effect"] == "Allow"
        for action in _as_list(statement["Action"]):
            assert "*" not in action, f"wildcard action {action}"
        for resource in _as_list(statement["Resource"]):
            assert resource != "*", f"'*' resource for {statement['Action']}"
            if isinstance(resource, str):
                assert not resource.endswith(":*:*:*"), resource


def test_every_role_allows_only_what_its_function_uses(template: dict[str, Any]) -> None:
    roles = _of_type(template, "AWS::IAM::Role")
    functions = _functions(template)
    kinds = set()
    for fn in functions.values():
        role_id = fn["Properties"]["Role"]["Fn::GetAtt"][0]
        (policy,) = roles[role_id]["Properties"]["Policies"]
        document = policy["PolicyDocument"]
        assert_least_privilege(document)
        kind = kind_of(fn)
        kinds.add(kind)
        expected = policy_document(GRANTS[kind], CloudFormationArns())
        assert [s["Sid"] for s in _statements(document)] == [s["Sid"] for s in expected["Statement"]]
        actions = {a for s in _statements(document) for a in _as_list(s["Action"])}
        if kind is not Kind.QUEUE_WORKER:
            assert "sqs:ReceiveMessage" not in actions
            assert "ses:SendRawEmail" not in actions
    assert {Kind.API, Kind.QUEUE_WORKER, Kind.SCHEDULE, Kind.TOPIC} <= kinds
    # Every data role in the template went through the policy above (none left with Chalice's file).
    function_roles = {fn["Properties"]["Role"]["Fn::GetAtt"][0] for fn in functions.values()}
    for name, role in roles.items():
        if name in function_roles:
            continue
        for policy in role["Properties"].get("Policies") or []:
            document = policy.get("PolicyDocument")
            if isinstance(document, dict) and "Statement" in document:
                assert_least_privilege(document)


def test_data_actions_name_their_resources(template: dict[str, Any]) -> None:
    roles = _of_type(template, "AWS::IAM::Role")
    api_role = roles[_functions(template)["APIHandler"]["Properties"]["Role"]["Fn::GetAtt"][0]]
    statements = {s["Sid"]: s for s in _statements(api_role["Properties"]["Policies"][0]["PolicyDocument"])}
    assert statements["Table"]["Resource"] == [{"Fn::GetAtt": ["Table", "Arn"]}]
    assert statements["TableIndexes"]["Resource"] == [{"Fn::Sub": "${Table.Arn}/index/*"}]
    assert statements["EnqueueOutbound"]["Resource"] == [{"Fn::GetAtt": [q, "Arn"]} for q in QUEUES.values()]
    assert statements["DecryptSecureStrings"]["Condition"]["StringEquals"]["kms:ViaService"]


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_chalice_deploy_policy_files_are_generated_and_least_privilege(stage: str) -> None:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    path = ROOT / ".chalice" / config["stages"][stage]["iam_policy_file"]
    on_disk = json.loads(path.read_text())
    assert on_disk == static_policy(config, stage), "run: python -m chalicelib.infra.policies"
    assert_least_privilege(on_disk)
    parameters = next(s for s in on_disk["Statement"] if s["Sid"] == "ReadSettings")
    assert parameters["Resource"] == [f"arn:aws:ssm:*:*:parameter/hearback/{stage}/*"]


def test_the_deployment_zip_ships_compiled_modules(packaged: Path, tmp_path: Path) -> None:
    """Lambda's code directory is read-only: without pycs in the zip every cold start compiles."""
    import zipfile

    tag = sys.implementation.cache_tag
    with zipfile.ZipFile(packaged.parent / "deployment.zip") as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "task")
    for module in ("app", "chalicelib/bootstrap", "chalicelib/adapters/channels/twilio"):
        folder, _, name = module.rpartition("/")
        pyc = f"{folder + '/' if folder else ''}__pycache__/{name}.{tag}.pyc"
        assert pyc in names
        flags = int.from_bytes((tmp_path / "task" / pyc).read_bytes()[4:8], "little")
        assert flags == 0b01  # hash-based, not checked against the source (PEP 552)
    # The interpreter loads them: importing from the unpacked zip writes nothing new.
    before = sorted((tmp_path / "task").rglob("*.pyc"))
    subprocess.run(
        [sys.executable, "-c", "import chalicelib.bootstrap, chalicelib.domain.model"],
        cwd=tmp_path / "task",
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path / "task")},
        check=True,
    )
    assert sorted((tmp_path / "task").rglob("*.pyc")) == before
