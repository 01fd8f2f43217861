"""The people port: profiles, identities and their mirror, stance history, merges, erasure.

Every test runs on the in-memory fake and on DynamoDB under moto (the ``store`` fixture).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.adapters.channels.whatsapp import WHATSAPP
from chalicelib.domain.channels import SMS
from chalicelib.domain.model import (
    Address,
    Identity,
    MessageStatus,
    SubscriptionStatus,
)
from chalicelib.domain.people import suppression_hash
from chalicelib.services.ports.messages import MessageRef
from chalicelib.services.ports.people import IdentityTakenError, PersonNotFoundError
from tests.contract.support import T0, all_people, contacts_of
from tests.fakes import InMemoryQueue
from tests.support.people import inbound, known_person, make_stance, record_plan


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


def test_creating_a_person_whose_address_is_taken_writes_nothing(store: Any) -> None:
    owner = known_person(store, T0, phone="+16175550001")
    with pytest.raises(IdentityTakenError) as taken:
        known_person(store, T0, phone="+16175550001", first_name="Dup")
    assert taken.value.person_id == owner.id
    assert [r.person.id for r in all_people(store)] == [owner.id]


def test_moving_person_data_moves_messages_stance_tasks_and_provider_pointers(store: Any) -> None:
    queue = InMemoryQueue()
    keep = inbound(store, queue, T0, address="+16175550001").person_id
    other_answer = inbound(store, queue, T0 + timedelta(minutes=1), address="+16175550002")
    other = other_answer.person_id
    store.people.add_stance(make_stance(other, T0 + timedelta(minutes=2), support_level=1))
    [_, ack] = store.messages.list_messages(other)
    store.messages.link_provider_id(SMS, "SMack1", MessageRef(other, ack.id, ack.created_at))

    tasks = store.people.move_person_data(other, keep)
    again = store.people.move_person_data(other, keep)  # safe to repeat

    assert tasks == {other_answer.task_id} and again == set()
    assert store.messages.list_messages(other) == [] and store.people.list_stances(other) == []
    assert len(store.messages.list_messages(keep)) == 4
    assert all(m.person_id == keep for m in store.messages.list_messages(keep))
    assert [s.support_level for s in store.people.list_stances(keep)] == [1]
    task = store.tasks.get_task(other_answer.task_id)
    assert task is not None and task.person_id == keep
    ref = store.messages.find_by_provider_id(SMS, "SMack1")
    assert ref is not None and ref.person_id == keep
    assert store.messages.advance_status(ref, MessageStatus.DELIVERED) is True


def test_reassign_replace_and_delete_profile(store: Any) -> None:
    a = known_person(store, T0, phone="+16175550001", stance={"support_level": 4})
    b = known_person(store, T0, phone="+16175550002")
    store.people.reassign_identity(Address("phone", "+16175550002"), a.id, "task-1")
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


def test_erasing_a_person_removes_their_data_and_keeps_a_suppression_hash(store: Any) -> None:
    answer = inbound(store, InMemoryQueue(), T0, address="+16175550001")
    person_id = answer.person_id
    store.people.add_stance(make_stance(person_id, T0))
    [_, ack] = store.messages.list_messages(person_id)
    store.messages.link_provider_id(SMS, "SMack2", MessageRef(person_id, ack.id, ack.created_at))
    digest = suppression_hash(Address("phone", "+16175550001"))

    store.people.erase_person(person_id, [digest], {"person_id": person_id, "deleted_at": "2026-11-26T15:00:00.000Z"})

    assert store.people.get_person(person_id) is None
    assert store.people.find_identity(Address("phone", "+16175550001")) is None
    assert store.messages.list_messages(person_id) == [] and store.people.list_stances(person_id) == []
    assert store.tasks.get_task(answer.task_id) is None
    assert store.messages.find_by_provider_id(SMS, "SMack2") is None
    assert store.inbound.is_suppressed(digest) and not store.inbound.is_suppressed(
        suppression_hash(Address("phone", "+16175550002"))
    )
    assert all_people(store) == []


def test_opt_out_is_visible_to_exports_through_the_identity(store: Any) -> None:
    person = known_person(store, T0, phone="+16175550001", sms=SubscriptionStatus.SUBSCRIBED)
    store.people.set_subscription(Address("phone", "+16175550001"), SMS, SubscriptionStatus.OPTED_OUT)
    [identity] = store.people.get_identities([Address("phone", "+16175550001")])
    assert isinstance(identity, Identity) and identity.person_id == person.id
    assert identity.status_of(SMS) is SubscriptionStatus.OPTED_OUT


def test_rows_carry_the_status_and_channels_of_someone_who_wrote_in(store: Any) -> None:
    queue = InMemoryQueue()
    person_id = inbound(store, queue, T0, address="+16175550001").person_id
    assert contacts_of(store, person_id) == {"phone:+16175550001": ({"sms": "subscribed"}, {"sms"})}

    inbound(store, queue, T0 + timedelta(minutes=1), address="+16175550001", channel=WHATSAPP)
    inbound(store, queue, T0 + timedelta(minutes=2), text="STOP", address="+16175550001", keyword="opt_out")

    assert contacts_of(store, person_id) == {
        "phone:+16175550001": ({"sms": "opted_out", "whatsapp": "subscribed"}, {"sms", "whatsapp"})
    }


def test_rows_follow_a_subscription_set_outside_a_message(store: Any) -> None:
    person = known_person(store, T0, phone="+16175550001", sms=SubscriptionStatus.SUBSCRIBED)
    assert contacts_of(store, person.id) == {"phone:+16175550001": ({"sms": "subscribed"}, set())}

    store.people.set_subscription(Address("phone", "+16175550001"), SMS, SubscriptionStatus.OPTED_OUT)
    store.people.set_subscription(Address("phone", "+19999999999"), SMS, SubscriptionStatus.OPTED_OUT)  # unknown: no-op

    assert contacts_of(store, person.id) == {"phone:+16175550001": ({"sms": "opted_out"}, set())}
    identity = store.people.find_identity(Address("phone", "+16175550001"))
    assert identity is not None and identity.status_of(SMS) is SubscriptionStatus.OPTED_OUT


def test_a_merged_person_row_carries_both_addresses(store: Any) -> None:
    queue = InMemoryQueue()
    keep = inbound(store, queue, T0, address="+16175550001").person_id
    other = inbound(store, queue, T0 + timedelta(minutes=1), text="STOP", address="+16175550002", keyword="opt_out")
    store.people.reassign_identity(Address("phone", "+16175550002"), keep, None)
    person = store.people.get_person(keep)
    store.people.replace_person(
        person.model_copy(update={"identities": [*person.identities, Address("phone", "+16175550002")]}), None
    )
    store.people.delete_profile(other.person_id)

    assert contacts_of(store, keep) == {
        "phone:+16175550001": ({"sms": "subscribed"}, {"sms"}),
        "phone:+16175550002": ({"sms": "opted_out"}, {"sms"}),
    }
    # Later writes keep the rebuilt mirror current.
    store.people.set_subscription(Address("phone", "+16175550002"), SMS, SubscriptionStatus.SUBSCRIBED)
    assert contacts_of(store, keep)["phone:+16175550002"] == ({"sms": "subscribed"}, {"sms"})


def test_a_person_item_written_before_the_mirror_takes_its_first_status(dynamo_container: Any) -> None:
    """DynamoDB only: a person item without any mirror attribute (written before they existed)
    still takes a STOP and a subscription change; nothing has to exist on it first."""
    from chalicelib.adapters.dynamodb.codec import attrs, serialize
    from chalicelib.adapters.dynamodb.keys import identity_key, person_key

    store = dynamo_container.stores
    table = store.inbound.table
    person = known_person(store, T0, phone="+16175550001")
    bare = {"type": "person", **attrs(person), "gsi2pk": "PEOPLE#0", "gsi2sk": f"{T0.isoformat()}#{person.id}"}
    table.db.put_item(TableName=table.name, Item={**person_key(person.id), **serialize(bare)})
    assert contacts_of(store, person.id) == {"phone:+16175550001": ({}, set())}

    inbound(store, InMemoryQueue(), T0 + timedelta(minutes=1), text="STOP", address="+16175550001", keyword="opt_out")
    assert contacts_of(store, person.id) == {"phone:+16175550001": ({"sms": "opted_out"}, {"sms"})}
    store.people.set_subscription(Address("phone", "+16175550001"), SMS, SubscriptionStatus.SUBSCRIBED)
    assert contacts_of(store, person.id)["phone:+16175550001"][0] == {"sms": "subscribed"}
    assert table.db.get_item(TableName=table.name, Key=identity_key(Address("phone", "+16175550001")))["Item"]
