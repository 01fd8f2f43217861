"""One suite, two stores: the in-memory fake must keep the DynamoDB adapter's promises."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.inbound import AnswerTexts, InboundMessage, plan_inbound
from chalicelib.domain.keywords import Keyword
from chalicelib.domain.model import (
    Address,
    Channel,
    Direction,
    Message,
    MessageStatus,
    Role,
    SubscriptionStatus,
    TaskStatus,
    User,
)
from chalicelib.services.ports import Stores
from chalicelib.services.ports.inbound import DuplicateDeliveryError, StalePlanError
from chalicelib.services.ports.messages import MessageRef
from tests.fakes import in_memory_stores

T0 = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
TEXTS = AnswerTexts(ack="Thanks", first_contact_notice="Reply STOP to opt out.", help="help")


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[Stores]:
    if request.param == "memory":
        yield in_memory_stores()
    else:
        container = request.getfixturevalue("dynamo_container")
        yield container.store


def msg(
    pid: str, text: str = "hello", at: datetime = T0, address: str = "+16175550199", **kw: object
) -> InboundMessage:
    return InboundMessage(Channel.SMS, pid, address, text, at, answers_inline=True, **kw)  # type: ignore[arg-type]


def record(store: Stores, m: InboundMessage) -> str | None:
    """Plan against what the store knows and write; returns the task id."""
    identity = store.people.find_identity(Address("phone", m.address))
    plan = plan_inbound(m, identity, identity.open_task_id if identity else None, TEXTS, 60)
    store.inbound.record_inbound(plan)
    return plan.answer.task_id


def test_new_person_is_written_with_identity_message_ack_and_task(store: Stores) -> None:
    task_id = record(store, msg("SM1"))

    identity = store.people.find_identity(Address("phone", "+16175550199"))
    assert identity is not None and identity.open_task_id == task_id
    assert identity.status_of(Channel.SMS) is SubscriptionStatus.SUBSCRIBED
    person = store.people.get_person(identity.person_id)
    assert person is not None and person.open_task_id == task_id and person.first_contact_at == T0
    messages = store.messages.list_messages(identity.person_id)
    assert [m.direction for m in messages] == [Direction.INBOUND, Direction.OUTBOUND]
    task = store.tasks.get_task(task_id or "")
    assert task is not None and task.status is TaskStatus.OPEN and task.preview == "hello"


def test_second_delivery_raises_duplicate_with_the_first_answer(store: Stores) -> None:
    m = msg("SM1")
    identity = store.people.find_identity(Address("phone", m.address))
    first = plan_inbound(m, identity, None, TEXTS, 60)
    store.inbound.record_inbound(first)
    again = plan_inbound(m, store.people.find_identity(Address("phone", m.address)), None, TEXTS, 60)

    with pytest.raises(DuplicateDeliveryError) as caught:
        store.inbound.record_inbound(again)

    assert caught.value.answer == first.answer
    person_id = first.person_id
    assert len(store.messages.list_messages(person_id)) == 2


def test_join_updates_the_task_and_writes_no_second_ack(store: Stores) -> None:
    task_id = record(store, msg("SM1"))
    joined = record(store, msg("SM2", "more detail", T0 + timedelta(minutes=3)))

    assert joined == task_id
    task = store.tasks.get_task(task_id or "")
    assert task is not None and task.inbound_count == 2 and task.preview == "more detail"
    identity = store.people.find_identity(Address("phone", "+16175550199"))
    assert identity is not None
    assert [m.kind for m in store.messages.list_messages(identity.person_id)] == ["message", "acknowledgement", "message"]


def test_plan_that_assumed_no_open_task_is_stale_when_one_exists(store: Stores) -> None:
    record(store, msg("SM1"))
    identity = store.people.find_identity(Address("phone", "+16175550199"))
    stale = plan_inbound(msg("SM2", at=T0 + timedelta(minutes=1)), identity, None, TEXTS, 60)

    with pytest.raises(StalePlanError):
        store.inbound.record_inbound(stale)


def test_two_first_messages_racing_for_one_new_identity(store: Stores) -> None:
    a = plan_inbound(msg("SMa"), None, None, TEXTS, 60)
    b = plan_inbound(msg("SMb"), None, None, TEXTS, 60)
    store.inbound.record_inbound(a)

    with pytest.raises(StalePlanError):
        store.inbound.record_inbound(b)


def test_keyword_sets_the_subscription_without_a_task(store: Stores) -> None:
    record(store, msg("SM1"))
    record(store, msg("SM2", "STOP", T0 + timedelta(minutes=1), keyword=Keyword.OPT_OUT))

    identity = store.people.find_identity(Address("phone", "+16175550199"))
    assert identity is not None and identity.status_of(Channel.SMS) is SubscriptionStatus.OPTED_OUT
    assert len(store.tasks.list_tasks(TaskStatus.OPEN, 10, None).tasks) == 1


def test_status_only_moves_forward_and_keeps_errors(store: Stores) -> None:
    record(store, msg("SM1"))
    identity = store.people.find_identity(Address("phone", "+16175550199"))
    assert identity is not None
    out = Message(
        id="01OUT", person_id=identity.person_id, direction=Direction.OUTBOUND, channel=Channel.SMS,
        text="reply", status=MessageStatus.QUEUED, created_at=T0 + timedelta(minutes=9), address="+16175550199",
    )  # fmt: skip
    store.messages.put_message(out)  # type: ignore[attr-defined]
    ref = MessageRef(out.person_id, out.id, out.created_at)
    store.messages.link_provider_id(Channel.SMS, "SMout", ref)

    assert store.messages.find_by_provider_id(Channel.SMS, "SMout") == ref
    assert store.messages.advance_status(ref, MessageStatus.DELIVERED)
    assert not store.messages.advance_status(ref, MessageStatus.SENT)
    assert not store.messages.advance_status(ref, MessageStatus.FAILED, "30003")
    assert store.messages.advance_status(ref, MessageStatus.READ)
    found = store.messages.get_message(ref)
    assert found is not None and found.status is MessageStatus.READ


def test_tasks_page_in_due_order_across_shards(store: Stores) -> None:
    for i in range(9):
        record(store, msg(f"SM{i}", f"m{i}", T0 + timedelta(minutes=i), address=f"+1617555{2000 + i:04d}"))

    seen: list[str] = []
    cursor = None
    while True:
        page = store.tasks.list_tasks(TaskStatus.OPEN, 4, cursor)
        seen += [t.preview for t in page.tasks]
        cursor = page.next
        if cursor is None:
            break

    assert seen == [f"m{i}" for i in range(9)]
    assert store.tasks.list_tasks(TaskStatus.CLAIMED, 4, None).tasks == []


def test_users_are_found_by_token_hash(store: Stores) -> None:
    user = User(id="u1", name="Sam", role=Role.VOLUNTEER, created_at=T0)
    store.users.put_user(user, "hash1")

    assert store.users.user_for_token("hash1") == user
    assert store.users.get_user("u1") == user
    assert store.users.user_for_token("other") is None


def test_concurrent_redeliveries_write_once(store: Stores) -> None:
    m = msg("SMrace")
    outcomes: list[str] = []
    lock = threading.Lock()

    def deliver() -> None:
        plan = plan_inbound(m, None, None, TEXTS, 60)
        try:
            store.inbound.record_inbound(plan)
            result = "written"
        except DuplicateDeliveryError:
            result = "duplicate"
        except Exception as exc:  # in-flight conflicts and stale plans are acceptable losers
            result = type(exc).__name__
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert outcomes.count("written") == 1
    assert len(store.tasks.list_tasks(TaskStatus.OPEN, 10, None).tasks) == 1
