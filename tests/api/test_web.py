"""The inbox page as HTTP: the app shell, its whitelisted assets, config, saved replies, people search."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.bootstrap import Container, use_container
from chalicelib.domain.model import Address
from chalicelib.domain.saved_replies import MAX_SAVED_REPLIES
from tests.support.signing import signed_twilio, sms_fields

JSON = {"Content-Type": "application/json"}
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


@pytest.fixture
def container(memory_container: Container) -> Iterator[Container]:
    """These routes only need the store's promises, which the contract suites hold the fake to."""
    from chalicelib.services.users import seed_organizer
    from tests.conftest import ORGANIZER_TOKEN

    seed_organizer(memory_container.users, memory_container.clock, ORGANIZER_TOKEN)
    use_container(memory_container)
    yield memory_container
    use_container(None)


@pytest.fixture
def client(container: Container) -> Iterator[Any]:
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="dev", project_dir=ROOT) as c:
        yield c


def volunteer_headers(client: Any, organizer_headers: dict[str, str], role: str = "volunteer") -> dict[str, str]:
    created = client.http.post(
        "/api/users", headers={**organizer_headers, **JSON}, body=json.dumps({"name": "Vi", "role": role})
    )
    return {"Authorization": f"Bearer {json.loads(created.body)['token']}"}


def test_root_serves_the_app_shell_with_a_strict_content_security_policy(client: Any) -> None:
    response = client.http.get("/")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    body = response.body.decode()
    assert '<base href="/">' in body
    assert '<script type="module" src="static/app.js"></script>' in body
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize(
    ("name", "content_type", "marker"),
    [
        ("app.js", "text/javascript; charset=utf-8", "import "),
        ("sms.js", "text/javascript; charset=utf-8", "GSM7_BASIC"),
        ("app.css", "text/css; charset=utf-8", ":root"),
        ("icons.svg", "image/svg+xml", "<symbol"),
    ],
)
def test_whitelisted_assets_are_served_with_their_content_type(
    client: Any, name: str, content_type: str, marker: str
) -> None:
    response = client.http.get(f"/static/{name}")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert marker in response.body.decode()


@pytest.mark.parametrize(
    "name", ["index.html", "..%2F..%2Fsettings.py", "%2E%2E%2Fapi%2Fweb.py", "app.js%00.css", "APP.JS", "nope.js"]
)
def test_anything_not_whitelisted_is_a_404(client: Any, name: str) -> None:
    response = client.http.get(f"/static/{name}")

    assert response.status_code == 404
    assert b"import" not in response.body


def test_every_file_the_page_references_is_whitelisted() -> None:
    from chalicelib.api.web import _GENERATED, ASSETS, WEB_DIR

    on_disk = {p.name for p in WEB_DIR.iterdir()} - {"index.html"}
    assert on_disk | set(_GENERATED) == set(ASSETS)


def test_config_needs_a_token(client: Any) -> None:
    assert client.http.get("/api/config").status_code == 401


def test_config_gives_the_campaign_the_vocabulary_and_the_user_but_no_secrets(
    client: Any, container: Container, organizer_headers: dict[str, str]
) -> None:
    headers = volunteer_headers(client, organizer_headers)

    response = client.http.get("/api/config", headers=headers)

    assert response.status_code == 200
    config = json.loads(response.body)
    assert config["campaign_name"] == "Jane for Council"
    assert config["issues"] == list(container.settings.issue_slugs)
    assert [level["level"] for level in config["support_levels"]] == [1, 2, 3, 4, 5]
    assert config["user"]["name"] == "Vi" and config["user"]["role"] == "volunteer"
    assert config["channels"]["whatsapp"]["reply_window_hours"] == 24
    assert config["channels"]["voice"]["reply_channel"] == "sms"
    assert container.settings.twilio_auth_token not in response.body.decode()


def test_organizers_save_list_replace_and_delete_saved_replies(client: Any, organizer_headers: dict[str, str]) -> None:
    headers = {**organizer_headers, **JSON}
    first = client.http.post(
        "/api/saved-replies", headers=headers, body=json.dumps({"title": " Polling place ", "text": "vote.org"})
    )
    again = client.http.post(
        "/api/saved-replies", headers=headers, body=json.dumps({"title": "polling  PLACE", "text": "vote.gov"})
    )
    client.http.post("/api/saved-replies", headers=headers, body=json.dumps({"title": "Answer", "text": "Thanks!"}))

    assert first.status_code == 201 and again.status_code == 201
    assert json.loads(first.body)["id"] == json.loads(again.body)["id"]
    listed = json.loads(client.http.get("/api/saved-replies", headers=organizer_headers).body)["saved_replies"]
    assert [(r["title"], r["text"]) for r in listed] == [("Answer", "Thanks!"), ("polling PLACE", "vote.gov")]

    reply_id = listed[0]["id"]
    assert client.http.delete(f"/api/saved-replies/{reply_id}", headers=organizer_headers).status_code == 204
    assert client.http.delete(f"/api/saved-replies/{reply_id}", headers=organizer_headers).status_code == 404
    listed = json.loads(client.http.get("/api/saved-replies", headers=organizer_headers).body)["saved_replies"]
    assert [r["title"] for r in listed] == ["polling PLACE"]


