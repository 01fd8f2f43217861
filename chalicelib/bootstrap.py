"""The composition root: builds the adapters once per Lambda container (or local process).

The API layer asks for the container in one place (``chalicelib/api/wiring.py``); tests build
their own with fakes and install it with :func:`use_container`. Nothing here runs at import time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from chalicelib.domain.inbound import AnswerTexts
from chalicelib.domain.model import Channel, utcnow
from chalicelib.services import users
from chalicelib.services.ports import Clock, Stores
from chalicelib.services.ports.exports import BlobStore, ExportJobQueue, ExportJobStore, StatsStore
from chalicelib.services.ports.inbound import InboundStore
from chalicelib.services.ports.messages import MessageStore
from chalicelib.services.ports.outbound import OutboundQueue, Sender, SendingStore
from chalicelib.services.ports.people import PeopleStore
from chalicelib.services.ports.saved_replies import SavedReplyStore
from chalicelib.services.ports.staff import StaffStore
from chalicelib.services.ports.tasks import TaskStore
from chalicelib.services.ports.users import UserStore
from chalicelib.settings import Settings, get_settings


def _outbox_senders() -> dict[Channel, Sender]:
    from chalicelib.adapters.senders import OutboxSender

    return dict.fromkeys(Channel, OutboxSender())


@dataclass
class Container:
    """Everything the use cases need, built once. Each use case's ``...Deps`` protocol names the
    part of it that use case may touch."""

    settings: Settings
    stores: Stores
    queue: OutboundQueue
    clock: Clock = field(default=utcnow)
    blobs: BlobStore | None = None  # where export files go
    export_jobs: ExportJobQueue | None = None  # the queue export jobs wait on
    senders: dict[Channel, Sender] = field(default_factory=_outbox_senders)

    @property
    def inbound(self) -> InboundStore:
        return self.stores.inbound

    @property
    def people(self) -> PeopleStore:
        return self.stores.people

    @property
    def messages(self) -> MessageStore:
        return self.stores.messages

    @property
    def tasks(self) -> TaskStore:
        return self.stores.tasks

    @property
    def sending(self) -> SendingStore:
        return self.stores.sending

    @property
    def staff(self) -> StaffStore:
        return self.stores.staff

    @property
    def users(self) -> UserStore:
        return self.stores.users

    @property
    def exports(self) -> ExportJobStore:
        return self.stores.exports

    @property
    def stats(self) -> StatsStore:
        return self.stores.stats

    @property
    def saved_replies(self) -> SavedReplyStore:
        return self.stores.saved_replies

    def answer_texts(self, channel: Channel) -> AnswerTexts:
        """What a person on ``channel`` reads (or hears): the settings' per-channel texts."""
        s = self.settings
        return AnswerTexts(
            ack=s.channel_text("ack_text", channel.value),
            first_contact_notice=s.channel_text("first_contact_notice", channel.value),
            help=s.channel_text("help_text", channel.value),
        )


def build_container(settings: Settings | None = None) -> Container:
    from chalicelib.adapters.aws import LazyClient, aws_client, s3v4_client, store_client
    from chalicelib.adapters.dynamodb import dynamodb_stores
    from chalicelib.adapters.s3 import S3BlobStore, SQSExportJobQueue
    from chalicelib.adapters.senders import build_senders
    from chalicelib.adapters.sqs import SQSOutboundQueue

    settings = settings or load_settings()
    stores = dynamodb_stores(
        store_client(settings),
        settings.table_name,
        shards=settings.task_queue_shards,
        dedupe_ttl=timedelta(days=settings.dedupe_ttl_days),
    )
    return Container(
        settings=settings,
        stores=stores,
        queue=SQSOutboundQueue(LazyClient("sqs", settings), settings.outbound_queue_name),
        # Built on first use: most requests never export.
        blobs=S3BlobStore(lambda: s3v4_client(settings), settings.exports_bucket),
        export_jobs=SQSExportJobQueue(lambda: aws_client("sqs", settings), settings.export_jobs_queue_name),
        senders=build_senders(settings),
    )


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
    from chalicelib.adapters.aws import aws_client
    from chalicelib.adapters.secrets import with_parameters

    return with_parameters(settings, ssm_client or aws_client("ssm", settings), os.environ)


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
    users.seed_organizer(c.users, c.clock, token)
