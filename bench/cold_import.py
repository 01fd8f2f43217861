"""Cold start: what a fresh Lambda container does before it has answered its first webhook.

Every function Chalice deploys loads ``app.py``, so one figure covers them all. A second figure
is the first request itself: one signed Twilio SMS from a new sender, handled by the app as
Lambda calls it (``bench/_first_sms.py``): the container's settings and DynamoDB client, the
middleware's logger and metrics, the signature check, the form and the models validated, the
writes serialized. Only the network is left out (a ``botocore.stub.Stubber`` answers DynamoDB);
in AWS the first request also reads the secrets from SSM (one call, then cached). Each is
timed in fresh interpreters (``.pyc`` warm for the app and the libraries alike) and compared with a bare
``import boto3, chalice`` plus one DynamoDB client, the floor any Chalice + boto3 function pays.
The functions' environment from ``.chalice/config.json`` applies (``PYDANTIC_DISABLE_PLUGINS``
spares pydantic a scan of every installed package's entry points, ~150 ms), with bench values
for the secrets the SMS webhook reads and the variable Lambda sets (``AWS_LAMBDA_FUNCTION_NAME``,
so metrics are flushed as in AWS).
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
RUNS = int(os.getenv("BENCH_COLD_RUNS", "11"))
TARGET_RATIO = 1.6
NOT_ON_COLD_PATH = ("twilio.rest", "aws_xray_sdk")

BASELINE = "import boto3, chalice; boto3.client('dynamodb', region_name='us-east-1')"
IMPORT_APP = "import app"
FIRST_REQUEST = "from bench._first_sms import handle_one_sms; handle_one_sms()"
MINIMAL_FIRST_REQUEST = "from bench._first_sms import handle_one_minimal; handle_one_minimal()"

_TIMER = """
import json, sys, time
started, cpu_started = time.perf_counter(), time.process_time()
exec({code!r})
wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
print(json.dumps({{"wall": wall, "cpu": cpu, "modules": sorted(sys.modules)}}))
"""


def _env() -> dict[str, str]:
    """A clean environment plus the functions' own variables from .chalice/config.json."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_", "PYDANTIC_"))}
    # The warm-up run writes the app's .pyc files, as the libraries already have theirs; with
    # PYTHONDONTWRITEBYTECODE inherited, every timed run would compile the app from source.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    env.update(config.get("environment_variables", {}))
    env.update(
        {
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_LAMBDA_FUNCTION_NAME": "hearback-dev",
            "PYTHONPATH": str(ROOT),
            # Secrets come from SSM in AWS; the first request needs these two.
            "PUBLIC_BASE_URL": "https://abc123defg.execute-api.us-east-1.amazonaws.com/api",
            "TWILIO_AUTH_TOKEN": "bench_auth_token_0123456789abcdef",
        }
    )
    return env


def measure(code: str) -> tuple[float, float, list[str]]:
    """CPU and wall seconds to run ``code`` in a fresh interpreter, and the modules loaded afterwards."""
    out = subprocess.run(
        [sys.executable, "-c", _TIMER.format(code=code)],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    return float(result["cpu"]), float(result["wall"]), list(result["modules"])


def medians_ms(codes: list[str], runs: int = RUNS) -> list[tuple[float, float, list[str]]]:
    """Median CPU and wall milliseconds of each code over ``runs`` fresh interpreters.

    The codes take turns (a, b, c, a, b, c...) so that a change in the machine's load during
    the run weighs on all of them alike.
    """
    for code in codes:
        measure(code)  # compile .pyc files first, so that no timed run compiles source
    cpu: list[list[float]] = [[] for _ in codes]
    wall: list[list[float]] = [[] for _ in codes]
    modules: list[list[str]] = [[] for _ in codes]
    for _ in range(runs):
        for i, code in enumerate(codes):
            cpu_s, wall_s, modules[i] = measure(code)
            cpu[i].append(cpu_s * 1000)
            wall[i].append(wall_s * 1000)
    return [(statistics.median(c), statistics.median(w), m) for c, w, m in zip(cpu, wall, modules, strict=True)]


def loaded_but_unwanted(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == bad or m.startswith(bad + ".") for bad in NOT_ON_COLD_PATH)]


def run() -> dict[str, float]:
    measured = medians_ms([BASELINE, IMPORT_APP, MINIMAL_FIRST_REQUEST, FIRST_REQUEST])
    (baseline, baseline_wall, _), (app_only, app_wall, app_modules) = measured[0], measured[1]
    (minimal, minimal_wall, _), (first, first_wall, first_modules) = measured[2], measured[3]
    print(f"cold import, median of {RUNS} fresh interpreters (CPU time; wall clock in brackets, load-sensitive):")
    rows = [
        ("bare chalice + boto3 + DynamoDB client", baseline, baseline_wall, baseline),
        ("import app (every function)", app_only, app_wall, baseline),
        ("minimal handler: first request", minimal, minimal_wall, baseline),
        ("import app + first SMS webhook", first, first_wall, minimal),
    ]
    for label, cpu, wall, floor in rows:
        print(f"  {label:<40} {cpu:7.1f} ms  [{wall:7.1f} ms]  {cpu / floor:.2f}x")
    print("  (the first SMS is compared with the minimal handler's first request, the rest with the bare import)")
    targets = [("import app vs bare", app_only / baseline), ("first SMS vs minimal first request", first / minimal)]
    for label, ratio in targets:
        verdict = "ok" if ratio <= TARGET_RATIO else "OVER TARGET"
        print(f"  {label}: {ratio:.2f}x (target <= {TARGET_RATIO}x): {verdict}")
    print(f"  first SMS vs bare import: {first / baseline:.2f}x (the request's own work included)")
    unwanted = loaded_but_unwanted(app_modules) + loaded_but_unwanted(first_modules)
    assert not unwanted, f"loaded on the cold path: {sorted(set(unwanted))}"
    print(f"  not loaded: {', '.join(NOT_ON_COLD_PATH)}")
    return {"baseline_ms": baseline, "import_app_ms": app_only, "minimal_first_ms": minimal, "first_request_ms": first}


if __name__ == "__main__":
    run()