def test_volunteers_read_saved_replies_but_cannot_change_them(client: Any, organizer_headers: dict[str, str]) -> None:
    headers = volunteer_headers(client, organizer_headers)

    assert client.http.get("/api/saved-replies", headers=headers).status_code == 200
    posted = client.http.post(
        "/api/saved-replies", headers={**headers, **JSON}, body=json.dumps({"title": "x", "text": "y"})
    )
    assert posted.status_code == 403
    assert client.http.delete("/api/saved-replies/abc", headers=headers).status_code == 403
    assert json.loads(client.http.get("/api/saved-replies", headers=headers).body)["saved_replies"] == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("{not json", 400),
        (json.dumps({"title": "", "text": "x"}), 422),
        (json.dumps({"title": "   ", "text": "x"}), 422),
        (json.dumps({"title": "t", "text": "x" * 1601}), 422),
        (json.dumps({"title": "t" * 81, "text": "x"}), 422),
        (json.dumps({"title": "t"}), 422),
    ],
)
def test_bad_saved_replies_are_refused_and_nothing_is_stored(
    client: Any, organizer_headers: dict[str, str], body: str, status: int
) -> None:
    response = client.http.post("/api/saved-replies", headers={**organizer_headers, **JSON}, body=body)

    assert response.status_code == status
    assert json.loads(client.http.get("/api/saved-replies", headers=organizer_headers).body)["saved_replies"] == []


def test_the_number_of_saved_replies_is_capped(
    client: Any, container: Container, organizer_headers: dict[str, str]
) -> None:
    from chalicelib.domain.saved_replies import SavedReply, saved_reply_id

    for i in range(MAX_SAVED_REPLIES):
        title = f"reply {i}"
        container.saved_replies.put_saved_reply(
            SavedReply(id=saved_reply_id(title), title=title, text="x", created_by="u", created_at=container.clock())
        )
    headers = {**organizer_headers, **JSON}

    refused = client.http.post(
        "/api/saved-replies", headers=headers, body=json.dumps({"title": "one more", "text": "x"})
    )
    replaced = client.http.post(
        "/api/saved-replies", headers=headers, body=json.dumps({"title": "reply 0", "text": "y"})
    )

    assert refused.status_code == 422
    assert replaced.status_code == 201


def text_in(client: Any, sender: str, body: str, sid: str) -> None:
    headers, form = signed_twilio("/webhooks/twilio/sms", sms_fields(body, sid, sender))
    assert client.http.post("/webhooks/twilio/sms", headers=headers, body=form).status_code == 200


@pytest.mark.parametrize("query", ["+1 617-555-0123", "(617) 555-0123", "+16175550123"])
def test_organizers_find_a_person_by_phone_in_any_format(
    client: Any, container: Container, organizer_headers: dict[str, str], query: str
) -> None:
    text_in(client, "+16175550123", "Hello", "SM100")
    identity = container.people.find_identity(Address("phone", "+16175550123"))
    assert identity is not None

    response = client.http.post(
        "/api/people/search", headers={**organizer_headers, **JSON}, body=json.dumps({"q": query})
    )

    assert response.status_code == 200
    [person] = json.loads(response.body)["people"]
    assert person["id"] == identity.person_id and person["last_contact_channel"] == "sms"


def test_search_by_id_finds_the_person_and_unknowns_find_nobody(
    client: Any, container: Container, organizer_headers: dict[str, str]
) -> None:
    text_in(client, "+16175550123", "Hello", "SM101")
    identity = container.people.find_identity(Address("phone", "+16175550123"))
    assert identity is not None
    headers = {**organizer_headers, **JSON}

    def search(q: str) -> list[dict[str, Any]]:
        return json.loads(client.http.post("/api/people/search", headers=headers, body=json.dumps({"q": q})).body)[
            "people"
        ]

    assert [p["id"] for p in search(identity.person_id)] == [identity.person_id]
    assert search("+16175550999") == []
    assert search("nobody@example.org") == []
    assert search("not a phone, not an id") == []


def test_people_search_is_for_organizers_and_needs_a_query(client: Any, organizer_headers: dict[str, str]) -> None:
    headers = volunteer_headers(client, organizer_headers)

    assert client.http.post("/api/people/search", headers={**headers, **JSON}, body='{"q": "x"}').status_code == 403
    empty = client.http.post("/api/people/search", headers={**organizer_headers, **JSON}, body='{"q": ""}')
    assert empty.status_code == 422


def test_organizers_see_who_can_take_shifts_and_who_is_on_one(client: Any, organizer_headers: dict[str, str]) -> None:
    headers = {**organizer_headers, **JSON}
    for name, phone in (("Zoe", "+16175550701"), ("Abe", "+16175550702")):
        body = json.dumps({"name": name, "role": "volunteer", "phone": phone})
        assert client.http.post("/api/users", headers=headers, body=body).status_code == 201
    client.http.post("/api/users", headers=headers, body=json.dumps({"name": "No Phone", "role": "volunteer"}))
    zoe = volunteer_headers(client, organizer_headers)  # a fresh volunteer without a phone cannot shift
    assert client.http.get("/api/shifts", headers=zoe).status_code == 403

    staff = json.loads(client.http.get("/api/shifts", headers=organizer_headers).body)["staff"]

    assert [(s["name"], s["on_shift"]) for s in staff] == [("Abe", False), ("Zoe", False)]
    assert staff[0]["phone"] == "+1********02"  # masked
    assert "+16175550702" not in json.dumps(staff)


def test_config_says_whether_the_user_is_on_shift(client: Any, organizer_headers: dict[str, str]) -> None:
    body = json.dumps({"name": "Pat", "role": "volunteer", "phone": "+16175550777"})
    token = json.loads(client.http.post("/api/users", headers={**organizer_headers, **JSON}, body=body).body)["token"]
    headers = {"Authorization": f"Bearer {token}"}

    assert json.loads(client.http.get("/api/config", headers=headers).body)["user"]["on_shift"] is False
    client.http.post("/api/me/shift", headers={**headers, **JSON}, body=json.dumps({"on": True}))
    user = json.loads(client.http.get("/api/config", headers=headers).body)["user"]

    assert user["on_shift"] is True and user["phone"] is True
    assert "+16175550777" not in json.dumps(user)
