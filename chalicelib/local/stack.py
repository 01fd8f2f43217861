"""The whole of Hearback in one process, for `make run` and for tests.

Pieces, started in this order and stopped in reverse:

1. development defaults for every unset setting (:mod:`chalicelib.local.devenv`);
2. the AWS endpoint: moto's ``ThreadedMotoServer`` on 127.0.0.1 and a free port, unless
   ``AWS_ENDPOINT_URL`` already names one; the table, queues and bucket are created there
   (``ensure_resources``) and, on the embedded store only, the tables are restored from the
   data folder (an external endpoint keeps its own data; loading an old snapshot into it
   would overwrite newer items);
3. the organizer account (``chalicelib.bootstrap.seed_organizer``, idempotent);
4. Chalice's local HTTP server for every route;
5. one SQS poller per queue handler and one scheduler thread (:mod:`chalicelib.local.workers`);
6. a snapshotter that saves the tables every few seconds and once more at the end.

Messages still in SQS are lost across restarts (moto's SQS cannot be saved); see
:mod:`chalicelib.local.snapshot`.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import logging
import os
import sys
import threading
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import boto3

from chalicelib.local.devenv import apply_dev_defaults, data_dir_from
from chalicelib.local.snapshot import Snapshotter
from chalicelib.local.topics import TopicWorker
from chalicelib.local.workers import QueueWorker, Scheduler

if TYPE_CHECKING:
    from chalice.app import Chalice
    from chalice.config import Config
    from chalice.local import LocalDevServer
    from moto.server import ThreadedMotoServer

    from chalicelib.local.background import BackgroundLoop

log = logging.getLogger(__name__)

DEFAULT_STAGE = "dev"
SeedFunction = Callable[[str], Any]


def load_seed_organizer() -> SeedFunction | None:
    """``chalicelib.bootstrap.seed_organizer`` when the app provides it."""
    if importlib.util.find_spec("chalicelib.bootstrap") is None:
        return None
    module = importlib.import_module("chalicelib.bootstrap")
    seed: SeedFunction | None = getattr(module, "seed_organizer", None)
    return seed


def load_project_config(project_dir: Path) -> dict[str, Any]:
    path = project_dir / ".chalice" / "config.json"
    if not path.exists():
        return {}
    config: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return config


class LocalStack:
    """Start and stop the local stack.

    From a test::

        stack = LocalStack(project_dir=root, data_dir=tmp_path, app=my_app, seed=None)
        stack.start()        # returns once HTTP, workers and scheduler are running
        try:
            urllib.request.urlopen(stack.url + "/health")
        finally:
            stack.stop()     # idempotent; saves the tables, stops moto

    ``start`` writes settings into ``os.environ`` (boto3 and the settings object read it)
    and ``stop`` puts back what it changed, so a later start in the same process gets a
    fresh endpoint. Leave ``app``
    unset to import ``app`` from ``project_dir`` as Lambda would; leave ``seed`` as
    ``"auto"`` to call ``chalicelib.bootstrap.seed_organizer`` when it exists.
    """

    def __init__(
        self,
        *,
        project_dir: Path | None = None,
        data_dir: Path | None = None,
        app: Chalice | None = None,
        stage: str = DEFAULT_STAGE,
        seed: SeedFunction | Literal["auto"] | None = "auto",
        snapshot_interval: float = 5.0,
        schedule_scale: float | None = None,
    ) -> None:
        self.project_dir = (project_dir or Path.cwd()).resolve()
        self.data_dir = (data_dir or data_dir_from(os.environ, self.project_dir)).resolve()
        self.app = app
        self.stage = stage
        self._seed = seed
        self.snapshot_interval = snapshot_interval
        self.schedule_scale = schedule_scale
        self.dev_defaults: list[str] = []
        self.organizer_token = ""
        self.endpoint_url = ""
        self.embedded = False
        self.host = "127.0.0.1"
        self.port = 0
        self._moto: ThreadedMotoServer | None = None
        self._http: LocalDevServer | None = None
        self._http_thread: threading.Thread | None = None
        self._loops: list[BackgroundLoop] = []
        self._snapshotter: Snapshotter | None = None
        self._app_params: dict[str, Any] = {}
        self._env_changes: dict[str, str | None] = {}
        self._started = False

    # --- public ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        """Bring everything up; on failure, stop what already started and re-raise."""
        if self._started:
            return
        self._started = True
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop HTTP, workers and scheduler, save the tables, stop moto. Safe to call twice."""
        if self._http is not None:
            self._http.server.shutdown()
            self._http.server.server_close()
            self._http = None
        if self._http_thread is not None:
            self._http_thread.join(10)
            self._http_thread = None
        for loop in reversed(self._loops):
            loop.stop()
        self._loops = []
        try:
            if self._snapshotter is not None:
                snapshotter, self._snapshotter = self._snapshotter, None
                saved = snapshotter.save()
                if saved:
                    log.info("saved %s to %s", ", ".join(saved), self.data_dir)
        finally:
            if self._moto is not None:
                self._moto.stop()
                self._moto = None
            self._restore_environment()
            self._started = False

    def _restore_environment(self) -> None:
        from chalicelib.config import get_settings

        for name, value in self._env_changes.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._env_changes = {}
        get_settings.cache_clear()

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- start-up steps ----------------------------------------------------------------

    def _start(self) -> None:
        from chalicelib.config import get_settings

        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self._chalice_config()
        env_before = dict(os.environ)
        try:
            # Precedence: the shell's environment, then .chalice/config.json, then dev values.
            for name, value in config.environment_variables.items():
                os.environ.setdefault(name, str(value))
            self.dev_defaults = apply_dev_defaults(os.environ, self.data_dir)
            self.organizer_token = os.environ["ORGANIZER_TOKEN"]
            self.host = os.environ.get("HOST") or "127.0.0.1"
            self.port = int(os.environ["PORT"])
            self._start_endpoint()
        finally:
            # Remember what this start changed so stop() can undo it: a later start in the
            # same process (tests) must not inherit an endpoint that no longer exists.
            self._env_changes = {
                name: env_before.get(name)
                for name in set(os.environ) | set(env_before)
                if os.environ.get(name) != env_before.get(name)
            }
        get_settings.cache_clear()
        settings = get_settings()

        # A session of our own: boto3's default session is not safe to share across threads.
        session = boto3.session.Session()
        dynamodb = session.client("dynamodb", endpoint_url=self.endpoint_url)
        sqs = session.client("sqs", endpoint_url=self.endpoint_url)
        s3 = session.client("s3", endpoint_url=self.endpoint_url)
        from chalicelib.adapters.resources import ensure_resources

        ensure_resources(dynamodb, sqs, s3, settings)
        if self.embedded:
            snapshotter = Snapshotter(
                dynamodb,
                [settings.table_name],
                self.data_dir,
                self.snapshot_interval,
            )
            counts = snapshotter.restore()
            log.info("restored %s", ", ".join(f"{t}: {n} item(s)" for t, n in counts.items()))
            # Only now may stop() save: after a failed restore, saving would overwrite the
            # snapshot with an empty or partial table.
            self._snapshotter = snapshotter
        self._seed_organizer()

        app = self.app or self._import_app()
        self._app_params["chalice_app"] = app  # Config reads it lazily, as chalice local does
        self._start_http(app, config)

        region = settings.aws_region
        timeout_ms = (config.lambda_timeout or 60) * 1000
        scale = self.schedule_scale
        if scale is None:
            scale = float(os.environ.get("LOCAL_SCHEDULE_SCALE") or 1.0)
        self._loops = [
            *QueueWorker.for_app(app, sqs, region=region, stage=self.stage, timeout_ms=timeout_ms),
            *TopicWorker.for_app(
                app, session.client("sns", endpoint_url=self.endpoint_url), sqs, stage=self.stage, timeout_ms=timeout_ms
            ),
            Scheduler.for_app(
                app,
                region=region,
                stage=self.stage,
                scale=scale,
                timeout_ms=timeout_ms,
            ),
        ]
        if self._snapshotter is not None:
            self._loops.append(self._snapshotter)
        for loop in self._loops:
            loop.start()

    def _chalice_config(self) -> Config:
        """The Config ``chalice local`` builds: stage, project dir, .chalice/config.json."""
        from chalice.config import Config

        return Config(
            chalice_stage=self.stage,
            user_provided_params=self._app_params,
            config_from_disk=load_project_config(self.project_dir),
            default_params={
                "project_dir": str(self.project_dir),
                "api_gateway_stage": "api",
                "api_gateway_endpoint_type": "EDGE",
                "autogen_policy": True,
            },
        )

    def _start_endpoint(self) -> None:
        configured = os.environ.get("AWS_ENDPOINT_URL")
        if configured:
            self.endpoint_url = configured
            self.embedded = False
            return
        from moto.server import ThreadedMotoServer

        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        self.embedded = True
        # moto's backends are process-wide: start empty even if this process used moto
        # before (tests), so that what the app sees is exactly the restored snapshot.
        reset = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(reset, timeout=10):
            pass
        os.environ["AWS_ENDPOINT_URL"] = self.endpoint_url

    def _seed_organizer(self) -> None:
        if self._seed is None:
            return
        seed = load_seed_organizer() if self._seed == "auto" else self._seed
        if seed is None:
            log.warning("chalicelib.bootstrap.seed_organizer not found: no organizer seeded")
            return
        seed(self.organizer_token)

    def _import_app(self) -> Chalice:
        root = str(self.project_dir)
        if root not in sys.path:
            sys.path.insert(0, root)
        module = importlib.import_module("app")
        app: Chalice = module.app
        return app

    def _start_http(self, app: Chalice, config: Config) -> None:
        from chalice.deploy.validate import validate_routes
        from chalice.local import create_local_server

        validate_routes(app.routes)
        self._http = create_local_server(app, config, self.host, self.port)
        self.port = int(self._http.server.server_address[1])
        self._http_thread = threading.Thread(
            target=self._http.server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="http",
            daemon=True,
        )
        self._http_thread.start()
