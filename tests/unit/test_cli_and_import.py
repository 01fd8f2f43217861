"""The organizers' CLI: export with a progress bar, users create, import; export -> import round trip."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from chalicelib.bootstrap import Container
from chalicelib.cli import main
from chalicelib.config import Settings
from chalicelib.domain.channels import SMS
from chalicelib.domain.model import Address, SubscriptionStatus
from chalicelib.services.users import hash_token
from tests.fakes import InMemoryQueue, in_memory_stores
from tests.support.people import inbound, known_person

T0 = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
EVIL = "=cmd|' /C calc'!A0"
# What a re-import cannot carry: who recorded it (now "imported") and who holds an open task.
NOT_CARRIED = {"support_source", "support_recorded_by", "assigned_volunteer"}


class Clock:
    def __call__(self) -> datetime:
        return datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def container() -> Container:
    return Container(settings=Settings(), stores=in_memory_stores(), queue=InMemoryQueue(), clock=Clock())


def run(c: Container, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), container=c, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def rows_of(text: str) -> list[dict[str, str]]:
    return sorted(csv.DictReader(io.StringIO(text)), key=lambda r: r["person_id"])


@pytest.fixture
def campaign() -> Container:
    c = container()
    s = c.stores
    known_person(s, T0, phone="+16175550001", first_name="Ana", last_name="Lopez", email="ana@example.org",
                 zip="02139", van_id="V1", address="1 Main St", city="Cambridge", state="MA",
                 stance={"support_level": 1, "issues": {"housing": "support"}, "note": EVIL})  # fmt: skip
    known_person(s, T0, phone="+16175550002", first_name="Bo", sms=SubscriptionStatus.OPTED_OUT,
                 stance={"support_level": None, "response": "not_voting"})  # fmt: skip
    known_person(s, T0, phone="+16175550003", first_name="Cy", sms=SubscriptionStatus.SUBSCRIBED)
    inbound(s, c.queue, T0, address="+16175550004", text="hi")  # someone who wrote in
    return c


def test_export_writes_a_file_and_draws_a_progress_bar(campaign: Container, tmp_path: Path) -> None:
    target = tmp_path / "chase.csv"
    code, out, err = run(campaign, "export", "--preset", "chase", "--format", "van", "-o", str(target))

    assert code == 0 and out == ""
    assert "people [" in err and "100%" in err and "4/4" in err
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert {r["FirstName"] for r in rows} == {"Ana"}


def test_export_to_stdout_with_bad_filter_fails_clearly(campaign: Container) -> None:
    code, _, err = run(campaign, "export", "--issue", "unicorns:support")
    assert code == 2 and "unknown issue" in err


def test_users_create_prints_the_token_once(campaign: Container) -> None:
    code, out, _ = run(campaign, "users", "create", "--name", "Sam", "--role", "volunteer", "--phone", "617 555 0199")
    assert code == 0
    token = out.split("token (shown once, keep it safe): ")[1].strip()
    user = campaign.users.user_for_token(hash_token(token))
    assert user is not None and user.name == "Sam" and user.phone == "+16175550199"


def test_round_trip_export_import_export_gives_the_same_data(campaign: Container, tmp_path: Path) -> None:
    first = tmp_path / "people.csv"
    assert run(campaign, "export", "-q", "-o", str(first))[0] == 0

    empty = container()
    code, out, _ = run(empty, "import", "-q", str(first))
    assert code == 0 and out.startswith("created 4, updated 0, skipped 0")
    second = tmp_path / "again.csv"
    run(empty, "export", "-q", "-o", str(second))

    before, after = rows_of(first.read_text("utf-8")), rows_of(second.read_text("utf-8"))
    assert len(before) == 4
    for old, new in zip(before, after, strict=True):
        assert {k: v for k, v in old.items() if k not in NOT_CARRIED} == {
            k: v for k, v in new.items() if k not in NOT_CARRIED
        }
    assert {r["support_source"] for r in after if r["support_level"]} == {"imported"}
    # Re-importing the same file changes nothing.
    code, out, _ = run(empty, "import", "-q", str(first))
    assert out.startswith("created 0, updated 4")
    third = tmp_path / "third.csv"
    run(empty, "export", "-q", "-o", str(third))
    assert rows_of(third.read_text("utf-8")) == after
    assert len(empty.people.list_stances(before[0]["person_id"])) <= 1


def test_imported_people_get_their_later_conversations(tmp_path: Path) -> None:
    source = tmp_path / "known.csv"
    source.write_text(
        "first_name,last_name,phone,email,zip,van_id\n"
        "Dee,Diaz,(617) 555-0150,DEE@example.org,02139,V9\n"
        "Bad,Row,not a phone,,02139,\n"
        "No,Contact,,,02139,\n",
        encoding="utf-8",
    )
    c = container()
    code, out, _ = run(c, "import", "-q", str(source))

    assert code == 0
    assert "created 1, updated 0, skipped 2" in out and "line 3: phone" in out and "line 4:" in out
    identity = c.people.find_identity(Address("phone", "+16175550150"))
    assert identity is not None
    person = c.people.get_person(identity.person_id)
    assert person is not None and (person.first_name, person.email, person.van_id) == ("Dee", "dee@example.org", "V9")
    assert c.people.find_identity(Address("email", "dee@example.org")) is not None
    answer = inbound(c.stores, c.queue, T0, address="+16175550150", text="hi, it's Dee")
    assert answer.person_id == person.id


def test_an_import_applies_opt_outs_but_never_resubscribes(campaign: Container, tmp_path: Path) -> None:
    source = tmp_path / "optouts.csv"
    source.write_text(
        "first_name,phone,sms_status\nCy,+16175550003,opted_out\nBo,+16175550002,subscribed\n", encoding="utf-8"
    )
    run(campaign, "import", "-q", str(source))
    cy = campaign.people.find_identity(Address("phone", "+16175550003"))
    bo = campaign.people.find_identity(Address("phone", "+16175550002"))
    assert cy is not None and cy.status_of(SMS) is SubscriptionStatus.OPTED_OUT
    assert bo is not None and bo.status_of(SMS) is SubscriptionStatus.OPTED_OUT


def test_import_of_unknown_issue_skips_the_row(tmp_path: Path) -> None:
    source = tmp_path / "x.csv"
    source.write_text("phone,support_level,issues\n+16175550160,1,unicorns=support\n", encoding="utf-8")
    code, out, _ = run(container(), "import", "-q", str(source))
    assert code == 1 and "unknown issue" in out


def test_help_lists_the_commands(capsys: Any) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    shown = capsys.readouterr().out
    assert all(word in shown for word in ("export", "users", "import"))
