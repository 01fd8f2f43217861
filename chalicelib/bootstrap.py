"""The composition root: builds the adapters once per Lambda container (or local process).

Views and workers call :func:`get_container`; tests build their own with fakes and install
it with :func:`use_container`. Nothing here runs at import time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from chalicelib.domain.inbound import AnswerTexts
from chalicelib.domain.model import Channel, utcnow
from chalicelib.services import users
from chalicelib.services.ports import BlobStore, Clock, ExportJobQueue, OutboundQueue, Sender, Store
from chalicelib.settings import Settings, get_settings


# -- follow-up -------------------------------------------------------------------
def _outbox_senders() -> dict[Channel, Sender]:
    from chalicelib.adapters.senders import OutboxSender

    outbox = OutboxSender()
    return dict.fromkeys(Channel, outbox)


@dataclass
class Container:
    settings: Settings
    store: Store
    queue: OutboundQueue
    clock: Clock = field(default=utcnow)
    # -- people, stance, exports: where export files go and the queue export jobs wait on.
    blobs: BlobStore | None = None
    export_jobs: ExportJobQueue | None = None
    # follow-up: Channel -> Sender registry (outbox unless built for OUTBOUND=live).
    senders: dict[Channel, Sender] = field(default_factory=_outbox_senders)

    def answer_texts(self, channel: Channel) -> AnswerTexts:
        """What a person on ``channel`` reads (or hears): the settings' per-channel texts."""
        s = self.settings
        return AnswerTexts(
            ack=s.channel_text("ack_text", channel.value),
            first_contact_notice=s.channel_text("first_contact_notice", channel.value),
            help=s.channel_text("help_text", channel.value),
        )


def aws_client(service: str, settings: Settings, config: Any = None) -> Any:
    """A boto3 client for the configured endpoint (embedded moto locally, AWS otherwise)."""
    session = _shared_session()
    return session.client(
        service, region_name=settings.aws_region, endpoint_url=settings.aws_endpoint_url, config=config
    )


def _s3v4_client(settings: Settings) -> Any:
    """S3 with Signature Version 4, which presigned links need (SigV2 is retired)."""
    from botocore.config import Config

    return aws_client("s3", settings, Config(signature_version="s3v4"))


def _store_client(settings: Settings) -> Any:
    """The store's DynamoDB client, without botocore's client-side parameter validation.

    Every request on it is built by ``DynamoDBStore`` from typed models, never from caller
    input, and DynamoDB validates each request again on arrival. Walking the request against
    the service model costs ~0.2 ms per inbound SMS (most of it the five-item transaction),
    on the hot path of every webhook (``make bench``, inbound).
    """
    from botocore.config import Config

    return aws_client("dynamodb", settings, Config(parameter_validation=False))


def build_container(settings: Settings | None = None) -> Container:
    from chalicelib.adapters.dynamodb import DynamoDBStore
    from chalicelib.adapters.senders import build_senders
    from chalicelib.adapters.sqs import SQSOutboundQueue

    settings = settings or load_settings()
    store = DynamoDBStore(
        _store_client(settings),
        settings.table_name,
        shards=settings.task_queue_shards,
        dedupe_ttl=timedelta(days=settings.dedupe_ttl_days),
    )
    queue = SQSOutboundQueue(LazyClient("sqs", settings), settings.outbound_queue_name)
    # people, stance, exports: clients built on first use (most requests never export).
    from chalicelib.adapters.s3 import S3BlobStore, SQSExportJobQueue

    blobs = S3BlobStore(lambda: _s3v4_client(settings), settings.exports_bucket)
    export_jobs = SQSExportJobQueue(lambda: aws_client("sqs", settings), settings.export_jobs_queue_name)
    return Container(
        settings=settings,
        store=store,
        queue=queue,
        blobs=blobs,
        export_jobs=export_jobs,
        senders=build_senders(settings),
    )


# --- deploy: settings with secrets from SSM Parameter Store --------------------------


def load_settings(ssm_client: Any | None = None) -> Settings:
    """The environment's settings, with missing values filled from SSM when a path is configured.

    In AWS ``SECRETS_PARAMETER_PATH`` names the path (``/hearback/prod/``) and the provider
    secrets live there. Locally it is unset, or ``AWS_ENDPOINT_URL`` points at a local stack
    (which serves no Parameter Store): then this is :func:`get_settings`.
    """
    import os

    settings = get_settings()
    if not settings.secrets_parameter_path or settings.aws_endpoint_url:
        return settings
    from chalicelib.adapters.secrets import with_parameters

    return with_parameters(settings, ssm_client or aws_client("ssm", settings), os.environ)


_session_lock = threading.Lock()
_session: tuple[Any, int] | None = None  # (session, number of botocore built-in handlers when made)


def _shared_session() -> Any:
    """One boto3 session per process.

    A new session re-reads botocore's endpoint and model files: two clients from two sessions
    cost ~300 ms more CPU at cold start than from one (``make bench``, cold_import). The session
    is remade if botocore's built-in handlers changed since (moto adds its own when imported).
    """
    global _session
    import boto3  # imported here so that importing the app stays cheap for tools and tests
    from botocore.handlers import BUILTIN_HANDLERS

    with _session_lock:  # sessions are not thread-safe; the local stack builds clients from threads
        if _session is None or _session[1] != len(BUILTIN_HANDLERS):
            _session = (boto3.session.Session(), len(BUILTIN_HANDLERS))
        return _session[0]


class LazyClient:
    """A boto3 client made on first use: an SMS webhook answers without touching SQS, so its
    cold start skips building the SQS client (~40-80 ms)."""

    def __init__(self, service: str, settings: Settings) -> None:
        self._service = service
        self._settings = settings
        self._client: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            self._client = aws_client(self._service, self._settings)
        return getattr(self._client, name)


# --- end deploy ---------------------------------------------------------------------------------


_container: Container | None = None


def get_container() -> Container:
    global _container
    if _container is None:
        _container = build_container()
    return _container


def use_container(container: Container | None) -> None:
    """Install a container (tests), or None to build a fresh one on next use."""
    global _container
    _container = container


def seed_organizer(token: str) -> None:
    """Let ``token`` sign in as an organizer (the local stack's ORGANIZER_TOKEN)."""
    c = get_container()
    users.seed_organizer(c.store, c.clock, token)
