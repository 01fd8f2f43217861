"""Follow-up work: task outcomes, volunteers' phones and the commands they text.

Pure types and rules; no I/O.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.model import Model, Person, Role, Task, TaskStatus
from chalicelib.domain.stance import SUPPORT_LABELS

MAX_REPLY_LENGTH = 1600  # Twilio's limit for one outbound message body


def lease_expired(task: Task, now: datetime) -> bool:
    """A claim whose lease ran out: the task may go back to the queue, or to someone else."""
    return task.status is TaskStatus.CLAIMED and task.lease_until is not None and task.lease_until < now


def claimable(task: Task, user_id: str, now: datetime) -> bool:
    """Open, already held by ``user_id`` (claiming again renews the lease), or its lease expired."""
    if task.status is TaskStatus.OPEN:
        return True
    return task.status is TaskStatus.CLAIMED and (task.claimed_by == user_id or lease_expired(task, now))


def may_close(task: Task, holder: str | None) -> bool:
    """Who may release or complete a claimed task: its holder, or anyone when ``holder`` is None
    (an organizer)."""
    return holder is None or (task.status is TaskStatus.CLAIMED and task.claimed_by == holder)


class StaffPhone(Model):
    """A volunteer's or organizer's own phone: how texts from it are recognised, and their shift.

    ``current_task_id`` is the task offered to them by text (claimed in their name), the one
    their next plain text answers.
    """

    phone: str  # E.164
    user_id: str
    name: str
    role: Role
    on_shift: bool = False
    current_task_id: str | None = None
    last_offered_at: datetime | None = None
    # The constituent's messages up to this moment were passed on to this phone.
    forwarded_at: datetime | None = None


class Command(enum.StrEnum):
    ON = "on"
    OFF = "off"
    PASS = "pass"
    DONE = "done"
    STANCE = "stance"
    REPLY = "reply"  # anything else: the answer to relay


_WORDS = {
    "ON": Command.ON,
    "OFF": Command.OFF,
    "PASS": Command.PASS,
    "SKIP": Command.PASS,
    "DONE": Command.DONE,
}


@dataclass(frozen=True)
class PhoneCommand:
    command: Command
    text: str = ""
    support_level: int | None = None


def parse_command(body: str) -> PhoneCommand:
    """Whole-body, case-insensitive words are commands; any other text is an answer."""
    word = body.strip().upper()
    if word in _WORDS:
        return PhoneCommand(_WORDS[word])
    if len(word) == 1 and word.isdigit() and int(word) in SUPPORT_LABELS:  # 1 strong support ... 5 strong oppose
        return PhoneCommand(Command.STANCE, support_level=int(word))
    return PhoneCommand(Command.REPLY, text=body.strip())


def display_name(person: Person | None, masked_address: str) -> str:
    """How a volunteer's phone names a constituent: first name, else the masked number."""
    if person is not None and person.first_name:
        return person.first_name
    return masked_address


def offer_text(name: str, channel: str, preview: str) -> str:
    return f"New from {name} ({channel.upper()}): {preview} Reply to answer, PASS to skip, DONE when finished."


def escalation_text(campaign: str, count: int, oldest_minutes: int) -> str:
    noun = "message is" if count == 1 else "messages are"
    return (
        f"{campaign}: {count} {noun} past due (oldest waiting {oldest_minutes} min). "
        "Open the inbox, or text ON to get them by text."
    )


def overdue_minutes(task: Task, now: datetime) -> int:
    return max(0, int((now - task.created_at).total_seconds() // 60))
