"""Use cases: volunteers' own phones. Shifts, tasks offered by text, answers relayed.

A text from a number registered to a user is a command from staff, never a constituent's
message: the Twilio SMS webhook asks :func:`staff_text` first. On shift, a volunteer is
offered the oldest open task by text (claimed in their name with the usual lease); a plain
text answers it (relayed to the constituent on the constituent's channel), ``1``-``5``
records the person's support level, ``DONE`` closes it, ``PASS`` hands it back, ``ON`` and
``OFF`` start and end the shift. Constituents' numbers are shown masked.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Collection
from datetime import timedelta
from typing import Protocol

from chalicelib.domain.channels import SMS, address_kind
from chalicelib.domain.followup import (
    Command,
    PhoneCommand,
    StaffPhone,
    display_name,
    offer_text,
    parse_command,
)
from chalicelib.domain.ids import new_id
from chalicelib.domain.inbound import InboundMessage
from chalicelib.domain.keywords import Keyword
from chalicelib.domain.model import (
    Address,
    Direction,
    Message,
    MessageKind,
    MessageStatus,
    Outcome,
    Task,
    TaskStatus,
    User,
)
from chalicelib.domain.phones import mask
from chalicelib.domain.stance import SUPPORT_TITLES, Stance, StanceSource
from chalicelib.services import followup, people
from chalicelib.services.errors import ConflictError, HearbackError, UnprocessableError
from chalicelib.services.followup import FollowupDeps
from chalicelib.services.outbound import hold_until, queue_message, staff_conversation
from chalicelib.services.people import StanceInput
from chalicelib.services.ports.inbound import InboundStore, SenderLookup
from chalicelib.services.ports.staff import StaffStore
from chalicelib.services.ports.tasks import TaskStateError

log = logging.getLogger(__name__)

# How many of the oldest open tasks an offer looks at before giving up for this round.
OFFER_CANDIDATES = 5
# At most this many of a constituent's new messages are passed on in one go.
MAX_FORWARDED = 3


class ShiftDeps(FollowupDeps, Protocol):
    @property
    def staff(self) -> StaffStore: ...
    @property
    def inbound(self) -> InboundStore: ...


HELP = "Hearback: ON to start your shift, OFF to stop, PASS to skip a message, DONE to close it, 1-5 for support."


def register_phone(store: StaffStore, user: User) -> None:
    """Texts from ``user.phone`` are theirs from now on (refused if another user has it)."""
    if not user.phone:
        return
    existing = store.find_staff_phone(user.phone)
    if existing is not None and existing.user_id != user.id:
        raise ConflictError("that phone number belongs to another user")
    store.put_staff_phone(StaffPhone(phone=user.phone, user_id=user.id, name=user.name, role=user.role))


def set_shift(deps: ShiftDeps, user: User, on: bool) -> StaffPhone:
    if not user.phone:
        raise UnprocessableError("a shift by text needs a phone number on your account")
    staff = deps.staff.set_shift(user.phone, on)
    if staff is None:
        register_phone(deps.staff, user)
        staff = deps.staff.set_shift(user.phone, on)
    assert staff is not None
    if on:
        offer_next(deps, staff)
    else:
        _hand_back(deps, staff)
    return staff


def lookup_sender(deps: ShiftDeps, msg: InboundMessage) -> SenderLookup:
    """Who wrote: one read for the constituent's identity and the staff phone together."""
    address = Address(address_kind(msg.channel), msg.address)
    if msg.channel != SMS:
        return SenderLookup(deps.inbound.find_identity(address), None)
    return deps.inbound.find_sender(address)


def staff_text(deps: ShiftDeps, msg: InboundMessage, staff: StaffPhone) -> str:
    """Handle a text from a staff phone; returns what to answer inline (empty: nothing)."""
    if not deps.inbound.mark_handled(msg.dedupe_key, msg.received_at):
        return ""  # Twilio redelivered it: the first delivery did the work
    if msg.keyword is Keyword.OPT_OUT:
        # Carrier STOP: end the shift and never text them again; Twilio answers STOP itself.
        deps.staff.set_shift(staff.phone, False)
        _hand_back(deps, staff)
        return ""
    if msg.keyword is Keyword.HELP:
        return "" if msg.keyword_answered_by_provider else HELP
    # Opt-in words are ordinary answers here: a volunteer's "Yes" is relayed like any other.
    try:
        return _command(deps, staff, parse_command(msg.text))
    except HearbackError as err:
        return f"Not sent: {err}"


def _command(deps: ShiftDeps, staff: StaffPhone, cmd: PhoneCommand) -> str:
    if cmd.command is Command.ON:
        staff = deps.staff.set_shift(staff.phone, True) or staff
        offered = offer_next(deps, staff)
        if offered:
            return "You're on shift. A message is on its way."
        opens = hold_until(deps.settings, deps.clock(), staff.phone, None)
        if opens is not None:
            return f"You're on shift. Messages come by text from {deps.settings.sending_hours_start} your time."
        return "You're on shift. No messages waiting right now."
    if cmd.command is Command.OFF:
        deps.staff.set_shift(staff.phone, False)
        _hand_back(deps, staff)
        return "You're off shift. Thank you!"
    task = _task_in_hand(deps, staff)
    if task is None:
        return "No message in hand. Text ON to get the next one."
    user = deps.users.get_user(staff.user_id)
    if user is None:
        return ""
    if cmd.command is Command.PASS:
        followup.release(deps, task.id, user)
        deps.staff.set_current_task(staff.phone, None, deps.clock())
        staff.current_task_id = None
        offered = offer_next(deps, staff, exclude={task.id})
        return "Passed. " + ("Here comes the next one." if offered else "No other messages waiting.")
    if cmd.command is Command.DONE:
        followup.complete(deps, task.id, user, Outcome.ANSWERED)
        deps.staff.set_current_task(staff.phone, None, deps.clock())
        staff.current_task_id = None
        offered = offer_next(deps, staff)
        return "Closed. " + ("Here comes the next one." if offered else "No other messages waiting.")
    if cmd.command is Command.STANCE:
        assert cmd.support_level is not None
        record_support(deps, task, user, cmd.support_level)
        return f"Recorded: {SUPPORT_TITLES[cmd.support_level].lower()}."
    # A plain text: the answer, relayed on the constituent's channel. Answering renews the lease.
    now = deps.clock()
    try:
        deps.tasks.claim_task(task.id, user.id, now, now + timedelta(minutes=deps.settings.task_lease_minutes))
    except TaskStateError:
        deps.staff.set_current_task(staff.phone, None, now)
        return "Not sent: that message went back to the queue. Text ON for the next one."
    followup.answer(deps, task, user, cmd.text, via="phone")
    return "Sent. Text DONE to close it, or reply again."


