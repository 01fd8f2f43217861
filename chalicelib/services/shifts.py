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

from chalicelib.domain.followup import (
    Command,
    Outcome,
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
    Channel,
    Direction,
    Message,
    MessageStatus,
    Task,
    TaskStatus,
    User,
    identity_kind,
)
from chalicelib.domain.phones import mask
from chalicelib.domain.stance import SUPPORT_TITLES, Stance, StanceSource
from chalicelib.services import followup, people
from chalicelib.services.errors import ConflictError, HearbackError, UnprocessableError
from chalicelib.services.outbound import Deps, hold_until, queue_message, staff_conversation
from chalicelib.services.people import StanceInput
from chalicelib.services.ports import SenderLookup, Store, TaskStateError

log = logging.getLogger(__name__)

# How many of the oldest open tasks an offer looks at before giving up for this round.
OFFER_CANDIDATES = 5
# At most this many of a constituent's new messages are passed on in one go.
MAX_FORWARDED = 3

HELP = "Hearback: ON to start your shift, OFF to stop, PASS to skip a message, DONE to close it, 1-5 for support."


def register_phone(store: Store, user: User) -> None:
    """Texts from ``user.phone`` are theirs from now on (refused if another user has it)."""
    if not user.phone:
        return
    existing = store.find_staff_phone(user.phone)
    if existing is not None and existing.user_id != user.id:
        raise ConflictError("that phone number belongs to another user")
    store.put_staff_phone(StaffPhone(phone=user.phone, user_id=user.id, name=user.name, role=user.role))


def set_shift(deps: Deps, user: User, on: bool) -> StaffPhone:
    if not user.phone:
        raise UnprocessableError("a shift by text needs a phone number on your account")
    staff = deps.store.set_shift(user.phone, on)
    if staff is None:
        register_phone(deps.store, user)
        staff = deps.store.set_shift(user.phone, on)
    assert staff is not None
    if on:
        offer_next(deps, staff)
    else:
        _hand_back(deps, staff)
    return staff


def lookup_sender(deps: Deps, msg: InboundMessage) -> SenderLookup:
    """Who wrote: one read for the constituent's identity and the staff phone together."""
    kind = identity_kind(msg.channel)
    if msg.channel is not Channel.SMS:
        return SenderLookup(deps.store.find_identity(kind, msg.address), None)
    return deps.store.find_sender(kind, msg.address)


def staff_text(deps: Deps, msg: InboundMessage, staff: StaffPhone) -> str:
    """Handle a text from a staff phone; returns what to answer inline (empty: nothing)."""
    if not deps.store.mark_handled(msg.dedupe_key, msg.received_at):
        return ""  # Twilio redelivered it: the first delivery did the work
    if msg.keyword is Keyword.OPT_OUT:
        # Carrier STOP: end the shift and never text them again; Twilio answers STOP itself.
        deps.store.set_shift(staff.phone, False)
        _hand_back(deps, staff)
        return ""
    if msg.keyword is Keyword.HELP:
        return "" if msg.keyword_answered_by_provider else HELP
    # Opt-in words are ordinary answers here: a volunteer's "Yes" is relayed like any other.
    try:
        return _command(deps, staff, parse_command(msg.text))
    except HearbackError as err:
        return f"Not sent: {err}"


def _command(deps: Deps, staff: StaffPhone, cmd: PhoneCommand) -> str:
    store = deps.store
    if cmd.command is Command.ON:
        staff = store.set_shift(staff.phone, True) or staff
        offered = offer_next(deps, staff)
        if offered:
            return "You're on shift. A message is on its way."
        opens = hold_until(deps.settings, deps.clock(), staff.phone, None)
        if opens is not None:
            return f"You're on shift. Messages come by text from {deps.settings.sending_hours_start} your time."
        return "You're on shift. No messages waiting right now."
    if cmd.command is Command.OFF:
        store.set_shift(staff.phone, False)
        _hand_back(deps, staff)
        return "You're off shift. Thank you!"
    task = _task_in_hand(deps, staff)
    if task is None:
        return "No message in hand. Text ON to get the next one."
    user = store.get_user(staff.user_id)
    if user is None:
        return ""
    if cmd.command is Command.PASS:
        followup.release(deps, task.id, user)
        store.set_current_task(staff.phone, None, deps.clock())
        staff.current_task_id = None
        offered = offer_next(deps, staff, exclude={task.id})
        return "Passed. " + ("Here comes the next one." if offered else "No other messages waiting.")
    if cmd.command is Command.DONE:
        followup.complete(deps, task.id, user, Outcome.ANSWERED)
        store.set_current_task(staff.phone, None, deps.clock())
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
        store.claim_task(task.id, user.id, now, now + timedelta(minutes=deps.settings.task_lease_minutes))
    except TaskStateError:
        store.set_current_task(staff.phone, None, now)
        return "Not sent: that message went back to the queue. Text ON for the next one."
    followup.answer(deps, task, user, cmd.text, via="phone")
    return "Sent. Text DONE to close it, or reply again."


