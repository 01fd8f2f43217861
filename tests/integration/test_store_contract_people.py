"""One suite, two stores: people, stance, exports and stats behave the same in the fake and in DynamoDB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.model import Address, Channel, Identity, MessageStatus, SubscriptionStatus, TaskStatus
from chalicelib.domain.people import suppression_hash
from chalicelib.services.ports.exports import ExportJob
from chalicelib.services.ports.messages import MessageRef
from chalicelib.services.ports.people import IdentityTakenError, PersonNotFoundError
from tests.fakes import InMemoryQueue, in_memory_stores
from tests.support.people import inbound, known_person, make_stance, record_plan

T0 = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Any:
    if request.param == "memory":
        return in_memory_stores()
    return request.getfixturevalue("dynamo_container").store


def all_people(store: Any, since: datetime | None = None, page_size: int = 2) -> list[Any]:
    return [row for page in store.people.people_pages(since, page_size) for row in page]


# -- stance -------------------------------------------------------------------------------------
def test_newest_stance_is_current_and_history_keeps_every_point(store: Any) -> None:
    person = known_person(store, T0)
    first = make_stance(person.id, T0 + timedelta(minutes=1), support_level=3)
    second = make_stance(person.id, T0 + timedelta(minutes=2), support_level=1, issues={"housing": "support"})
    late_import = make_stance(person.id, T0 + timedelta(seconds=30), support_level=5)

    assert store.people.add_stance(first) is True
    assert store.people.add_stance(second) is True
    assert store.people.add_stance(late_import) is False  # older than the current one

    current = store.people.get_current_stance(person.id)
    assert current is not None and current.id == second.id and current.issues == {"housing": "support"}
    assert [s.support_level for s in store.people.list_stances(person.id)] == [5, 3, 1]  # oldest first
    [row] = all_people(store)
    assert row.stance is not None and row.stance.id == second.id


def test_stance_for_an_unknown_person_is_refused(store: Any) -> None:
    with pytest.raises(PersonNotFoundError):
        store.people.add_stance(make_stance("nobody", T0))
    assert store.people.list_stances("nobody") == []


# -- people listing -----------------------------------------------------------------------------
def test_people_pages_list_everyone_once_including_people_who_wrote_in(store: Any) -> None:
    a = known_person(store, T0, phone="+16175550001", stance={"support_level": 1})
    b = known_person(store, T0, phone="+16175550002")
    c_id = record_plan(store, T0 + timedelta(minutes=5), address="+16175550003")

    rows = all_people(store, page_size=2)

    assert sorted(r.person.id for r in rows) == sorted([a.id, b.id, c_id])
    by_id = {r.person.id: r for r in rows}
    assert by_id[a.id].stance is not None and by_id[a.id].stance.support_level == 1
    assert by_id[c_id].stance is None
    assert store.people.count_people(None) == 3


def test_since_lists_only_people_changed_since_by_edit_stance_or_message(store: Any) -> None:
    edited = known_person(store, T0, phone="+16175550001")
    staged = known_person(store, T0, phone="+16175550002")
    wrote = record_plan(store, T0, address="+16175550003")
    known_person(store, T0, phone="+16175550004")  # untouched
    cut = T0 + timedelta(hours=1)

    store.people.update_person(edited.id, {"first_name": "Bea"}, cut + timedelta(minutes=1))
    store.people.add_stance(make_stance(staged.id, cut + timedelta(minutes=2)))
    record_plan(store, cut + timedelta(minutes=3), address="+16175550003")

    assert sorted(r.person.id for r in all_people(store, since=cut)) == sorted([edited.id, staged.id, wrote])
    assert store.people.count_people(cut) == 3


def test_update_person_sets_and_removes_fields(store: Any) -> None:
    person = known_person(store, T0, last_name="Lopez")
    updated = store.people.update_person(person.id, {"first_name": "Bea", "van_id": "V123", "last_name": None}, T0)

    assert (updated.first_name, updated.van_id, updated.last_name) == ("Bea", "V123", None)
    stored = store.people.get_person(person.id)
    assert stored is not None and stored.van_id == "V123" and stored.last_name is None
    with pytest.raises(PersonNotFoundError):
        store.people.update_person("nobody", {"first_name": "X"}, T0)


def test_update_keeps_the_current_stance(store: Any) -> None:
    person = known_person(store, T0, stance={"support_level": 2})
    store.people.update_person(person.id, {"zip": "02139"}, T0 + timedelta(minutes=1))
    current = store.people.get_current_stance(person.id)
    assert current is not None and current.support_level == 2


# -- batched reads ----------------------------------------------------------------------------
def test_batched_identity_and_task_reads_skip_missing(store: Any) -> None:
    a = known_person(store, T0, phone="+16175550001")
    answer = inbound(store, InMemoryQueue(), T0, address="+16175550002")

    found = store.people.get_identities([("phone", "+16175550001"), ("phone", "+16175550002"), ("phone", "+10000000")])
    assert sorted(i.person_id for i in found) == sorted([a.id, answer.person_id])
    [task] = store.tasks.get_tasks([answer.task_id, "missing"])
    assert task.person_id == answer.person_id


# -- create (import) ------------------------------------------------------------------------
def test_creating_a_person_whose_address_is_taken_writes_nothing(store: Any) -> None:
    owner = known_person(store, T0, phone="+16175550001")
    with pytest.raises(IdentityTakenError) as taken:
        known_person(store, T0, phone="+16175550001", first_name="Dup")
    assert taken.value.person_id == owner.id
    assert [r.person.id for r in all_people(store)] == [owner.id]


def test_an_imported_person_is_found_by_their_phone_when_they_write(store: Any) -> None:
    person = known_person(store, T0, phone="+16175550001")
    answer = inbound(store, InMemoryQueue(), T0 + timedelta(minutes=1), address="+16175550001")
    assert answer.person_id == person.id


# -- merge ----------------------------------------------------------------------------------------
def test_moving_person_data_moves_messages_stance_tasks_and_provider_pointers(store: Any) -> None:
    queue = InMemoryQueue()
    keep = inbound(store, queue, T0, address="+16175550001").person_id
    other_answer = inbound(store, queue, T0 + timedelta(minutes=1), address="+16175550002")
    other = other_answer.person_id
    store.people.add_stance(make_stance(other, T0 + timedelta(minutes=2), support_level=1))
    [_, ack] = store.messages.list_messages(other)
    store.messages.link_provider_id(Channel.SMS, "SMack1", MessageRef(other, ack.id, ack.created_at))

    tasks = store.people.move_person_data(other, keep)
    again = store.people.move_person_data(other, keep)  # safe to repeat

    assert tasks == {other_answer.task_id} and again == set()
    assert store.messages.list_messages(other) == [] and store.people.list_stances(other) == []
    assert len(store.messages.list_messages(keep)) == 4
    assert all(m.person_id == keep for m in store.messages.list_messages(keep))
    assert [s.support_level for s in store.people.list_stances(keep)] == [1]
    task = store.tasks.get_task(other_answer.task_id)
    assert task is not None and task.person_id == keep
    ref = store.messages.find_by_provider_id(Channel.SMS, "SMack1")
    assert ref is not None and ref.person_id == keep
    assert store.messages.advance_status(ref, MessageStatus.DELIVERED) is True


def test_reassign_replace_and_delete_profile(store: Any) -> None:
    a = known_person(store, T0, phone="+16175550001", stance={"support_level": 4})
    b = known_person(store, T0, phone="+16175550002")
    store.people.reassign_identity("phone", "+16175550002", a.id, "task-1")
    merged = a.model_copy(update={"identities": [*a.identities, *b.identities]})
    store.people.replace_person(merged, make_stance(a.id, T0, support_level=2))
    store.people.delete_profile(b.id)

    identity = store.people.find_identity(Address("phone", "+16175550002"))
    assert identity is not None and identity.person_id == a.id and identity.open_task_id == "task-1"
    person = store.people.get_person(a.id)
    assert person is not None and len(person.identities) == 2
    assert store.people.get_person(b.id) is None
    current = store.people.get_current_stance(a.id)
    assert current is not None and current.support_level == 2
    assert [r.person.id for r in all_people(store)] == [a.id]


# -- deletion on request ---------------------------------------------------------------------------
def test_erasing_a_person_removes_their_data_and_keeps_a_suppression_hash(store: Any) -> None:
    answer = inbound(store, InMemoryQueue(), T0, address="+16175550001")
    person_id = answer.person_id
    store.people.add_stance(make_stance(person_id, T0))
    [_, ack] = store.messages.list_messages(person_id)
    store.messages.link_provider_id(Channel.SMS, "SMack2", MessageRef(person_id, ack.id, ack.created_at))
    digest = suppression_hash("phone", "+16175550001")

    store.people.erase_person(person_id, [digest], {"person_id": person_id, "deleted_at": "2026-11-26T15:00:00.000Z"})

    assert store.people.get_person(person_id) is None
    assert store.people.find_identity(Address("phone", "+16175550001")) is None
    assert store.messages.list_messages(person_id) == [] and store.people.list_stances(person_id) == []
    assert store.tasks.get_task(answer.task_id) is None
    assert store.messages.find_by_provider_id(Channel.SMS, "SMack2") is None
    assert store.inbound.is_suppressed(digest) and not store.inbound.is_suppressed(suppression_hash("phone", "+16175550002"))
    assert all_people(store) == []


# -- stats and jobs ---------------------------------------------------------------------------------
def test_stats_snapshot_round_trips(store: Any) -> None:
    assert store.stats.get_stats() is None
    store.stats.put_stats({"computed_at": "x", "by_level": {"strong_support": 3}})
    assert store.stats.get_stats() == {"computed_at": "x", "by_level": {"strong_support": 3}}


def test_task_counts_come_from_the_task_index(store: Any) -> None:
    queue = InMemoryQueue()
    inbound(store, queue, T0, address="+16175550001")
    inbound(store, queue, T0 + timedelta(hours=2), address="+16175550002")

    assert store.tasks.count_tasks(TaskStatus.OPEN) == 2
    assert store.tasks.count_tasks(TaskStatus.OPEN, due_before=T0 + timedelta(hours=2)) == 1
    assert store.tasks.count_tasks(TaskStatus.DONE) == 0


def test_activity_scan_yields_messages_and_tasks_in_the_window(store: Any) -> None:
    queue = InMemoryQueue()
    inbound(store, queue, T0 - timedelta(days=40), address="+16175550001")
    inbound(store, queue, T0, address="+16175550002")

    found = list(store.stats.scan_activity(T0 - timedelta(days=1)))
    assert sorted(i["type"] for i in found) == ["message", "message", "task"]
    assert {i["direction"] for i in found if i["type"] == "message"} == {"inbound", "outbound"}


def test_export_jobs_round_trip(store: Any) -> None:
    job = ExportJob(id="J1", status="queued", params={"format": "van"}, created_by="u1", created_at=T0)
    store.exports.put_export_job(job)
    store.exports.put_export_job(job.model_copy(update={"status": "done", "rows": 5, "key": "exports/J1/x.csv"}))
    found = store.exports.get_export_job("J1")
    assert found is not None and (found.status, found.rows, found.key) == ("done", 5, "exports/J1/x.csv")
    assert store.exports.get_export_job("nope") is None


def test_opt_out_is_visible_to_exports_through_the_identity(store: Any) -> None:
    person = known_person(store, T0, phone="+16175550001", sms=SubscriptionStatus.SUBSCRIBED)
    store.people.set_subscription("phone", "+16175550001", Channel.SMS, SubscriptionStatus.OPTED_OUT)
    [identity] = store.people.get_identities([("phone", "+16175550001")])
    assert isinstance(identity, Identity) and identity.person_id == person.id
    assert identity.status_of(Channel.SMS) is SubscriptionStatus.OPTED_OUT


# -- what exports read of a person's addresses, from the person item ---------------------------
def contacts_of(store: Any, person_id: str) -> dict[str, tuple[dict[str, str], set[str]]]:
    """The listed row's contacts: "kind:address" -> (channel -> status, channels written on)."""
    [row] = [r for r in all_people(store) if r.person.id == person_id]
    return {
        f"{c.kind}:{c.address}": ({ch: s.value for ch, s in c.subscriptions.items()}, set(c.channels))
        for c in row.contacts
    }


