"""The ports the use cases talk through: one small port per area of storage, and the queues,
senders and files. Adapters implement them (``chalicelib/adapters/dynamodb/`` on one DynamoDB
table); the in-memory fakes in ``tests/fakes/`` implement them for tests, and
``tests/contract/`` holds both to the same promises.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from chalicelib.services.ports.exports import ExportJobStore, StatsStore
from chalicelib.services.ports.inbound import InboundStore
from chalicelib.services.ports.messages import MessageStore
from chalicelib.services.ports.outbound import SendingStore
from chalicelib.services.ports.people import PeopleStore
from chalicelib.services.ports.saved_replies import SavedReplyStore
from chalicelib.services.ports.staff import StaffStore
from chalicelib.services.ports.tasks import TaskStore
from chalicelib.services.ports.users import UserStore

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Stores:
    """Every storage port, as one store implementation provides them (all on one table)."""

    inbound: InboundStore
    people: PeopleStore
    messages: MessageStore
    tasks: TaskStore
    sending: SendingStore
    staff: StaffStore
    users: UserStore
    exports: ExportJobStore
    stats: StatsStore
    saved_replies: SavedReplyStore
