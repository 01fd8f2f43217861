"""Use cases: volunteers claim, answer, release and close follow-up tasks.

Claims are one conditional write with a lease; the store enforces who may do what, so two
volunteers racing for one task get one winner and one 409.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from chalicelib.domain.channels import address_kind, reply_window, rules_of
from chalicelib.domain.followup import MAX_REPLY_LENGTH
from chalicelib.domain.hours import is_immediate_answer
from chalicelib.domain.ids import new_id
from chalicelib.domain.model import (
    Address,
    Direction,
    Identity,
    Message,
    MessageKind,
    MessageStatus,
    Outcome,
    Role,
    SubscriptionStatus,
    Task,
    TaskStatus,
    User,
)
from chalicelib.services.errors import ConflictError, ForbiddenError, NotFoundError, UnprocessableError
from chalicelib.services.outbound import QueueDeps, hold_until, queue_message
from chalicelib.services.ports.inbound import InFlightError
from chalicelib.services.ports.people import PeopleStore
from chalicelib.services.ports.tasks import TaskStateError, TaskStore
from chalicelib.services.ports.users import UserStore


class FollowupDeps(QueueDeps, Protocol):
    @property
    def tasks(self) -> TaskStore: ...
    @property
    def people(self) -> PeopleStore: ...
    @property
    def users(self) -> UserStore: ...


def _holder(user: User) -> str | None:
    """Organizers may release or close anyone's task; volunteers only their own."""
    return None if user.role.allows(Role.ORGANIZER) else user.id


def _refused(err: TaskStateError, action: str) -> Exception:
    task = err.task
    if task is None:
        return NotFoundError("no such task")
    if task.status is TaskStatus.DONE:
        return ConflictError(f"cannot {action}: the task is done")
    if task.status is TaskStatus.CLAIMED:
        return ConflictError(f"cannot {action}: another volunteer holds this task")
    return ConflictError(f"cannot {action}: claim the task first")


def claim(deps: FollowupDeps, task_id: str, user: User) -> Task:
    now = deps.clock()
    lease = now + timedelta(minutes=deps.settings.task_lease_minutes)
    try:
        return deps.tasks.claim_task(task_id, user.id, now, lease)
    except TaskStateError as err:
        raise _refused(err, "claim") from None


def assign(deps: FollowupDeps, task_id: str, organizer: User, user_id: str) -> Task:
    """An organizer hands a task to someone: released from its holder, claimed in their name."""
    if not organizer.role.allows(Role.ORGANIZER):
        raise ForbiddenError("only organizers assign tasks to someone else")
    target = deps.users.get_user(user_id)
    if target is None:
        raise NotFoundError("no such user")
    release(deps, task_id, organizer)
    return claim(deps, task_id, target)


def release(deps: FollowupDeps, task_id: str, user: User) -> Task:
    try:
        return deps.tasks.release_task(task_id, _holder(user))
    except TaskStateError as err:
        raise _refused(err, "release") from None


def complete(deps: FollowupDeps, task_id: str, user: User, outcome: Outcome = Outcome.ANSWERED) -> Task:
    try:
        return deps.tasks.complete_task(task_id, _holder(user), outcome, deps.clock())
    except TaskStateError as err:
        raise _refused(err, "close") from None
    except InFlightError:
        raise ConflictError("the task is changing right now; try again") from None


def held_task(deps: FollowupDeps, task_id: str, user: User) -> Task:
    task = deps.tasks.get_task(task_id)
    if task is None:
        raise NotFoundError("no such task")
    if task.status is not TaskStatus.CLAIMED or task.claimed_by != user.id:
        raise _refused(TaskStateError(task), "reply")
    return task


def reply(deps: FollowupDeps, task_id: str, user: User, text: str) -> Message:
    """The holder answers on the channel the person wrote from; queued, sent by the worker."""
    return answer(deps, held_task(deps, task_id, user), user, text)


def answer(deps: FollowupDeps, task: Task, user: User, text: str, via: str = "inbox") -> Message:
    text = text.strip()
    if not 1 <= len(text) <= MAX_REPLY_LENGTH:
        raise UnprocessableError(f"text must be 1 to {MAX_REPLY_LENGTH} characters")
    now = deps.clock()
    person = deps.people.get_person(task.person_id)
    if person is None:
        raise NotFoundError("the person behind this task was deleted")
    channel = rules_of(task.channel).answers_on
    identity = _reply_identity(deps.people, person.identities, address_kind(channel), channel.value)
    if identity is None:
        raise UnprocessableError(f"the person has no {channel.value} address to answer on")
    if identity.status_of(channel) is SubscriptionStatus.OPTED_OUT:
        raise UnprocessableError(f"the person opted out of {channel.value}: they cannot be messaged there")
    last = identity.last_inbound.get(channel.value)
    window = reply_window(channel, last, now)
    if not window.open:
        raise UnprocessableError(
            f"the {channel.value} reply window is closed: free-form replies are allowed only within "
            f"{rules_of(channel).tagged_window or rules_of(channel).reply_window} of the person's last message"
        )
    meta = {"via": via}
    # An answer within minutes of the person's message goes now; a later one waits for daytime.
    send_after = None
    if not is_immediate_answer(now, person.last_contact_at):
        send_after = hold_until(deps.settings, now, identity.address, person.zip)
    message = Message(
        id=new_id(),
        person_id=person.id,
        direction=Direction.OUTBOUND,
        channel=channel,
        text=text,
        status=MessageStatus.QUEUED,
        created_at=now,
        address=identity.address,
        task_id=task.id,
        kind=MessageKind.REPLY,
        sent_by=user.id,
        meta=meta,
        send_after=send_after,
    )
    return queue_message(deps, message)


def _reply_identity(people: PeopleStore, refs: list[Address], kind: str, channel: str) -> Identity | None:
    """The person's address of that kind they wrote from last (usually there is one). Read
    consistently, one by one: a STOP that arrived a moment ago must be seen."""
    found = [identity for ref in refs if ref.kind == kind and (identity := people.find_identity(ref)) is not None]
    if not found:
        return None
    return max(found, key=lambda i: i.last_inbound.get(channel) or i.created_at)
