"""The ports the use cases talk through. Adapters implement them; tests use the fakes.

``chalicelib/adapters/dynamodb.py`` and ``chalicelib/adapters/memory.py`` implement
:class:`Store`; ``tests/integration/test_store_contract.py`` runs one suite against both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.domain.followup import StaffPhone
from chalicelib.domain.inbound import Answer, InboundPlan
from chalicelib.domain.model import (
    Channel,
    Identity,
    Message,
    MessageStatus,
    Model,
    Person,
    Role,
    SubscriptionStatus,
    Task,
    TaskStatus,
    User,
)
from chalicelib.domain.saved_replies import SavedReply
from chalicelib.domain.stance import Stance

if TYPE_CHECKING:
    from chalicelib.domain.exports import Contact

Clock = Callable[[], datetime]


class DuplicateDeliveryError(Exception):
    """The provider's message id was already recorded; carries the first answer."""

    def __init__(self, answer: Answer) -> None:
        super().__init__("duplicate delivery")
        self.answer = answer


class InFlightError(Exception):
    """Another copy of the same delivery is being written at this moment."""


class StalePlanError(Exception):
    """What the plan assumed about the person changed before it was written; plan again."""


# -- people, stance, exports -----------------------------------------------------------------
class PersonNotFoundError(Exception):
    """No person with that id."""


class IdentityTakenError(Exception):
    """An address being created already belongs to a person."""

    def __init__(self, person_id: str) -> None:
        super().__init__("identity already exists")
        self.person_id = person_id


@dataclass(frozen=True)
class PersonRow:
    """A person as exports list them, from one item: the profile, the current stance, and
    each address's subscription statuses and channels written on (kept on the person item by
    every write that changes an identity's, so an export never reads the identities)."""

    person: Person
    stance: Stance | None
    contacts: tuple[Contact, ...] = ()


class ExportJob(Model):
    id: str
    status: str  # queued | running | done | failed
    params: dict[str, str]
    created_by: str
    created_at: datetime
    finished_at: datetime | None = None
    rows: int = 0
    bytes: int = 0
    key: str | None = None  # object key in the exports bucket
    error: str | None = None


# -- follow-up -------------------------------------------------------------------
class TaskStateError(Exception):
    """A task write's condition failed: ``task`` is what is stored (None: no such task)."""

    def __init__(self, task: Task | None) -> None:
        super().__init__("task not in the expected state")
        self.task = task


@dataclass(frozen=True)
class SenderLookup:
    """Who is writing: a constituent's identity (or None: new) and/or a staff phone."""

    identity: Identity | None
    staff: StaffPhone | None


@dataclass(frozen=True)
class SendStart:
    started: bool
    message: Message | None  # None: no such message


@dataclass(frozen=True)
class TaskPage:
    tasks: list[Task]
    next: str | None


@dataclass(frozen=True)
class MessageRef:
    """Enough to find a stored message again (queue bodies and provider-id lookups)."""

    person_id: str
    message_id: str
    created_at: datetime