def test_rows_carry_the_status_and_channels_of_someone_who_wrote_in(store: Any) -> None:
    queue = InMemoryQueue()
    person_id = inbound(store, queue, T0, address="+16175550001").person_id
    assert contacts_of(store, person_id) == {"phone:+16175550001": ({"sms": "subscribed"}, {"sms"})}

    inbound(store, queue, T0 + timedelta(minutes=1), address="+16175550001", channel=Channel.WHATSAPP)
    inbound(store, queue, T0 + timedelta(minutes=2), text="STOP", address="+16175550001", keyword="opt_out")

    assert contacts_of(store, person_id) == {
        "phone:+16175550001": ({"sms": "opted_out", "whatsapp": "subscribed"}, {"sms", "whatsapp"})
    }


def test_rows_follow_a_subscription_set_outside_a_message(store: Any) -> None:
    person = known_person(store, T0, phone="+16175550001", sms=SubscriptionStatus.SUBSCRIBED)
    assert contacts_of(store, person.id) == {"phone:+16175550001": ({"sms": "subscribed"}, set())}

    store.people.set_subscription("phone", "+16175550001", Channel.SMS, SubscriptionStatus.OPTED_OUT)
    store.people.set_subscription("phone", "+19999999999", Channel.SMS, SubscriptionStatus.OPTED_OUT)  # unknown: no-op

    assert contacts_of(store, person.id) == {"phone:+16175550001": ({"sms": "opted_out"}, set())}
    identity = store.people.find_identity(Address("phone", "+16175550001"))
    assert identity is not None and identity.status_of(Channel.SMS) is SubscriptionStatus.OPTED_OUT