def forward_new(deps: ShiftDeps, staff: StaffPhone, task: Task) -> list[Message]:
    """Pass on what the constituent wrote since the offer (or the last pass) to the phone
    answering them. Run by the minute job, so the inbound hot path pays nothing for it."""
    since = staff.forwarded_at
    if since is not None and task.last_inbound_at <= since:
        return []
    person = deps.people.get_person(task.person_id)
    news = [
        m
        for m in deps.messages.list_messages(task.person_id)
        if m.direction is Direction.INBOUND
        and m.kind is MessageKind.MESSAGE
        and (since is None or m.created_at > since)
    ]
    sent = []
    for m in news[-MAX_FORWARDED:]:
        name = display_name(person, mask(m.address or ""))
        sent.append(text_staff(deps, staff, f"{name}: {m.text}", kind=MessageKind.RELAY, task_id=task.id))
    deps.staff.mark_forwarded(staff.phone, task.last_inbound_at)
    return sent


def task_in_hand(deps: ShiftDeps, staff: StaffPhone) -> Task | None:
    return _task_in_hand(deps, staff)


def _task_in_hand(deps: ShiftDeps, staff: StaffPhone) -> Task | None:
    """The task offered to this phone, if they still hold it (a lease may have run out)."""
    if not staff.current_task_id:
        return None
    task = deps.tasks.get_task(staff.current_task_id)
    if task is None or task.status is not TaskStatus.CLAIMED or task.claimed_by != staff.user_id:
        deps.staff.set_current_task(staff.phone, None, deps.clock())
        staff.current_task_id = None
        return None
    return task


def _hand_back(deps: ShiftDeps, staff: StaffPhone) -> None:
    """Off shift: the task in hand goes back to the queue for someone else."""
    if not staff.current_task_id:
        return
    with contextlib.suppress(TaskStateError):  # already done, or already someone else's
        deps.tasks.release_task(staff.current_task_id, staff.user_id)
    deps.staff.set_current_task(staff.phone, None, deps.clock())
    staff.current_task_id = None


def offer_next(
    deps: ShiftDeps, staff: StaffPhone, exclude: Collection[str] = (), hand_checked: bool = False
) -> Task | None:
    """Claim the oldest open task in the volunteer's name and text it to them.

    Nothing is offered outside the volunteer's own sending hours: the scheduler offers
    again every minute, so the offer goes out when their day starts.
    """
    now = deps.clock()
    if not staff.on_shift or (not hand_checked and _task_in_hand(deps, staff) is not None):
        return None
    if hold_until(deps.settings, now, staff.phone, None) is not None:
        return None
    lease = now + timedelta(minutes=deps.settings.task_lease_minutes)
    for task in deps.tasks.list_tasks(TaskStatus.OPEN, OFFER_CANDIDATES, None).tasks:
        if task.id in exclude:
            continue
        try:
            claimed = deps.tasks.claim_task(task.id, staff.user_id, now, lease)
        except TaskStateError:
            continue  # someone was faster
        deps.staff.set_current_task(staff.phone, claimed.id, now)
        staff.current_task_id = claimed.id
        text_staff(deps, staff, _offer(deps, claimed), kind=MessageKind.RELAY, task_id=claimed.id)
        return claimed
    return None


def _offer(deps: ShiftDeps, task: Task) -> str:
    person = deps.people.get_person(task.person_id)
    address = next((ref.value for ref in (person.identities if person else [])), "")
    return offer_text(display_name(person, mask(address) if address else "someone"), task.channel.value, task.preview)


def text_staff(deps: ShiftDeps, staff: StaffPhone, text: str, kind: MessageKind, task_id: str | None = None) -> Message:
    """A text to a volunteer's or organizer's own phone: relays and notifications wait for
    their sending hours like anything else that is not an immediate answer."""
    now = deps.clock()
    message = Message(
        id=new_id(),
        person_id=staff_conversation(staff.user_id),
        direction=Direction.OUTBOUND,
        channel=SMS,
        text=text,
        status=MessageStatus.QUEUED,
        created_at=now,
        address=staff.phone,
        task_id=task_id,
        kind=kind,
        meta={"to_user": staff.user_id},
        send_after=hold_until(deps.settings, now, staff.phone, None),
    )
    return queue_message(deps, message)


def record_support(deps: ShiftDeps, task: Task, user: User, level: int) -> Stance:
    """A support level texted by a volunteer: a stance data point like one recorded in the inbox."""
    data = StanceInput(support_level=level, source=StanceSource.VOLUNTEER, channel=task.channel)
    return people.record_stance(deps, deps.settings.issue_slugs, task.person_id, data, by=user)
