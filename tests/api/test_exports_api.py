"""GET /api/exports/people.csv, export jobs in S3 (moto), GET /api/stats."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

from chalicelib.bootstrap import Container
from chalicelib.domain.ids import new_id
from chalicelib.domain.model import Address, Direction, Message, MessageStatus
from tests.support.signing import signed_twilio, sms_fields

SMS = "/webhooks/twilio/sms"


def text_in(client: Any, text: str, sender: str) -> None:
    headers, body = signed_twilio(SMS, sms_fields(text, "SM" + new_id(), sender))
    assert client.http.post(SMS, headers=headers, body=body).status_code == 200


def person_of(container: Container, phone: str) -> str:
    identity = container.people.find_identity(Address("phone", phone))
    assert identity is not None
    return identity.person_id


def stance(client: Any, headers: dict[str, str], person_id: str, body: dict[str, Any]) -> None:
    response = client.http.post(f"/api/people/{person_id}/stance", headers={**headers, "Content-Type":
                                "application/json"}, body=json.dumps(body))  # fmt: skip
    assert response.status_code == 201, response.body


def seed(client: Any, container: Container, headers: dict[str, str]) -> None:
    text_in(client, "Count me in", "+16175550001")
    text_in(client, '=HYPERLINK("http://evil")', "+16175550002")
    text_in(client, "STOP", "+16175550003")
    stance(
        client, headers, person_of(container, "+16175550001"), {"support_level": 1, "issues": {"housing": "support"}}
    )
    stance(client, headers, person_of(container, "+16175550002"), {"support_level": 2, "note": "-2+3"})
    stance(client, headers, person_of(container, "+16175550003"), {"support_level": 2})
    container.people.update_person(person_of(container, "+16175550002"), {"first_name": "@evil"}, container.clock())


def get_csv(client: Any, headers: dict[str, str], query: str = "") -> Any:
    return client.http.get(f"/api/exports/people.csv{query}", headers=headers)


def test_export_is_csv_with_header_for_organizers_only(
    client: Any, container: Container, organizer_headers: dict[str, str]
) -> None:
    seed(client, container, organizer_headers)

    response = get_csv(client, organizer_headers)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.body.decode("utf-8")
    assert text.startswith("person_id,first_name,last_name,phone,email,zip,support_level,")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 3
    evil = next(r for r in rows if r["phone"] == "+16175550002")
    assert evil["first_name"] == "'@evil" and evil["stance_note"] == "'-2+3"
    assert client.http.get("/api/exports/people.csv").status_code == 401


def test_volunteers_cannot_export(client: Any, organizer_headers: dict[str, str]) -> None:
    made = client.http.post("/api/users", headers={**organizer_headers, "Content-Type": "application/json"},
                            body=json.dumps({"name": "V", "role": "volunteer"}))  # fmt: skip
    volunteer = {"Authorization": f"Bearer {json.loads(made.body)['token']}"}
    assert get_csv(client, volunteer).status_code == 403


def test_chase_list_in_van_format_leaves_out_the_opted_out(
    client: Any, container: Container, organizer_headers: dict[str, str]
) -> None:
    seed(client, container, organizer_headers)

    response = get_csv(client, organizer_headers, "?format=van&preset=chase")

    rows = list(csv.DictReader(io.StringIO(response.body.decode())))
    assert {r["Phone"] for r in rows} == {"+16175550001", "+16175550002"}
    assert {r["DoNotText"] for r in rows} == {"N"}
    everyone = list(csv.DictReader(io.StringIO(get_csv(client, organizer_headers, "?format=van").body.decode())))
    assert {r["DoNotText"] for r in everyone if r["Phone"] == "+16175550003"} == {"Y"}


def test_filters_and_bad_filters(client: Any, container: Container, organizer_headers: dict[str, str]) -> None:
    seed(client, container, organizer_headers)

    housing = get_csv(client, organizer_headers, "?issue=housing:support&channel=sms&format=actionnetwork")
    assert [r["phone"] for r in csv.DictReader(io.StringIO(housing.body.decode()))] == ["+16175550001"]
    future = get_csv(client, organizer_headers, "?since=2030-01-01T00:00:00Z")
    assert future.body.decode().count("\n") == 1  # the header only
    assert get_csv(client, organizer_headers, "?support=7").status_code == 422
    assert get_csv(client, organizer_headers, "?format=xlsx").status_code == 422


def test_too_large_an_export_points_to_export_jobs(
    client: Any, container: Container, organizer_headers: dict[str, str]
) -> None:
    seed(client, container, organizer_headers)
    container.settings = container.settings.model_copy(update={"export_inline_max_bytes": 300})

    response = get_csv(client, organizer_headers)

    assert response.status_code == 422
    assert "POST /api/exports" in json.loads(response.body)["Message"]


def test_export_job_writes_the_file_to_s3_and_links_to_it(
    client: Any, container: Container, organizer_headers: dict[str, str]
) -> None:
    seed(client, container, organizer_headers)
    headers = {**organizer_headers, "Content-Type": "application/json"}

    started = client.http.post("/api/exports", headers=headers, body=json.dumps({"format": "van", "support": [1, 2]}))

    assert started.status_code == 202
    job = json.loads(started.body)
    assert job["status"] == "queued" and job["url"] is None
    event = client.events.generate_sqs_event(message_bodies=[json.dumps({"job_id": job["id"]})],
                                             queue_name="hearback-exports")  # fmt: skip
    client.lambda_.invoke("export_worker", event)
    client.lambda_.invoke("export_worker", event)  # a redelivery changes nothing

    done = json.loads(client.http.get(f"/api/exports/{job['id']}", headers=organizer_headers).body)
    assert done["status"] == "done" and done["rows"] == 4  # 3 people, one with an issue row
    assert "X-Amz-Signature" in done["url"] and job["id"] in done["url"]
    stored = container.blobs.read(f"exports/{job['id']}/people-van.csv")  # type: ignore[union-attr]
    inline = get_csv(client, organizer_headers, "?format=van&support=1,2").body
    assert stored == inline
    assert client.http.get("/api/exports/nope", headers=organizer_headers).status_code == 404
    bad = client.http.post("/api/exports", headers=headers, body=json.dumps({"format": "pdf"}))
    assert bad.status_code == 422


def test_stats_for_organizers(client: Any, container: Container, organizer_headers: dict[str, str]) -> None:
    seed(client, container, organizer_headers)
    pid = person_of(container, "+16175550001")
    task_id = container.people.get_person(pid).open_task_id  # type: ignore[union-attr]
    task = container.tasks.get_task(task_id)
    assert task is not None
    container.messages.put_message(Message(
        id=new_id(), person_id=pid, direction=Direction.OUTBOUND, channel=task.channel, text="Thanks, Ana!",
        status=MessageStatus.QUEUED, created_at=task.created_at + timedelta(minutes=12), task_id=task_id,
        kind="reply", sent_by="u1",
    ))  # fmt: skip

    response = client.http.get("/api/stats", headers=organizer_headers)

    assert response.status_code == 200
    stats = json.loads(response.body)
    day = container.clock().date().isoformat()
    assert stats["inbound_by_day"] == {day: {"sms": 3}}
    assert stats["tasks"] == {**stats["tasks"], "open": 2, "overdue": 0}
    assert stats["first_human_reply"]["median_seconds"] == 720.0
    assert stats["first_human_reply"]["unanswered_tasks"] == 1
    assert stats["acknowledgement"]["acknowledged_tasks"] == 2
    assert stats["stance"]["by_level"] == {"lean_support": 2, "strong_support": 1}
    assert stats["stance"]["by_issue"] == {"housing": {"support": 1}}


def test_stats_come_from_a_snapshot_not_a_scan_per_call(
    client: Any, container: Container, clock: Any, organizer_headers: dict[str, str]
) -> None:
    text_in(client, "one", "+16175550001")
    first = json.loads(client.http.get("/api/stats", headers=organizer_headers).body)
    text_in(client, "two", "+16175550002")
    clock.advance(minutes=5)

    cached = json.loads(client.http.get("/api/stats", headers=organizer_headers).body)
    assert cached["computed_at"] == first["computed_at"] and cached["inbound_by_channel"] == {"sms": 1}
    assert cached["tasks"]["open"] == 2  # task counts are live

    client.lambda_.invoke("refresh_stats", client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]))  # fmt: skip
    refreshed = json.loads(client.http.get("/api/stats", headers=organizer_headers).body)
    assert refreshed["inbound_by_channel"] == {"sms": 2}
    clock.advance(hours=2)
    assert client.http.get("/api/stats", headers=organizer_headers).status_code == 200


def test_stats_need_an_organizer(client: Any) -> None:
    assert client.http.get("/api/stats").status_code == 401
