"""Volunteers' own phones and the minute job, with fakes (memory store and queue, fake clock)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.bootstrap import Container
from chalicelib.domain.channels import SMS
from chalicelib.domain.ids import new_id
from chalicelib.domain.inbound import InboundMessage
from chalicelib.domain.keywords import classify
from chalicelib.domain.model import MessageStatus, Role, TaskStatus, User
from chalicelib.services import followup, shifts
from chalicelib.services.errors import ConflictError, UnprocessableError
from chalicelib.services.escalation import run_minute
from chalicelib.services.outbound import staff_conversation
from tests.fakes import InMemoryQueue
from tests.support.followup import CONSTITUENT, inbound, make_user

ANN_PHONE = "+16175550001"


def staff_sms(c: Container, msg: InboundMessage) -> str | None:
    """What the SMS webhook does first: one lookup; staff texts are commands."""
    lookup = shifts.lookup_sender(c, msg)
    return None if lookup.staff is None else shifts.staff_text(c, msg, lookup.staff)


def text_from(c: Container, phone: str, body: str) -> str | None:
    msg = InboundMessage(channel=SMS, provider_id="SM" + new_id(), address=phone, text=body,
                         received_at=c.clock(), keyword=classify(body), answers_inline=True)  # fmt: skip
    return staff_sms(c, msg)


def queued_texts(c: Container, user: User) -> list[str]:
    return [m.text for m in c.messages.list_messages(staff_conversation(user.id))]


@pytest.fixture
def ann(memory_container: Container) -> User:
    user, _ = make_user(memory_container.stores, memory_container.clock(), name="Ann", phone=ANN_PHONE)
    return user


def test_a_constituent_number_is_not_staff(memory_container: Container, ann: User) -> None:
    assert text_from(memory_container, CONSTITUENT, "ON") is None


def test_on_offers_the_oldest_task_masked_and_claimed_in_their_name(memory_container: Container, ann: User) -> None:
    c = memory_container
    task_id = inbound(c.stores, c.clock(), text="Is the library open Sunday?")
    answer = text_from(c, ANN_PHONE, "on")

    assert answer == "You're on shift. A message is on its way."
    task = c.tasks.get_task(task_id.task_id or "")
    assert task is not None and task.status is TaskStatus.CLAIMED and task.claimed_by == ann.id
    [offer] = queued_texts(c, ann)
    assert offer.startswith("New from +1********23 (SMS): Is the library open Sunday?")
    assert "PASS" in offer and CONSTITUENT not in offer


def test_the_offer_uses_the_first_name_when_known(memory_container: Container, ann: User) -> None:
    c = memory_container
    inbound(c.stores, c.clock(), text="Hello", first_name="Jane")
    text_from(c, ANN_PHONE, "ON")
    assert queued_texts(c, ann)[0].startswith("New from Jane (SMS): Hello")


def test_a_plain_text_is_relayed_to_the_constituent_on_their_channel(memory_container: Container, ann: User) -> None:
    c = memory_container
    task_id = inbound(c.stores, c.clock()).task_id or ""
    text_from(c, ANN_PHONE, "ON")

    answer = text_from(c, ANN_PHONE, "Thanks, Public Works has it on the list.")

    assert answer is not None and answer.startswith("Sent.")
    task = c.tasks.get_task(task_id)
    assert task is not None
    relayed = [m for m in c.messages.list_messages(task.person_id) if m.kind == "reply"]
    assert [(m.text, m.address, m.sent_by, m.meta["via"]) for m in relayed] == [
        ("Thanks, Public Works has it on the list.", CONSTITUENT, ann.id, "phone")
    ]
    queue: InMemoryQueue = c.queue  # type: ignore[assignment]
    assert queue.items[-1][0].message_id == relayed[0].id


def test_stance_done_and_pass(memory_container: Container, ann: User) -> None:
    c = memory_container
    first = inbound(c.stores, c.clock()).task_id or ""
    c.clock.advance(minutes=1)  # type: ignore[attr-defined]
    second = inbound(c.stores, c.clock(), sender="+16175550124").task_id or ""
    text_from(c, ANN_PHONE, "ON")

    assert text_from(c, ANN_PHONE, "2") == "Recorded: lean support."
    task = c.tasks.get_task(first)
    assert task is not None
    stance = c.people.get_current_stance(task.person_id)
    assert stance is not None and stance.support_level == 2
    assert stance.recorded_by == ann.id and stance.source == "volunteer" and stance.channel == "sms"

    assert text_from(c, ANN_PHONE, "PASS") == "Passed. Here comes the next one."
    assert c.tasks.get_task(first).status is TaskStatus.OPEN  # type: ignore[union-attr]
    assert c.tasks.get_task(second).claimed_by == ann.id  # type: ignore[union-attr]

    assert text_from(c, ANN_PHONE, "done") == "Closed. Here comes the next one."
    assert c.tasks.get_task(second).status is TaskStatus.DONE  # type: ignore[union-attr]
    assert c.tasks.get_task(first).claimed_by == ann.id  # the passed one comes back round
    assert len(queued_texts(c, ann)) == 3


def test_off_hands_the_task_back(memory_container: Container, ann: User) -> None:
    c = memory_container
    task_id = inbound(c.stores, c.clock()).task_id or ""
    text_from(c, ANN_PHONE, "ON")
    assert text_from(c, ANN_PHONE, "OFF") == "You're off shift. Thank you!"
    assert c.tasks.get_task(task_id).status is TaskStatus.OPEN  # type: ignore[union-attr]
    assert text_from(c, ANN_PHONE, "hello?") == "No message in hand. Text ON to get the next one."


def test_a_redelivered_volunteer_text_is_relayed_once(memory_container: Container, ann: User) -> None:
    c = memory_container
    task_id = inbound(c.stores, c.clock()).task_id or ""
    text_from(c, ANN_PHONE, "ON")
    msg = InboundMessage(channel=SMS, provider_id="SMdup", address=ANN_PHONE, text="On it!",
                         received_at=c.clock(), answers_inline=True)  # fmt: skip
    staff_sms(c, msg)
    assert staff_sms(c, msg) == ""
    task = c.tasks.get_task(task_id)
    assert task is not None
    assert len([m for m in c.messages.list_messages(task.person_id) if m.kind == "reply"]) == 1


def test_shift_needs_a_phone_and_a_phone_belongs_to_one_user(memory_container: Container, ann: User) -> None:
    c = memory_container
    nophone, _ = make_user(c.stores, c.clock(), name="Nobody")
    with pytest.raises(UnprocessableError):
        shifts.set_shift(c, nophone, True)
    with pytest.raises(ConflictError):
        make_user(c.stores, c.clock(), name="Copycat", phone=ANN_PHONE)
    assert shifts.set_shift(c, ann, True).on_shift


def test_no_offer_outside_the_volunteers_sending_hours(memory_container: Container, ann: User) -> None:
    c = memory_container
    c.clock.advance(hours=8)  # type: ignore[attr-defined]  # 23:00 UTC = 18:00 Boston: still fine
    inbound(c.stores, c.clock())
    c.clock.advance(hours=4)  # type: ignore[attr-defined]  # 22:00 Boston
    assert text_from(c, ANN_PHONE, "ON") == "You're on shift. Messages come by text from 09:00 your time."
    c.clock.advance(hours=11)  # type: ignore[attr-defined]  # 09:00 Boston
    report = run_minute(c)
    assert len(report.offered) == 1


def test_expired_leases_are_reopened_and_offered_again(memory_container: Container, ann: User) -> None:
    c = memory_container
    task_id = inbound(c.stores, c.clock()).task_id or ""
    bob, _ = make_user(c.stores, c.clock(), name="Bob")
    followup.claim(c, task_id, bob)
    c.clock.advance(minutes=16)  # type: ignore[attr-defined]

    report = run_minute(c)

    assert report.reopened == [task_id]
    assert c.tasks.get_task(task_id).status is TaskStatus.OPEN  # type: ignore[union-attr]


def test_overdue_tasks_escalate_to_volunteers_on_shift_then_organizers(
    memory_container: Container, ann: User, clock: Any
) -> None:
    c = memory_container
    organizer, _ = make_user(c.stores, clock(), role=Role.ORGANIZER, name="Olga", phone="+16175550009")
    busy = inbound(c.stores, clock()).task_id or ""
    shifts.set_shift(c, ann, True)  # Ann takes the one waiting task
    waiting = inbound(c.stores, clock(), sender="+16175550124").task_id or ""
    clock.advance(minutes=61)
    followup.claim(c, busy, ann)  # Ann keeps hers alive

    first = run_minute(c)

    assert first.escalated[1] == [waiting] and first.escalated[2] == []
    assert first.notified == [ann.id]
    assert c.tasks.get_task(waiting).priority == 1  # type: ignore[union-attr]
    assert "1 message is past due" in queued_texts(c, ann)[-1]
    assert run_minute(c).notified == []  # told once

    clock.advance(minutes=30)
    followup.claim(c, busy, ann)
    later = run_minute(c)
    assert later.escalated[2] == [waiting] and later.notified == [organizer.id]
    [notice] = c.messages.list_messages(staff_conversation(organizer.id))
    assert notice.kind == "notification" and notice.status is MessageStatus.QUEUED
    assert notice.address == "+16175550009"


def test_with_nobody_on_shift_organizers_hear_at_once(memory_container: Container, clock: Any) -> None:
    c = memory_container
    organizer, _ = make_user(c.stores, clock(), role=Role.ORGANIZER, name="Olga", phone="+16175550009")
    inbound(c.stores, clock())
    clock.advance(minutes=61)
    assert run_minute(c).notified == [organizer.id]
    assert timedelta(minutes=c.settings.escalate_to_organizers_minutes) == timedelta(minutes=30)


def test_the_minute_job_passes_on_what_the_constituent_wrote_since(memory_container: Container, ann: User) -> None:
    c = memory_container
    inbound(c.stores, c.clock(), text="Is the library open Sunday?", first_name="Jane")
    text_from(c, ANN_PHONE, "ON")
    c.clock.advance(minutes=2)  # type: ignore[attr-defined]
    inbound(c.stores, c.clock(), text="Also, which branch?")

    report = run_minute(c)

    assert report.forwarded == 1
    assert queued_texts(c, ann)[-1] == "Jane: Also, which branch?"
    assert run_minute(c).forwarded == 0  # passed on once


def test_an_answer_to_a_task_lost_meanwhile_is_not_sent(memory_container: Container, ann: User) -> None:
    c = memory_container
    task_id = inbound(c.stores, c.clock()).task_id or ""
    text_from(c, ANN_PHONE, "ON")
    c.clock.advance(minutes=16)  # type: ignore[attr-defined]
    bob, _ = make_user(c.stores, c.clock(), name="Bob")
    followup.claim(c, task_id, bob)  # Ann's lease ran out and Bob took it

    assert text_from(c, ANN_PHONE, "Here's the answer") == "No message in hand. Text ON to get the next one."
    task = c.tasks.get_task(task_id)
    assert task is not None and task.claimed_by == bob.id
    assert [m for m in c.messages.list_messages(task.person_id) if m.kind == "reply"] == []