def test_a_merged_person_row_carries_both_addresses(store: Any) -> None:
    queue = InMemoryQueue()
    keep = inbound(store, queue, T0, address="+16175550001").person_id
    other = inbound(store, queue, T0 + timedelta(minutes=1), text="STOP", address="+16175550002", keyword="opt_out")
    store.people.reassign_identity("phone", "+16175550002", keep, None)
    person = store.people.get_person(keep)
    store.people.replace_person(person.model_copy(update={"identities": [*person.identities, "phone:+16175550002"]}), None)
    store.people.delete_profile(other.person_id)

    assert contacts_of(store, keep) == {
        "phone:+16175550001": ({"sms": "subscribed"}, {"sms"}),
        "phone:+16175550002": ({"sms": "opted_out"}, {"sms"}),
    }
    # Later writes keep the rebuilt mirror current.
    store.people.set_subscription("phone", "+16175550002", Channel.SMS, SubscriptionStatus.SUBSCRIBED)
    assert contacts_of(store, keep)["phone:+16175550002"] == ({"sms": "subscribed"}, {"sms"})


def test_a_person_item_written_before_the_mirror_takes_its_first_status(dynamo_container: Any) -> None:
    """DynamoDB only: a person item without any mirror attribute (written before they existed)
    still takes a STOP and a subscription change; nothing has to exist on it first."""
    from chalicelib.adapters.dynamodb import _attrs, identity_key, person_key, serialize

    store = dynamo_container.store
    person = known_person(store, T0, phone="+16175550001")
    bare = {"type": "person", **_attrs(person), "gsi2pk": "PEOPLE#0", "gsi2sk": f"{T0.isoformat()}#{person.id}"}
    store._db.put_item(TableName=store._table, Item={**person_key(person.id), **serialize(bare)})
    assert contacts_of(store, person.id) == {"phone:+16175550001": ({}, set())}

    inbound(store, InMemoryQueue(), T0 + timedelta(minutes=1), text="STOP", address="+16175550001", keyword="opt_out")
    assert contacts_of(store, person.id) == {"phone:+16175550001": ({"sms": "opted_out"}, {"sms"})}
    store.people.set_subscription("phone", "+16175550001", Channel.SMS, SubscriptionStatus.SUBSCRIBED)
    assert contacts_of(store, person.id)["phone:+16175550001"][0] == {"sms": "subscribed"}
    assert store._db.get_item(TableName=store._table, Key=identity_key("phone", "+16175550001"))["Item"]
