"""Export formats, filters and safe cells, over the in-memory store."""

from __future__ import annotations

import csv
import io
import tracemalloc
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.exports import (
    ACTIONNETWORK_COLUMNS,
    GENERIC_COLUMNS,
    VAN_COLUMNS,
    csv_chunks,
    safe_cell,
    safe_phone,
)
from chalicelib.domain.model import Role, SubscriptionStatus, User
from chalicelib.services import exports
from chalicelib.services.errors import UnprocessableError
from chalicelib.services.ports import Stores
from chalicelib.settings import DEFAULT_ISSUES
from tests.fakes import in_memory_stores
from tests.support.people import known_person

T0 = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
ISSUES = tuple(DEFAULT_ISSUES.split(","))
CONTRACT_GENERIC = [
    "person_id",
    "first_name",
    "last_name",
    "phone",
    "email",
    "zip",
    "support_level",
    "support_label",
    "support_source",
    "support_recorded_at",
    "issues",
    "sms_status",
    "do_not_contact",
    "first_contact_at",
    "last_contact_at",
    "last_contact_channel",
    "assigned_volunteer",
]
CONTRACT_VAN = [
    "VanID",
    "FirstName",
    "LastName",
    "Phone",
    "Email",
    "Zip5",
    "SurveyQuestion",
    "SurveyResponse",
    "DateCanvassed",
    "CanvassedBy",
    "ContactType",
]
CONTRACT_AN = ["email", "phone", "first_name", "last_name", "zip_code", "tags"]


def export(store: Any, **params: str) -> list[dict[str, str]]:
    query = exports.parse_query(params, ISSUES)
    text = exports.export_inline(store, query, 10_000_000).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def store() -> Stores:
    s = in_memory_stores()
    s.users.put_user(User(id="u1", name="Vee Volunteer", role=Role.VOLUNTEER, created_at=T0), "hash")
    known_person(s, T0, phone="+16175550001", first_name="Strong", zip="02139-1234", van_id="V1",
                 stance={"support_level": 1, "issues": {"housing": "support", "taxes": "oppose"},
                         "recorded_by": "u1", "channel": "sms"})  # fmt: skip
    known_person(s, T0, phone="+16175550002", first_name="Lean", sms=SubscriptionStatus.OPTED_OUT,
                 stance={"support_level": 2})  # fmt: skip
    known_person(s, T0, phone="+16175550003", first_name="Undecided", stance={"support_level": 3})
    known_person(s, T0, phone="+16175550004", first_name="Against", stance={"support_level": 5})
    known_person(s, T0, phone="+16175550005", first_name="=HYPERLINK(\"http://evil\",\"x\")",
                 stance={"support_level": None, "response": "refused", "note": "@SUM(1+1)"})  # fmt: skip
    known_person(s, T0, phone="+16175550006", first_name="Nobody")
    return s


def test_headers_hold_at_least_the_contract_columns_in_order() -> None:
    assert list(GENERIC_COLUMNS[: len(CONTRACT_GENERIC)]) == CONTRACT_GENERIC
    assert list(VAN_COLUMNS[: len(CONTRACT_VAN)]) == CONTRACT_VAN
    assert list(ACTIONNETWORK_COLUMNS[: len(CONTRACT_AN)]) == CONTRACT_AN


def test_generic_is_one_row_a_person_with_contract_values(store: Stores) -> None:
    rows = {r["first_name"]: r for r in export(store)}

    assert len(rows) == 6
    strong = rows["Strong"]
    assert strong["phone"] == "+16175550001"
    assert (strong["support_level"], strong["support_label"], strong["support_source"]) == (
        "1", "strong_support", "volunteer",
    )  # fmt: skip
    assert strong["support_recorded_at"] == "2026-11-26T15:00:00.000Z"
    assert strong["issues"] == "housing=support;taxes=oppose"
    assert strong["sms_status"] == "unknown" and strong["do_not_contact"] == "false"
    assert strong["support_recorded_by"] == "Vee Volunteer" and strong["van_id"] == "V1"
    assert rows["Lean"]["sms_status"] == "opted_out" and rows["Lean"]["do_not_contact"] == "true"
    assert rows["Nobody"]["support_level"] == "" and rows["Nobody"]["support_label"] == ""


