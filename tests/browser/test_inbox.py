"""The inbox page in a real browser: volunteers answer, organizers watch and export."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM, DESKTOP, PHONE, Seeded, api_json, new_user, screenshot, sign_in
from tests.conftest import ORGANIZER_TOKEN
from tests.support.webapp import api, post_sms

pytestmark = pytest.mark.browser

if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is missing: run `make browser-deps` (apt-get install chromium)", allow_module_level=True)

BUS = "+16175550123"
RENT = "+16175550124"
STOPPED = "+16175550125"
WHATSAPP = "+16175550126"


def task_of(live: Seeded, phone: str, status: str = "open") -> dict[str, Any]:
    tasks = api_json(live.base, "GET", f"/api/tasks?status={status}")["tasks"]
    [task] = [t for t in tasks if t["person_id"] == live.people[phone]]
    return task


def open_conversation(page: Any, live: Seeded, phone: str) -> None:
    task = task_of(live, phone)
    page.locator(f'.task[data-task-id="{task["id"]}"]').click()
    expect(page.locator(".thread")).to_be_visible()


def test_sign_in_keeps_the_token_in_the_tab_only(open_page: Any, live: Seeded) -> None:
    page, console = open_page()
    page.goto(live.base + "/")
    page.get_by_label("Access token").fill("not-a-real-token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#signin-error")).to_contain_text("not valid")

    token = new_user(live.base, "Vera")
    sign_in(page, live.base, token)

    expect(page.locator("#user-name")).to_have_text("Vera (volunteer)")
    assert page.evaluate("sessionStorage.getItem('hearback.token')") == token
    assert page.evaluate("localStorage.length") == 0
    assert page.context.cookies() == []
    assert token not in page.url and "+1617" not in page.url
    # Volunteers see no organizer screens.
    expect(page.get_by_role("button", name="Dashboard")).to_be_hidden()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Access token")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('hearback.token')") is None
    assert page.locator(".task").count() == 0  # nothing personal left in the page
    assert console.unexpected("401") == []
    assert page.outside == []


def test_the_queue_shows_oldest_due_first_with_channels_waiting_times_and_overdue(open_page: Any, live: Seeded) -> None:
    page, console = open_page(PHONE)
    sign_in(page, live.base, new_user(live.base, "Vera"))

    items = page.locator("#open-list .task")
    expect(items).to_have_count(len(live.due_order))
    people = [task_of(live, phone)["id"] for phone in live.due_order]
    assert [items.nth(i).get_attribute("data-task-id") for i in range(len(people))] == people
    first = items.nth(0)
    expect(first.locator(".channel")).to_have_text("WhatsApp")
    expect(first).to_have_class("task overdue")
    expect(first.locator(".badge-overdue")).to_contain_text("Overdue")
    expect(items.nth(4)).to_have_class("task")  # 12 minutes old: not due yet
    expect(items.nth(4).locator(".wait")).to_contain_text("12 min")
    screenshot(page, "volunteer-queue-phone")

    # Keyboard only: the tasks are buttons; Enter opens the conversation and focus follows.
    first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#convo-pane h2")).to_be_focused()
    expect(page.locator(".thread")).to_be_visible()
    assert console.unexpected() == []
    assert page.outside == []


def test_a_volunteer_claims_replies_records_stance_and_finishes(open_page: Any, live: Seeded) -> None:
    page, console = open_page(PHONE)
    token = new_user(live.base, "Vera")
    sign_in(page, live.base, token)
    task = task_of(live, BUS)

    open_conversation(page, live, BUS)
    expect(page.locator(".msg-inbound").first).to_contain_text("the 7 bus")
    expect(page.locator(".idents")).not_to_contain_text("+16175550123")  # masked for volunteers
    expect(page.get_by_label("Your reply")).to_be_disabled()
    page.get_by_role("button", name="Claim and answer").click()
    expect(page.get_by_text("You are answering")).to_be_visible()
    assert task_of(live, BUS, "claimed")["claimed_by"] != task["claimed_by"]

    reply = page.get_by_label("Your reply")
    reply.fill("Hi! Jane wants a bus lane on Main St and more buses at rush hour.")
    meter = page.locator("#reply-meter")
    expect(meter).to_contain_text("1 SMS segment")
    expect(meter).to_contain_text("GSM-7")
    reply.fill("Thanks for writing 🙂 Jane rides the 7 too.")
    expect(meter).to_contain_text("UCS-2")
    page.get_by_role("button", name="2 Lean support").click()
    expect(page.get_by_role("button", name="2 Lean support")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".stance-current")).to_contain_text("Lean support")
    reply.fill("Hi Maria! Jane wants a bus lane on Main St and more buses at rush hour. Can we count on your vote?")
    expect(meter).to_contain_text("1 SMS segment")
    screenshot(page, "volunteer-conversation-phone")
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator(".msg-outbound").last).to_contain_text("Can we count on your vote?")
    expect(reply).to_have_value("")

    page.get_by_text("Issue positions").click()
    page.get_by_label("transportation").select_option("support")
    expect(page.locator(".toast").last).to_contain_text("Issue position saved")

    person = api_json(live.base, "GET", f"/api/people/{live.people[BUS]}")
    assert person["stance"]["support_level"] == 2
    assert person["stance"]["issues"] == {"transportation": "support"}
    assert person["stance"]["source"] == "volunteer"
    outbound = [m for m in person["messages"] if m["direction"] == "outbound"]
    assert outbound[-1]["text"].endswith("Can we count on your vote?")

    page.get_by_label("Outcome").select_option("answered")
    page.get_by_role("button", name="Mark done").click()
    expect(page.locator(".toast").last).to_contain_text("Task done")
    expect(page.locator(f'.task[data-task-id="{task["id"]}"]')).to_have_count(0)
    done = api_json(live.base, "GET", "/api/tasks?status=done")["tasks"]
    assert [(t["id"], t["outcome"]) for t in done] == [(task["id"], "answered")]
    assert console.unexpected() == []
    assert page.outside == []


def test_a_claim_lost_to_another_volunteer_is_shown_and_nobody_answers_twice(open_page: Any, live: Seeded) -> None:
    page, console = open_page(PHONE)
    sign_in(page, live.base, new_user(live.base, "Vera"))
    open_conversation(page, live, RENT)
    task = task_of(live, RENT)

    other = new_user(live.base, "Omar")
    api_json(live.base, "POST", f"/api/tasks/{task['id']}/claim", other)
    page.get_by_role("button", name="Claim and answer").click()

    expect(page.locator(".conflict")).to_contain_text("Someone else just claimed this task")
    expect(page.get_by_label("Your reply")).to_be_disabled()
    expect(page.locator(f'#open-list .task[data-task-id="{task["id"]}"]')).to_have_count(0)
    assert task_of(live, RENT, "claimed")["claimed_by"] != ""
    assert console.unexpected("409") == []


def test_an_opted_out_person_cannot_be_texted_from_the_page(open_page: Any, live: Seeded) -> None:
    page, console = open_page(PHONE)
    sign_in(page, live.base, new_user(live.base, "Vera"))
    open_conversation(page, live, STOPPED)
    page.get_by_role("button", name="Claim and answer").click()
    expect(page.get_by_text("You are answering")).to_be_visible()

    expect(page.locator(".notice-stop")).to_contain_text("Opted out")
    expect(page.get_by_label("Your reply")).to_be_disabled()
    expect(page.get_by_role("button", name="Send reply")).to_be_disabled()
    expect(page.locator("#reply-reason")).to_contain_text("asked not to be messaged by SMS")
    assert console.unexpected() == []


def test_a_closing_whatsapp_window_is_announced(open_page: Any, live: Seeded) -> None:
    page, console = open_page(PHONE)
    sign_in(page, live.base, new_user(live.base, "Vera"))
    open_conversation(page, live, WHATSAPP)

    expect(page.locator(".notice-warn")).to_contain_text("Reply window closing")
    expect(page.locator("#reply-title")).to_have_text("Reply by WhatsApp")
    assert console.unexpected() == []


def test_the_queue_refreshes_by_itself(open_page: Any, live: Seeded) -> None:
    page, console = open_page(PHONE)
    sign_in(page, live.base, new_user(live.base, "Vera"))
    expect(page.locator("#open-list .task")).to_have_count(5)

    post_sms(live.base, "Do you have volunteer shifts this weekend?", "SM" + "9" * 32, "+16175550188")

    expect(page.locator("#open-list .task")).to_have_count(6, timeout=15000)
    expect(page.locator("#open-list .task").last).to_contain_text("volunteer shifts")
    assert console.unexpected() == []


# (text, encoding, segments): GSM-7 160/153 septets, extension characters two septets that never
# straddle segments; anything else UCS-2 70/67 units, a surrogate pair two units, never split.
SEGMENT_CASES: list[tuple[str, str, int]] = [
    ("", "GSM-7", 0),
    ("a" * 160, "GSM-7", 1),
    ("a" * 161, "GSM-7", 2),
    ("a" * 306, "GSM-7", 2),
    ("a" * 307, "GSM-7", 3),
    ("€" * 80, "GSM-7", 1),
    ("€" * 81, "GSM-7", 2),
    ("a" * 152 + "€", "GSM-7", 1),
    ("a" * 153 + "€" + "a" * 10, "GSM-7", 2),
    ("a" * 152 + "€" + "a" * 153, "GSM-7", 3),
    ("{[~]}|^\\ \f", "GSM-7", 1),
    ("é ñ Ü ß £ ¥ @ _ Δ Ω ¿ ¡ §", "GSM-7", 1),
    ("ç" * 70, "UCS-2", 1),  # lower-case ç is not in GSM-7 (only Ç is)
    ("ç" * 71, "UCS-2", 2),
    ("\u2019" * 134, "UCS-2", 2),  # a typographic apostrophe
    ("\u2019" * 135, "UCS-2", 3),
    ("🙂" * 35, "UCS-2", 1),
    ("🙂" * 36, "UCS-2", 2),
    ("a" * 66 + "🙂" + "a", "UCS-2", 1),
    ("a" * 66 + "🙂" + "a" * 3, "UCS-2", 2),
]


def test_sms_segments_and_encoding_are_counted_as_carriers_do(open_page: Any, live: Seeded) -> None:
    page, console = open_page()
    page.goto(live.base + "/")

    found = page.evaluate(
        "async (cases) => { const { smsInfo } = await import('./static/sms.js');"
        " return cases.map((t) => { const i = smsInfo(t); return [i.encoding, i.segments]; }); }",
        [text for text, _, _ in SEGMENT_CASES],
    )

    assert [tuple(f) for f in found] == [(encoding, segments) for _, encoding, segments in SEGMENT_CASES]
    assert console.unexpected() == []


def test_the_organizer_dashboard_draws_the_numbers_from_the_stats_api(open_page: Any, live: Seeded) -> None:
    page, console = open_page(DESKTOP)
    sign_in(page, live.base, ORGANIZER_TOKEN)
    volunteer = new_user(live.base, "Vera")
    for phone in (BUS, RENT):  # two answered by a person: a first-human-reply time to show
        task = task_of(live, phone)
        api_json(live.base, "POST", f"/api/tasks/{task['id']}/claim", volunteer)
        api_json(live.base, "POST", f"/api/tasks/{task['id']}/reply", volunteer, {"text": "Thanks, we hear you."})
    api_json(live.base, "POST", f"/api/people/{live.people[BUS]}/stance", payload={
        "support_level": 1, "issues": {"transportation": "support", "housing": "oppose"}})  # fmt: skip
    api_json(live.base, "POST", f"/api/people/{live.people[RENT]}/stance", payload={
        "support_level": 3, "issues": {"housing": "support"}})  # fmt: skip
    stats = api_json(live.base, "GET", "/api/stats")

    page.get_by_role("button", name="Dashboard").click()
    expect(page.locator(".panel")).to_have_count(4)
    tiles = page.locator(".tile-value")
    assert [tiles.nth(i).inner_text() for i in range(3)] == [
        str(stats["tasks"]["open"]), str(stats["tasks"]["claimed"]), str(stats["tasks"]["overdue"])
    ]  # fmt: skip
    assert page.locator("svg.chart").count() >= 5
    volume = page.get_by_role("region", name="Inbound messages by channel").locator("svg.chart")
    # The seed spans one or two UTC days depending on the time the suite runs.
    days = len(stats["inbound_by_day"])
    expect(volume).to_have_attribute("aria-label", f"Inbound messages per day by channel: 6 in {days} days")
    expect(page.locator(".legend").first).to_contain_text("WhatsApp")
    page.get_by_text("Show the numbers").last.click()  # issue positions, as a table
    expect(page.locator("table").last).to_contain_text("housing")
    screenshot(page, "organizer-dashboard")
    assert console.unexpected() == []
    assert page.outside == []


def test_the_organizer_exports_a_chase_list_without_the_token_in_any_url(open_page: Any, live: Seeded) -> None:
    page, console = open_page(DESKTOP)
    sign_in(page, live.base, ORGANIZER_TOKEN)
    api_json(live.base, "POST", f"/api/people/{live.people[BUS]}/stance", payload={"support_level": 1})
    api_json(live.base, "POST", f"/api/people/{live.people[RENT]}/stance", payload={"support_level": 4})
    requests: list[Any] = []
    page.on("request", lambda r: requests.append(r) if "/api/exports/" in r.url else None)

    page.get_by_role("button", name="Export").click()
    page.get_by_role("button", name="Chase list").click()
    expect(page.get_by_label("1 Strong support")).to_be_checked()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    path = download.value.path()
    rows = list(csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8"))))

    assert [row["person_id"] for row in rows] == [live.people[BUS]]
    assert download.value.suggested_filename.startswith("hearback-chase-generic-")
    [request] = requests
    assert "preset=chase" in request.url and ORGANIZER_TOKEN not in request.url
    assert request.headers["authorization"] == f"Bearer {ORGANIZER_TOKEN}"
    expect(page.locator("#export-status")).to_contain_text("Downloaded")

    page.get_by_label("Format").select_option("van")
    with page.expect_download() as van:
        page.get_by_role("button", name="Download CSV").click()
    header = Path(van.value.path()).read_text(encoding="utf-8").splitlines()[0]
    assert "VanID" in header and "SurveyQuestion" in header
    assert console.unexpected() == []


def test_organizers_add_a_volunteer_and_a_saved_reply_the_volunteer_then_uses(open_page: Any, live: Seeded) -> None:
    page, console = open_page(DESKTOP)
    sign_in(page, live.base, ORGANIZER_TOKEN)

    page.get_by_role("button", name="Saved replies").click()
    page.get_by_label("Title", exact=True).fill("Polling place")
    page.get_by_label("Text", exact=True).fill("You can find your polling place at vote.org.")
    page.get_by_role("button", name="Save reply").click()
    expect(page.locator("#template-list")).to_contain_text("Polling place")

    page.get_by_role("button", name="Team").click()
    page.get_by_label("Name", exact=True).fill("Vera")
    page.get_by_role("button", name="Create and show token").click()
    token = page.locator("#new-token").input_value()
    assert len(token) > 20
    expect(page.locator("#user-created")).to_contain_text("Shown this once")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, live.base, token)
    expect(page.locator("#user-name")).to_have_text("Vera (volunteer)")
    open_conversation(page, live, WHATSAPP)
    page.get_by_role("button", name="Claim and answer").click()
    expect(page.get_by_text("You are answering")).to_be_visible()
    page.get_by_label("Saved reply").select_option(label="Polling place")
    expect(page.get_by_label("Your reply")).to_have_value("You can find your polling place at vote.org.")
    assert console.unexpected() == []


def test_organizers_find_a_person_by_phone(open_page: Any, live: Seeded) -> None:
    page, console = open_page(DESKTOP)
    sign_in(page, live.base, ORGANIZER_TOKEN)
    searches: list[str] = []
    page.on("request", lambda r: searches.append(r.url) if "/api/people" in r.url else None)

    page.get_by_role("button", name="People").click()
    page.get_by_label("Phone number, email or person id").fill("(617) 555-0124")
    page.get_by_role("button", name="Search").click()

    expect(page.locator("#person-detail .msg-inbound")).to_contain_text("rent control")
    expect(page.locator("#person-detail .idents")).to_contain_text("+16175550124")  # organizers see it all
    assert all("555" not in url for url in searches)  # the phone went in a body, not a URL
    assert console.unexpected() == []


def test_a_volunteer_with_a_phone_goes_on_shift_from_the_page(open_page: Any, live: Seeded) -> None:
    page, console = open_page(PHONE)
    status, body = api(live.base, "POST", "/api/users", ORGANIZER_TOKEN,
                       {"name": "Pat", "role": "volunteer", "phone": "+16175550777"})  # fmt: skip
    assert status == 201
    sign_in(page, live.base, body["token"])

    page.get_by_role("button", name="Go on shift").click()

    expect(page.locator("#shift-toggle")).to_have_text("On shift · go off")
    assert api_json(live.base, "GET", "/api/config", body["token"])["user"]["on_shift"] is True
    page.reload()
    expect(page.locator("#shift-toggle")).to_have_text("On shift · go off")  # from the server, not the page
    organizer, _ = open_page(DESKTOP)
    sign_in(organizer, live.base, ORGANIZER_TOKEN)
    organizer.get_by_role("button", name="Team").click()
    expect(organizer.locator("#shifts-list li").first).to_contain_text("Pat")
    expect(organizer.locator("#shifts-list li").first).to_contain_text("On shift")

    page.get_by_role("button", name="On shift · go off").click()
    expect(page.locator("#shift-toggle")).to_have_text("Go on shift")
    assert api_json(live.base, "GET", "/api/config", body["token"])["user"]["on_shift"] is False
    assert console.unexpected() == []
