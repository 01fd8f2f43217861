"""The composition root: builds the adapters once per Lambda container (or local process).

The API layer asks for the container in one place (``chalicelib/api/wiring.py``); tests build
their own with fakes and install it with :func:`use_container`. Nothing here runs at import time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from chalicelib.config import get_settings
from chalicelib.domain.channels import Channel
from chalicelib.domain.inbound import AnswerTexts
from chalicelib.domain.model import utcnow
from chalicelib.domain.texts import TextKey, TextKind, Texts
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
from chalicelib.settings import CoreSettings


def _outbox_senders() -> dict[Channel, Sender]:
    from chalicelib.adapters.senders import outbox_senders

    return outbox_senders()


def build_texts(settings: CoreSettings) -> Texts:
    """The texts table: the core defaults (the settings' general texts), each channel module's
    own, then the campaign's per-channel overrides (ACK_TEXT_<CHANNEL> and the like)."""
    from chalicelib.adapters.channels.registry import text_defaults

    general = {TextKind.ACK: settings.ack_text, TextKind.FIRST_CONTACT_NOTICE: settings.first_contact_notice,
               TextKind.HELP: settings.help_text}  # fmt: skip
    names = {
        "ack_text": TextKind.ACK,
        "first_contact_notice": TextKind.FIRST_CONTACT_NOTICE,
        "help_text": TextKind.HELP,
    }
    overrides: dict[TextKey, str] = {}
    for key, value in settings.text_overrides.items():
        for prefix, kind in names.items():
            if key.startswith(prefix + "_"):
                overrides[(kind, Channel(key[len(prefix) + 1 :]), "en")] = value
    table = Texts({(kind, None, "en"): text for kind, text in general.items()}).layered(text_defaults())
    table = table.layered(overrides)
    return Texts({key: settings.render(text) for key, text in table.entries.items()})


@dataclass
class Container:
    """Everything the use cases need, built once. Each use case's ``...Deps`` protocol names the
    part of it that use case may touch."""

    settings: CoreSettings
    stores: Stores
    queue: OutboundQueue
    clock: Clock = field(default=utcnow)
    blobs: BlobStore | None = None  # where export files go
    export_jobs: ExportJobQueue | None = None  # the queue export jobs wait on
    senders: dict[Channel, Sender] = field(default_factory=_outbox_senders)
    texts: Texts | None = None  # None: built from the settings on first use

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
        """What a person on ``channel`` reads (or hears)."""
        if self.texts is None:
            self.texts = build_texts(self.settings)
        t = self.texts
        return AnswerTexts(
            ack=t.get(TextKind.ACK, channel),
            first_contact_notice=t.get(TextKind.FIRST_CONTACT_NOTICE, channel),
            help=t.get(TextKind.HELP, channel),
        )


def build_container(settings: CoreSettings | None = None) -> Container:
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


def load_settings(ssm_client: Any | None = None) -> CoreSettings:
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