def test_typed_text_never_becomes_a_formula(store: Stores) -> None:
    rows = export(store)
    evil = next(r for r in rows if "HYPERLINK" in r["first_name"])
    assert evil["first_name"] == '\'=HYPERLINK("http://evil","x")'
    assert evil["stance_note"] == "'@SUM(1+1)"
    assert evil["support_label"] == "refused" and evil["support_level"] == ""
    assert all(not v.startswith(("=", "@", "-", "\t", "\r")) for r in rows for v in r.values())
    assert all(r["phone"].startswith("+1") for r in rows)  # valid E.164 passes as it is


@pytest.mark.parametrize("value", ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1"])
def test_safe_cell_escapes_every_formula_start(value: str) -> None:
    assert safe_cell(value) == "'" + value
    assert safe_cell("plain " + value) == "plain " + value


def test_safe_phone_passes_only_valid_e164() -> None:
    assert safe_phone("+16175550001") == "+16175550001"
    assert safe_phone("+1 (617) =1") == "'+1 (617) =1"
    assert safe_phone(None) == ""


def test_support_and_issue_filters(store: Stores) -> None:
    assert sorted(r["first_name"] for r in export(store, support="1,2")) == ["Lean", "Strong"]
    assert [r["first_name"] for r in export(store, issue="housing:support")] == ["Strong"]
    assert export(store, issue="housing:oppose") == []


def test_chase_preset_is_supporters_not_opted_out(store: Stores) -> None:
    assert [r["first_name"] for r in export(store, preset="chase")] == ["Strong"]


def test_persuasion_preset_is_levels_two_to_four(store: Stores) -> None:
    assert sorted(r["first_name"] for r in export(store, preset="persuasion")) == ["Lean", "Undecided"]


def test_since_filter(store: Stores) -> None:
    [person] = [
        row.person
        for page in store.people.people_pages(None, 100)
        for row in page
        if row.person.first_name == "Against"
    ]
    store.people.update_person(person.id, {"zip": "02140"}, T0 + timedelta(days=1))
    assert [r["first_name"] for r in export(store, since="2026-11-27T00:00:00Z")] == ["Against"]


def test_van_is_one_row_per_survey_response_with_do_not_text(store: Stores) -> None:
    rows = export(store, format="van")
    strong = [r for r in rows if r["FirstName"] == "Strong"]
    assert [(r["SurveyQuestion"], r["SurveyResponse"]) for r in strong] == [
        ("Support ID", "1 - Strong support"), ("Issue: housing", "Support"), ("Issue: taxes", "Oppose"),
    ]  # fmt: skip
    assert {r["VanID"] for r in strong} == {"V1"} and {r["Zip5"] for r in strong} == {"02139"}
    assert {(r["DateCanvassed"], r["CanvassedBy"], r["ContactType"]) for r in strong} == {
        ("2026-11-26", "Vee Volunteer", "SMS Text")
    }
    lean = [r for r in rows if r["FirstName"] == "Lean"]
    assert [r["DoNotText"] for r in lean] == ["Y"]
    nobody = [r for r in rows if r["FirstName"] == "Nobody"]
    assert len(nobody) == 1 and nobody[0]["SurveyQuestion"] == "" and nobody[0]["DoNotText"] == "N"


def test_actionnetwork_has_stance_as_tags(store: Stores) -> None:
    rows = {r["first_name"]: r for r in export(store, format="actionnetwork")}
    assert rows["Strong"]["tags"] == "Support: 1 - Strong support, Issue: housing - support, Issue: taxes - oppose"
    assert rows["Strong"]["zip_code"] == "02139-1234"
    assert rows["Nobody"]["tags"] == ""


@pytest.mark.parametrize(
    "params",
    [
        {"format": "excel"},
        {"support": "1,9"},
        {"support": "one"},
        {"issue": "unicorns:support"},
        {"issue": "housing:love"},
        {"since": "yesterday"},
        {"channel": "pigeon"},
        {"preset": "gotv"},
    ],
)
def test_bad_filters_are_422(params: dict[str, str]) -> None:
    with pytest.raises(UnprocessableError):
        exports.parse_query(params, ISSUES)


def test_too_large_for_one_response_asks_for_a_job(store: Stores) -> None:
    with pytest.raises(exports.ExportTooLargeError, match="POST /api/exports"):
        exports.export_inline(store, exports.parse_query({}, ISSUES), 200)


def test_csv_chunks_hold_memory_flat_whatever_the_row_count() -> None:
    def rows(n: int) -> Any:
        for i in range(n):
            yield [str(i), "name", "x" * 50]

    def peak(n: int) -> int:
        tracemalloc.start()
        for _ in csv_chunks(["a", "b", "c"], rows(n), chunk_chars=8192):
            pass
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    assert peak(50_000) < 2 * peak(5_000)
