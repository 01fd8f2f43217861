"""Browser tests: the real app over HTTP (moto underneath) driven in Debian's chromium.

Playwright's own browser download needs a network, so the tests use /usr/bin/chromium
(``make test`` installs it through ``make browser-deps``) and skip with the reason when it
is missing. Screenshots of the main screens go to ``test-output/screenshots/``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from chalicelib.bootstrap import Container
from chalicelib.domain.model import Address
from tests.conftest import ORGANIZER_TOKEN, FakeClock
from tests.support.webapp import api, post_sms, serve_app

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}


@dataclass
class Seeded:
    """What the seed put in: person ids by phone, and the order the queue must show."""

    base: str
    people: dict[str, str] = field(default_factory=dict)
    due_order: list[str] = field(default_factory=list)  # phones, oldest due first


# (minutes ago, phone, text, whatsapp?)
CONVERSATIONS: list[tuple[int, str, str, bool]] = [
    (22 * 60 + 30, "+16175550126", "Where do I vote on Tuesday? I moved in September.", True),
    (180, "+16175550123", "Hi, the 7 bus hasn't come on time all week. What is Jane going to do about transit?", False),
    (100, "+16175550124", "Is Jane for rent control? My rent went up 20% this year.", False),
    (40, "+16175550125", "Please stop texting me", False),
    (12, "+16175550127", "Thanks for the street meeting! Can I get a yard sign for my front lawn?", False),
]


# Names an organizer typed in (Twilio does not send names).
NAMES = {"+16175550123": ("Maria", "Lopez"), "+16175550124": ("Dev", "Patel"), "+16175550126": ("Sam", "Okafor")}


def seed(base: str, container: Container) -> Seeded:
    """Constituents text in (signed webhooks) at staggered times, then the clock runs for real."""
    now = datetime.now(UTC)
    seeded = Seeded(base=base)
    for n, (minutes, phone, text, whatsapp) in enumerate(CONVERSATIONS):
        clock = FakeClock(now - timedelta(minutes=minutes))
        container.clock = clock
        post_sms(base, text, f"SM{n:032d}", phone, whatsapp=whatsapp)
        if phone == "+16175550125":
            clock.advance(minutes=1)
            post_sms(base, "STOP", f"SM{n + 100:032d}", phone)
        identity = container.people.find_identity(Address("phone", phone))
        assert identity is not None
        seeded.people[phone] = identity.person_id
        seeded.due_order.append(phone)
    container.clock = lambda: datetime.now(UTC)
    for phone, (first, last) in NAMES.items():
        api_json(base, "PATCH", f"/api/people/{seeded.people[phone]}", payload={"first_name": first, "last_name": last})
    return seeded


@pytest.fixture
def live(container: Container) -> Iterator[Seeded]:
    with serve_app() as base:
        yield seed(base, container)


def new_user(base: str, name: str, role: str = "volunteer") -> str:
    status, body = api(base, "POST", "/api/users", ORGANIZER_TOKEN, {"name": name, "role": role})
    assert status == 201, body
    return str(body["token"])


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


class Console:
    """Console errors and uncaught exceptions of a page; tests assert there are none."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))

    def unexpected(self, *allowed: str) -> list[str]:
        return [e for e in self.errors if not any(a in e for a in allowed)]


@pytest.fixture
def open_page(browser: Any, live: Seeded) -> Iterator[Any]:
    """``open_page(viewport)`` -> (page, console): a fresh browser context (own sessionStorage)."""
    contexts: list[Any] = []

    def make(viewport: dict[str, int] = PHONE) -> tuple[Any, Console]:
        context = browser.new_context(viewport=viewport, accept_downloads=True)
        context.set_default_timeout(15000)
        contexts.append(context)
        page = context.new_page()
        # No request may leave the machine: anything not our server fails the test.
        outside: list[str] = []
        page.on(
            "request", lambda r: outside.append(r.url) if not r.url.startswith((live.base, "data:", "blob:")) else None
        )
        page.outside = outside
        return page, Console(page)

    yield make
    for context in contexts:
        context.close()


def sign_in(page: Any, base: str, token: str) -> None:
    page.goto(base + "/")
    page.get_by_label("Access token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("#topbar:not([hidden])")


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    # Toasts fade anyway; the sticky header belongs at the top of a full-page picture.
    page.evaluate("document.getElementById('toasts').replaceChildren(); window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=True)
    return path


def api_json(base: str, method: str, path: str, token: str = ORGANIZER_TOKEN, payload: Any = None) -> Any:
    status, body = api(base, method, path, token, payload)
    assert status < 300, (status, json.dumps(body))
    return body
