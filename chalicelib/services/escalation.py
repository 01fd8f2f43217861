"""Use case: the minute job. Nothing stays open and unseen.

Every minute: claims whose lease ran out go back to open; tasks past their due time (SLA)
escalate, their priority raised, first with a text to the volunteers on shift (or, when
nobody is on shift, straight to the organizers) and, ``escalate_to_organizers_minutes``
later, to the organizers; then every volunteer on shift with nothing in hand is offered the
oldest open task, and those answering by text get what their constituent wrote since.
Escalation texts are one summary per person per run. Texts to staff go through the outbound
queue and wait for their sending hours. Escalation is a conditional write, so two
overlapping runs do not notify twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from chalicelib.domain.followup import StaffPhone, escalation_text, overdue_minutes
from chalicelib.domain.model import MessageKind, Role, Task, TaskStatus
from chalicelib.services.shifts import ShiftDeps as Deps
from chalicelib.services.shifts import forward_new, offer_next, task_in_hand, text_staff

# Priority is the escalation level: 0 in time, 1 volunteers told, 2 organizers told.
VOLUNTEERS_TOLD = 1
ORGANIZERS_TOLD = 2


@dataclass
class MinuteReport:
    reopened: list[str] = field(default_factory=list)
    escalated: dict[int, list[str]] = field(default_factory=dict)
    notified: list[str] = field(default_factory=list)  # user ids texted
    offered: list[str] = field(default_factory=list)  # task ids offered by text
    forwarded: int = 0  # constituents' messages passed on to the phones answering them


def run_minute(deps: Deps) -> MinuteReport:
    now = deps.clock()
    report = MinuteReport()
    report.reopened = [t.id for t in deps.tasks.expire_leases(now)]

    on_shift = deps.staff.on_shift()
    first = _escalate(deps, now, VOLUNTEERS_TOLD, due_before=now)
    organizers_after = now - timedelta(minutes=deps.settings.escalate_to_organizers_minutes)
    second = _escalate(deps, now, ORGANIZERS_TOLD, due_before=organizers_after)
    report.escalated = {VOLUNTEERS_TOLD: [t.id for t in first], ORGANIZERS_TOLD: [t.id for t in second]}

    volunteers = on_shift
    organizers = deps.staff.staff_with_role(Role.ORGANIZER) if second or (first and not volunteers) else []
    if first:
        # Nobody on shift: the organizers hear about it at once.
        report.notified += _notify(deps, volunteers or organizers, first, now)
    if second:
        report.notified += _notify(deps, organizers, second, now)

    # One look at the queue first: an empty queue costs one query per shard, not one per volunteer.
    work_waiting = bool(on_shift) and bool(deps.tasks.list_tasks(TaskStatus.OPEN, 1, None).tasks)
    for staff in on_shift:
        held = task_in_hand(deps, staff)
        if held is not None:
            report.forwarded += len(forward_new(deps, staff, held))
        elif work_waiting:
            offered = offer_next(deps, staff, hand_checked=True)
            if offered is not None:
                report.offered.append(offered.id)
    return report


def _escalate(deps: Deps, now: datetime, level: int, due_before: datetime) -> list[Task]:
    """Raise overdue open tasks to ``level``; only the ones this run moved are returned."""
    moved = []
    for task in deps.tasks.overdue_tasks(now, level, due_before):
        if deps.tasks.raise_priority(task.id, level):
            moved.append(task)
    return moved


def _notify(deps: Deps, staff: list[StaffPhone], tasks: list[Task], now: datetime) -> list[str]:
    text = escalation_text(deps.settings.campaign_name, len(tasks), max(overdue_minutes(t, now) for t in tasks))
    for person in staff:
        text_staff(deps, person, text, kind=MessageKind.NOTIFICATION)
    return [person.user_id for person in staff]
