"""Cold start: what a fresh Lambda container imports before it can answer its first webhook.

Every function Chalice deploys loads ``app.py``, so one figure covers them all; a second figure
adds what the first request builds (the container's DynamoDB and SQS clients, the JSON logger).
In AWS the first request also reads the secrets from SSM (one call, then cached). Each is
timed in fresh interpreters (``.pyc`` warm, as in a deployed zip) and compared with a bare
``import boto3, chalice`` plus one DynamoDB client, the floor any Chalice + boto3 function pays.
Target: the first-request figure within 1.6x of that floor. It also checks that ``twilio.rest``
(the REST client, 100+ ms) and the X-Ray SDK are not loaded.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.getenv("BENCH_COLD_RUNS", "9"))
TARGET_RATIO = 1.6
NOT_ON_COLD_PATH = ("twilio.rest", "aws_xray_sdk")

BASELINE = "import boto3, chalice; boto3.client('dynamodb', region_name='us-east-1')"
IMPORT_APP = "import app"
FIRST_REQUEST = (
    "import app; from chalicelib.bootstrap import get_container; get_container(); "
    "from chalicelib.api.observability import get_logger; get_logger()"
)

_TIMER = """
import json, sys, time
started = time.perf_counter()
exec({code!r})
elapsed = time.perf_counter() - started
print(json.dumps({{"seconds": elapsed, "modules": sorted(sys.modules)}}))
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))}
    env.update(
        {
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def measure(code: str) -> tuple[float, list[str]]:
    """Seconds to run ``code`` in a fresh interpreter, and the modules loaded afterwards."""
    out = subprocess.run(
        [sys.executable, "-c", _TIMER.format(code=code)],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    return float(result["seconds"]), list(result["modules"])


def median_ms(code: str, runs: int = RUNS) -> tuple[float, list[str]]:
    measure(code)  # compile .pyc files first, as a deployed package has them
    timings = []
    modules: list[str] = []
    for _ in range(runs):
        seconds, modules = measure(code)
        timings.append(seconds * 1000)
    return statistics.median(timings), modules


def loaded_but_unwanted(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == bad or m.startswith(bad + ".") for bad in NOT_ON_COLD_PATH)]


def run() -> dict[str, float]:
    baseline, _ = median_ms(BASELINE)
    app_only, app_modules = median_ms(IMPORT_APP)
    first, first_modules = median_ms(FIRST_REQUEST)
    print(f"cold import, median of {RUNS} fresh interpreters:")
    print(f"  bare chalice + boto3 + DynamoDB client  {baseline:7.1f} ms")
    print(f"  import app (every function)             {app_only:7.1f} ms   {app_only / baseline:.2f}x")
    print(
        f"  import app + first-request clients      {first:7.1f} ms   {first / baseline:.2f}x "
        f"(target <= {TARGET_RATIO}x)"
    )
    unwanted = loaded_but_unwanted(app_modules) + loaded_but_unwanted(first_modules)
    assert not unwanted, f"loaded on the cold path: {sorted(set(unwanted))}"
    print(f"  not loaded: {', '.join(NOT_ON_COLD_PATH)}")
    return {"baseline_ms": baseline, "import_app_ms": app_only, "first_request_ms": first}


if __name__ == "__main__":
    run()
