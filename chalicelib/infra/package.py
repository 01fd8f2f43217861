"""``make package``: Chalice's SAM template, merged with ``resources.yaml``, then finished per function.

Step 1 is plain Chalice::

    chalice package --stage prod --merge-template chalicelib/infra/resources.yaml dist/

Step 2 (:func:`finish`) reads the functions Chalice generated and adds what depends on each one,
because their logical ids come from handler names that a static merge template cannot know
(``@app.on_sqs_message def send_outbound`` becomes ``SendOutbound`` with an event
``SendOutboundSqsEventSource``):

* ``FunctionResponseTypes: [ReportBatchItemFailures]`` on every SQS trigger (Chalice never sets it),
  and the trigger points at the queue resource (``!GetAtt``), so CloudFormation creates the queue first;
  the same for the inbound-mail topic;
* the queue's visibility timeout raised to at least 6x its workers' timeout;
* each function's role replaced by the least-privilege policy for its kind
  (:mod:`chalicelib.infra.policies`), with exact ARNs of this stack's resources;
* environment variables pointing at the stack's resources;
* an Errors and a Throttles alarm per function.

Step 3 (:func:`precompile`) adds compiled bytecode to ``deployment.zip``. Chalice ships sources
only, and Lambda's code directory is read-only, so without it every cold start compiles each
module it imports (``make bench``, cold_import, measures the difference).

No AWS account is needed: ``chalice package`` reads no credentials. It needs PyPI to build the
deployment package (Lambda wheels for ``requirements.txt``).
"""

from __future__ import annotations

import argparse
import compileall
import os
import py_compile
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import yaml

from chalicelib.infra.policies import GRANTS, CloudFormationArns, Kind, policy_document

MERGE_TEMPLATE = Path(__file__).with_name("resources.yaml")
FUNCTION = "AWS::Serverless::Function"
API_HANDLER = "app.app"
VISIBILITY_TIMEOUT_FACTOR = 6
QUEUE_RESOURCE = "OutboundQueue"
TOPIC_RESOURCE = "InboundEmailTopic"
# Triggers on these names are pointed at the resources of resources.yaml.
QUEUE_NAME = "hearback-outbound"
TOPIC_NAME = "hearback-inbound-email"
# Every queue a worker consumes: its name in app code -> its resource in resources.yaml.
QUEUES = {QUEUE_NAME: QUEUE_RESOURCE, "hearback-exports": "ExportJobsQueue"}

_KIND_BY_EVENT = {"SQS": Kind.QUEUE_WORKER, "SNS": Kind.TOPIC, "Schedule": Kind.SCHEDULE}


def kind_of(function: dict[str, Any]) -> Kind:
    props = function["Properties"]
    if props.get("Handler") == API_HANDLER:
        return Kind.API
    for event in (props.get("Events") or {}).values():
        kind = _KIND_BY_EVENT.get(event.get("Type"))
        if kind is not None:
            return kind
    return Kind.OTHER


def _names_resource(arn: Any, name: str) -> bool:
    """Chalice writes ``!Sub arn:...:<name>`` for a queue or topic given by name."""
    text = arn.get("Fn::Sub") if isinstance(arn, dict) else arn
    return isinstance(text, str) and text.endswith(f":{name}")


def _if_alarm_topic() -> dict[str, Any]:
    return {"Fn::If": ["HasAlarmEmail", [{"Ref": "AlarmTopic"}], {"Ref": "AWS::NoValue"}]}


def _function_alarm(function_id: str, metric: str, description: str) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": f"{function_id}: {description}",
            "Namespace": "AWS/Lambda",
            "MetricName": metric,
            "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": function_id}}],
            "Statistic": "Sum",
            "Period": 300,
            "EvaluationPeriods": 1,
            "Threshold": 0,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": _if_alarm_topic(),
        },
    }


def _role_policy(kind: Kind) -> dict[str, Any]:
    document = policy_document(GRANTS[kind], CloudFormationArns())
    # Sending mail needs a verified domain; without one the statement is left out.
    document["Statement"] = [
        {"Fn::If": ["HasEmailDomain", s, {"Ref": "AWS::NoValue"}]} if s["Sid"] == "SendEmail" else s
        for s in document["Statement"]
    ]
    return document


def _repair_log_groups(resources: dict[str, Any]) -> None:
    """Chalice names the API function ``APIHandler`` but its log group ``/aws/lambda/${ApiHandler}``."""
    by_lower = {name.lower(): name for name in resources}
    for resource in resources.values():
        if resource.get("Type") != "AWS::Logs::LogGroup":
            continue
        name = resource["Properties"].get("LogGroupName")
        text = name.get("Fn::Sub") if isinstance(name, dict) else None
        if not (isinstance(text, str) and text.startswith("/aws/lambda/${") and text.endswith("}")):
            continue
        target = text[len("/aws/lambda/${") : -1]
        if target not in resources and target.lower() in by_lower:
            resource["Properties"]["LogGroupName"] = {"Fn::Sub": "/aws/lambda/${" + by_lower[target.lower()] + "}"}


