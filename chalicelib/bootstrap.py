"""The composition root: builds the adapters once per Lambda container (or local process).

Views and workers call :func:`get_container`; tests build their own with fakes and install
it with :func:`use_container`. Nothing here runs at import time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from chalicelib.domain.inbound import AnswerTexts
from chalicelib.domain.model import utcnow
from chalicelib.services import users
from chalicelib.services.ports import BlobStore, Clock, ExportJobQueue, OutboundQueue, Store
from chalicelib.settings import Settings, get_settings


@dataclass
class Container:
    settings: Settings
    store: Store
    queue: OutboundQueue
    clock: Clock = field(default=utcnow)
    # -- people, stance, exports: where export files go and the queue export jobs wait on.
    blobs: BlobStore | None = None
    export_jobs: ExportJobQueue | None = None

    @property
    def answer_texts(self) -> AnswerTexts:
        s = self.settings
        return AnswerTexts(
            ack=s.render(s.ack_text),
            first_contact_notice=s.render(s.first_contact_notice),
            help=s.render(s.help_text),
        )


def aws_client(service: str, settings: Settings, config: Any = None) -> Any:
    """A boto3 client for the configured endpoint (embedded moto locally, AWS otherwise)."""
    import boto3  # imported here so that importing the app stays cheap for tools and tests

    session: Any = boto3.session.Session()
    return session.client(
        service, region_name=settings.aws_region, endpoint_url=settings.aws_endpoint_url, config=config
    )


def _s3v4_client(settings: Settings) -> Any:
    """S3 with Signature Version 4, which presigned links need (SigV2 is retired)."""
    from botocore.config import Config

    return aws_client("s3", settings, Config(signature_version="s3v4"))


def build_container(settings: Settings | None = None) -> Container:
    from chalicelib.adapters.dynamodb import DynamoDBStore
    from chalicelib.adapters.sqs import SQSOutboundQueue

    settings = settings or get_settings()
    store = DynamoDBStore(
        aws_client("dynamodb", settings),
        settings.table_name,
        shards=settings.task_queue_shards,
        dedupe_ttl=timedelta(days=settings.dedupe_ttl_days),
    )
    queue = SQSOutboundQueue(aws_client("sqs", settings), settings.outbound_queue_name)
    # people, stance, exports: clients built on first use (most requests never export).
    from chalicelib.adapters.s3 import S3BlobStore, SQSExportJobQueue

    blobs = S3BlobStore(lambda: _s3v4_client(settings), settings.exports_bucket)
    export_jobs = SQSExportJobQueue(lambda: aws_client("sqs", settings), settings.export_jobs_queue_name)
    return Container(settings=settings, store=store, queue=queue, blobs=blobs, export_jobs=export_jobs)


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