class Store(Protocol):
    # -- inbound -------------------------------------------------------------------------
    def find_identity(self, kind: str, address: str) -> Identity | None:
        """The identity for an address, read consistently, or None."""

    def get_person(self, person_id: str) -> Person | None: ...

    def record_inbound(self, plan: InboundPlan) -> None:
        """Write the plan and its dedupe marker atomically.

        Raises DuplicateDeliveryError (with the first answer) when the provider id was
        already recorded, StalePlanError when the person's open task or the identity changed
        underneath the plan, InFlightError when a concurrent copy is mid-write.
        """

    # -- people, stance, exports ---------------------------------------------------------
    def add_stance(self, stance: Stance, changed_at: datetime | None = None) -> bool:
        """Keep a stance data point; it becomes the person's current stance when it is the
        newest. ``changed_at`` (default: recorded_at) is when the person counts as changed
        for exports. True when it became current. Raises PersonNotFoundError."""

    def list_stances(self, person_id: str) -> list[Stance]:
        """Every data point, oldest first (history is never overwritten)."""

    def get_current_stance(self, person_id: str) -> Stance | None: ...

    def update_person(self, person_id: str, changes: dict[str, str | None], at: datetime) -> Person:
        """Set profile fields (None removes); records the change time. Raises PersonNotFoundError."""

    def people_pages(self, since: datetime | None, page_size: int) -> Iterator[list[PersonRow]]:
        """Every person (changed at or after ``since``) with their current stance and contacts,
        a page at a time; reads the store lazily so memory stays flat whatever the number of people."""

    def get_identities(self, keys: list[tuple[str, str]]) -> list[Identity]:
        """Identities for (kind, address) pairs, in one batched read; missing ones are skipped."""

    def get_tasks(self, task_ids: list[str]) -> list[Task]: ...

    def create_person(self, person: Person, identities: list[Identity], stance: Stance | None) -> None:
        """Create a known person (import). Raises IdentityTakenError when an address already
        belongs to someone (nothing is written then)."""

    def move_person_data(self, from_id: str, to_id: str) -> set[str]:
        """Move messages and stance history from one person to another (merge); re-point provider
        ids and the tasks those messages belong to. Safe to run again. Returns the task ids."""

    def reassign_identity(self, kind: str, address: str, person_id: str, open_task_id: str | None) -> None: ...

    def replace_person(self, person: Person, stance: Stance | None) -> None:
        """Overwrite a person's profile and current stance (the end of a merge)."""

    def delete_profile(self, person_id: str) -> None:
        """Remove only the person item (the last step of a merge, after everything moved)."""

    def count_people(self, since: datetime | None) -> int: ...

    def erase_person(self, person_id: str, suppress: list[str], record: dict[str, str]) -> None:
        """Delete everything about a person; keep only hashed suppression entries and a record
        of the deletion (no personal data in either)."""

    def is_suppressed(self, identity_hash: str) -> bool: ...

    def put_stats(self, stats: dict[str, Any]) -> None:
        """The latest statistics snapshot (computed off the hot path)."""

    def get_stats(self) -> dict[str, Any] | None: ...

    def count_tasks(self, status: TaskStatus, due_before: datetime | None = None) -> int:
        """How many tasks have a status (and are due before a time), from the task index."""

    def scan_activity(self, since: datetime) -> Iterator[dict[str, Any]]:
        """Messages and tasks created since a time, as plain attributes, for the stats job."""

    def put_export_job(self, job: ExportJob) -> None: ...

    def get_export_job(self, job_id: str) -> ExportJob | None: ...

    # -- messages ------------------------------------------------------------------------
    def get_message(self, ref: MessageRef) -> Message | None: ...

    def list_messages(self, person_id: str) -> list[Message]:
        """The whole conversation with a person, oldest first."""

    def link_provider_id(self, channel: Channel, provider_id: str, ref: MessageRef) -> None:
        """Remember which of our messages a provider id belongs to (for status callbacks)."""

    def find_by_provider_id(self, channel: Channel, provider_id: str) -> MessageRef | None: ...

    def advance_status(
        self,
        ref: MessageRef,
        status: MessageStatus,
        error_code: str | None = None,
        error_reason: str | None = None,
    ) -> bool:
        """Move a message to ``status`` only if that is forward; True when it moved."""

    def set_subscription(self, kind: str, address: str, channel: Channel, status: SubscriptionStatus) -> None: ...

    # -- tasks ---------------------------------------------------------------------------
    def get_task(self, task_id: str) -> Task | None: ...

    def list_tasks(self, status: TaskStatus, limit: int, after: str | None) -> TaskPage:
        """Tasks with a status, oldest due first; ``after`` is the previous page's ``next``."""

    # -- follow-up: claims, outbound sends, volunteers' phones --------------------
    def claim_task(self, task_id: str, user_id: str, now: datetime, lease_until: datetime) -> Task:
        """One conditional write: open, or already held by ``user_id``, or its lease expired.

        Raises TaskStateError (task None when unknown) when someone else holds it or it is done.
        """

    def release_task(self, task_id: str, holder: str | None) -> Task:
        """Back to open. ``holder`` None (an organizer) releases anyone's claim; releasing an
        open task is a no-op. Raises TaskStateError for unknown, done or another's tasks."""

    def complete_task(self, task_id: str, holder: str | None, outcome: str, now: datetime) -> Task:
        """Done, and in the same transaction the person's open task and every identity's
        mirror are cleared so the person's next message opens a new task. ``holder`` None
        (an organizer) completes any task. Completing a done task returns it unchanged."""

    def expire_leases(self, now: datetime) -> list[Task]:
        """Claimed tasks whose lease ended go back to open; returns them."""

    def overdue_tasks(self, now: datetime, below_priority: int, due_before: datetime) -> list[Task]:
        """Open tasks due before ``due_before`` whose priority is below ``below_priority``."""

    def raise_priority(self, task_id: str, priority: int) -> bool:
        """Set the priority if it is higher than the stored one (True when it moved)."""

    def put_message(self, message: Message) -> None:
        """Store a new message (outbound ones before they are queued)."""

    def begin_send(self, ref: MessageRef, now: datetime, lease_until: datetime) -> SendStart:
        """queued (or sending with an expired lease) -> sending, in one conditional write.

        Not started when the message was sent, failed, is being sent by another worker, or
        its ``send_after`` (sending hours) is still ahead; ``message`` is then what is stored.
        """

    def mark_sent(self, ref: MessageRef, channel: Channel, provider_id: str, now: datetime) -> None:
        """sending -> sent with the provider's id, linked for status callbacks (one write)."""

    def mark_failed(self, ref: MessageRef, code: str | None, reason: str) -> None:
        """Failed for good, with the reason shown in the conversation."""

    def retry_later(self, ref: MessageRef, reason: str) -> None:
        """sending -> queued after a transient error, so a redelivery may try again."""

    def put_staff_phone(self, staff: StaffPhone) -> None:
        """Register a user's own phone (its texts are commands, never constituent messages)."""

    def find_staff_phone(self, phone: str) -> StaffPhone | None: ...

    def find_sender(self, kind: str, address: str) -> SenderLookup:
        """The identity and the staff phone for an address, in one request (consistent)."""

    def set_shift(self, phone: str, on: bool) -> StaffPhone | None: ...

    def on_shift(self) -> list[StaffPhone]:
        """Staff on shift, the longest without an offer first."""

    def staff_with_role(self, role: Role) -> list[StaffPhone]: ...

    def set_current_task(self, phone: str, task_id: str | None, now: datetime) -> None:
        """The task offered to a phone by text (None: nothing in hand)."""

    def mark_handled(self, dedupe_key: str, now: datetime) -> bool:
        """Record a provider delivery as handled; False when it already was (a redelivery)."""

    def mark_forwarded(self, phone: str, until: datetime) -> None:
        """The constituent's messages up to ``until`` were passed on to this phone."""

    # -- users ---------------------------------------------------------------------------
    def put_user(self, user: User, token_hash: str) -> None: ...

    def user_for_token(self, token_hash: str) -> User | None: ...

    def get_user(self, user_id: str) -> User | None: ...

    # -- channels: content that arrives after the message ---------------------
    def fill_message(self, ref: MessageRef, fill: MessageFill) -> Message | None:
        """Add late content to a stored message (a voicemail's recording, its transcript).

        Order-independent: a ``final_text`` always wins over a ``provisional_text``, whichever
        is applied first; media and meta are set. Returns the message as now stored, or None.
        """

    def set_task_preview(self, task_id: str, preview: str, replaces: tuple[str, ...]) -> bool:
        """Set a task's preview only while it still reads one of ``replaces`` (placeholders)."""

    # -- saved replies ------------------------------------------
    def put_saved_reply(self, reply: SavedReply) -> None:
        """Create or replace the saved reply with ``reply.id``."""

    def list_saved_replies(self) -> list[SavedReply]:
        """Every saved reply (organizers keep a short list), in no particular order."""

    def delete_saved_reply(self, reply_id: str) -> bool:
        """Remove a saved reply; False when there was none."""