def finish(template: dict[str, Any]) -> dict[str, Any]:
    """Add the per-function settings to a merged template (in place; also returned)."""
    resources: dict[str, Any] = template["Resources"]
    functions = {name: r for name, r in resources.items() if r.get("Type") == FUNCTION}
    worker_timeouts: dict[str, list[int]] = {}
    for function_id, function in sorted(functions.items()):
        props = function["Properties"]
        kind = kind_of(function)
        for event in (props.get("Events") or {}).values():
            event_props = event.setdefault("Properties", {})
            if event.get("Type") == "SQS":
                event_props["FunctionResponseTypes"] = ["ReportBatchItemFailures"]
                for queue_name, queue_id in QUEUES.items():
                    if _names_resource(event_props.get("Queue"), queue_name):
                        event_props["Queue"] = {"Fn::GetAtt": [queue_id, "Arn"]}
                        worker_timeouts.setdefault(queue_id, []).append(int(props.get("Timeout", 3)))
            elif event.get("Type") == "SNS" and _names_resource(event_props.get("Topic"), TOPIC_NAME):
                event_props["Topic"] = {"Ref": TOPIC_RESOURCE}

        variables = props.setdefault("Environment", {}).setdefault("Variables", {})
        if "SECRETS_PARAMETER_PATH" in variables:
            template["Parameters"]["SecretsParameterPath"]["Default"] = variables["SECRETS_PARAMETER_PATH"]
        variables.update(
            {
                "TABLE_NAME": {"Ref": "Table"},
                "OUTBOUND_QUEUE_NAME": {"Fn::GetAtt": [QUEUE_RESOURCE, "QueueName"]},
                "OUTBOUND_DLQ_NAME": {"Fn::GetAtt": ["OutboundDeadLetterQueue", "QueueName"]},
                "EXPORT_JOBS_QUEUE_NAME": {"Fn::GetAtt": ["ExportJobsQueue", "QueueName"]},
                "EXPORT_JOBS_DLQ_NAME": {"Fn::GetAtt": ["ExportJobsDeadLetterQueue", "QueueName"]},
                "EXPORTS_BUCKET": {"Ref": "ExportsBucket"},
                "SECRETS_PARAMETER_PATH": {"Ref": "SecretsParameterPath"},
            }
        )

        role = props.get("Role")
        if isinstance(role, dict) and "Fn::GetAtt" in role:
            role_id = role["Fn::GetAtt"][0]
            resources[role_id]["Properties"]["Policies"] = [
                {"PolicyName": f"{role_id}Policy", "PolicyDocument": _role_policy(kind)}
            ]

        resources[f"{function_id}ErrorsAlarm"] = _function_alarm(function_id, "Errors", "invocations failed")
        resources[f"{function_id}ThrottlesAlarm"] = _function_alarm(function_id, "Throttles", "invocations throttled")

    _repair_log_groups(resources)
    for queue_id, timeouts in worker_timeouts.items():
        queue = resources[queue_id]["Properties"]
        needed = VISIBILITY_TIMEOUT_FACTOR * max(timeouts)
        queue["VisibilityTimeout"] = max(int(queue.get("VisibilityTimeout", 30)), needed)
    return template


def chalice_package(project_dir: Path, stage: str, out_dir: Path, merge_template: Path = MERGE_TEMPLATE) -> Path:
    """Run ``chalice package`` (no AWS account needed) and return the template's path."""
    chalice = Path(sys.executable).with_name("chalice")
    command = [
        str(chalice) if chalice.exists() else "chalice",
        "--project-dir",
        str(project_dir),
        "package",
        "--stage",
        stage,
        "--merge-template",
        str(merge_template),
        str(out_dir),
    ]
    # `chalice package` reads no credentials (checked with an empty environment); a stray
    # AWS_PROFILE naming a profile this machine lacks would still stop botocore, so it is dropped.
    env = {k: v for k, v in os.environ.items() if k != "AWS_PROFILE"}
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    subprocess.run(command, check=True, env=env)
    return out_dir / "sam.yaml"


def precompile(zip_path: Path) -> int:
    """Add ``__pycache__/*.pyc`` for every module in the deployment zip; return how many.

    The files are unchecked hash-based pycs (PEP 552): the interpreter trusts them without
    comparing timestamps, right for code that never changes once deployed. They are compiled
    by this interpreter, the version Chalice packages for; another version ignores them.
    """
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with zipfile.ZipFile(zip_path) as archive:
            entries = archive.infolist()
            archive.extractall(root)
        compileall.compile_dir(
            root, quiet=2, workers=0, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
        )
        known = {entry.filename for entry in entries}
        compiled = sorted(p for p in root.rglob("*.pyc") if p.relative_to(root).as_posix() not in known)
        rewritten = zip_path.with_name(zip_path.name + ".tmp")
        with zipfile.ZipFile(rewritten, "w", zipfile.ZIP_DEFLATED) as archive:
            for entry in entries:  # the original entries as they were (names, modes, order)
                archive.writestr(entry, b"" if entry.is_dir() else (root / entry.filename).read_bytes())
            for pyc in compiled:
                info = zipfile.ZipInfo(pyc.relative_to(root).as_posix(), date_time=(2020, 1, 1, 0, 0, 0))
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, pyc.read_bytes())
        rewritten.replace(zip_path)
    return len(compiled)


def package(project_dir: Path, stage: str, out_dir: Path) -> Path:
    path = chalice_package(project_dir, stage, out_dir)
    template = yaml.safe_load(path.read_text())
    path.write_text(yaml.safe_dump(finish(template), sort_keys=False, allow_unicode=True))
    precompile(out_dir / "deployment.zip")
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--project-dir", type=Path, default=Path.cwd())
    parser.add_argument("out_dir", type=Path, nargs="?", default=Path("dist"))
    args = parser.parse_args(argv)
    path = package(args.project_dir.resolve(), args.stage, args.out_dir.resolve())
    print(f"template: {path}")


if __name__ == "__main__":
    main()