def forward_new(deps: Deps, staff: StaffPhone, task: Task) -> list[Message]:
    """Pass on what the constituent wrote since the offer (or the last pass) to the phone
    answering them. Run by the minute job, so the inbound hot path pays nothing for it."""
    since = staff.forwarded_at
    if since is not None and task.last_inbound_at <= since:
        return []
    person = deps.store.get_person(task.person_id)
    news = [
        m
        for m in deps.store.list_messages(task.person_id)
        if m.direction is Direction.INBOUND and m.kind == "message" and (since is None or m.created_at > since)
    ]
    sent = []
    for m in news[-MAX_FORWARDED:]:
        name = display_name(person, mask(m.address or ""))
        sent.append(text_staff(deps, staff, f"{name}: {m.text}", kind="relay", task_id=task.id))
    deps.store.mark_forwarded(staff.phone, task.last_inbound_at)
    return sent


def task_in_hand(deps: Deps, staff: StaffPhone) -> Task | None:
    return _task_in_hand(deps, staff)


def _task_in_hand(deps: Deps, staff: StaffPhone) -> Task | None:
    """The task offered to this phone, if they still hold it (a lease may have run out)."""
    if not staff.current_task_id:
        return None
    task = deps.store.get_task(staff.current_task_id)
    if task is None or task.status is not TaskStatus.CLAIMED or task.claimed_by != staff.user_id:
        deps.store.set_current_task(staff.phone, None, deps.clock())
        staff.current_task_id = None
        return None
    return task


def _hand_back(deps: Deps, staff: StaffPhone) -> None:
    """Off shift: the task in hand goes back to the queue for someone else."""
    if not staff.current_task_id:
        return
    with contextlib.suppress(TaskStateError):  # already done, or already someone else's
        deps.store.release_task(staff.current_task_id, staff.user_id)
    deps.store.set_current_task(staff.phone, None, deps.clock())
    staff.current_task_id = None


def offer_next(deps: Deps, staff: StaffPhone, exclude: Collection[str] = (), hand_checked: bool = False) -> Task | None:
    """Claim the oldest open task in the volunteer's name and text it to them.

    Nothing is offered outside the volunteer's own sending hours: the scheduler offers
    again every minute, so the offer goes out when their day starts.
    """
    store, now = deps.store, deps.clock()
    if not staff.on_shift or (not hand_checked and _task_in_hand(deps, staff) is not None):
        return None
    if hold_until(deps.settings, now, staff.phone, None) is not None:
        return None
    lease = now + timedelta(minutes=deps.settings.task_lease_minutes)
    for task in store.list_tasks(TaskStatus.OPEN, OFFER_CANDIDATES, None).tasks:
        if task.id in exclude:
            continue
        try:
            claimed = store.claim_task(task.id, staff.user_id, now, lease)
        except TaskStateError:
            continue  # someone was faster
        store.set_current_task(staff.phone, claimed.id, now)
        staff.current_task_id = claimed.id
        text_staff(deps, staff, _offer(deps, claimed), kind="relay", task_id=claimed.id)
        return claimed
    return None


def _offer(deps: Deps, task: Task) -> str:
    person = deps.store.get_person(task.person_id)
    address = next((ref.partition(":")[2] for ref in (person.identities if person else [])), "")
    return offer_text(display_name(person, mask(address) if address else "someone"), task.channel.value, task.preview)


def text_staff(deps: Deps, staff: StaffPhone, text: str, kind: str, task_id: str | None = None) -> Message:
    """A text to a volunteer's or organizer's own phone: relays and notifications wait for
    their sending hours like anything else that is not an immediate answer."""
    now = deps.clock()
    message = Message(
        id=new_id(),
        person_id=staff_conversation(staff.user_id),
        direction=Direction.OUTBOUND,
        channel=Channel.SMS,
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


def record_support(deps: Deps, task: Task, user: User, level: int) -> Stance:
    """A support level texted by a volunteer: a stance data point like one recorded in the inbox."""
    data = StanceInput(support_level=level, source=StanceSource.VOLUNTEER, channel=task.channel)
    return people.record_stance(deps.store, deps.clock, deps.settings.issue_slugs, task.person_id, data, by=user)