# -- channels ----------------------------------------------------------------------
@dataclass(frozen=True)
class MessageFill:
    """Late content for a stored message; see :meth:`Store.fill_message`."""

    final_text: str | None = None
    provisional_text: str | None = None
    media_urls: tuple[str, ...] | None = None
    meta: dict[str, str] | None = None


# -- end channels --------------------------------------------------------------------------


class SendError(Exception):
    """A provider refused a message. ``permanent`` errors are never retried."""

    def __init__(
        self, reason: str, code: str | None = None, permanent: bool = False, recipient_opted_out: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.permanent = permanent
        # follow-up: the provider says the recipient opted out (Twilio 21610).
        self.recipient_opted_out = recipient_opted_out


class Sender(Protocol):
    """Sends one stored outbound message through a provider (or the local outbox).

    Returns the provider's id for the message; raises SendError.
    """

    def send(self, message: Message) -> str: ...


class OutboundQueue(Protocol):
    def enqueue(self, ref: MessageRef, delay_seconds: int = 0) -> None:
        """Hand a stored outbound message to the senders."""

    # -- follow-up -------------------------------------------------------------
    def retry_after(self, receipt_handle: str, delay_seconds: int) -> None:
        """Let a received queue message reappear after ``delay_seconds`` (retry backoff)."""


# -- people, stance, exports -----------------------------------------------------------------
class BlobStore(Protocol):
    """Where export files go (S3 in AWS, the embedded S3 locally)."""

    def write_stream(self, key: str, chunks: Iterator[bytes], content_type: str) -> int:
        """Store a file from chunks without holding it whole; returns its size in bytes."""

    def link(self, key: str, expires_seconds: int, filename: str) -> str:
        """A presigned download link."""


class ExportJobQueue(Protocol):
    def enqueue_export(self, job_id: str) -> None:
        """Hand an export job to the export worker."""
