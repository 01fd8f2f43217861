"""Whatever a correctly signed request carries, a channel webhook never answers 5xx.

Each test signs arbitrary JSON or bytes with the channel's secret (verification stays on)
and throws it at the webhook; the in-memory store keeps the examples fast.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from chalicelib.bootstrap import Container, use_container
from chalicelib.config import Settings
from tests.fakes import InMemoryQueue, in_memory_stores
from tests.support.channels import TOPIC_ARN, channel_settings, meta_headers, x_headers
from tests.support.signing import FORM, twilio_signature

FUZZ = hsettings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=25,
)
# Mostly well-shaped values (so examples reach the store), sometimes anything at all.
ids = st.text(min_size=1, max_size=12) | st.text(max_size=2) | st.integers()
texts = st.text(max_size=30) | json_values
messaging = st.fixed_dictionaries(
    {
        "sender": st.fixed_dictionaries({"id": ids}) | json_values,
        "message": st.fixed_dictionaries({"mid": ids, "text": texts}, optional={"is_echo": st.booleans()})
        | json_values,
    },
    optional={"postback": json_values, "delivery": json_values, "read": json_values},
)
wa_message = st.fixed_dictionaries(
    {
        "from": st.from_regex(r"1[2-9]\d{9}", fullmatch=True) | st.text(max_size=16),
        "id": ids,
        "type": st.sampled_from(["text", "image", "reaction", "interactive", "button"]) | st.text(max_size=10),
    },
    optional={
        "text": st.fixed_dictionaries({"body": texts}) | json_values,
        "interactive": json_values,
        "image": json_values,
    },
)
wa_value = st.fixed_dictionaries(
    {},
    optional={
        "messages": st.lists(wa_message, max_size=3),
        "statuses": st.lists(
            st.fixed_dictionaries({"id": ids, "status": st.sampled_from(["sent", "delivered", "read", "failed", "x"])})
            | json_values,
            max_size=2,
        ),
        "contacts": st.lists(json_values, max_size=2),
    },
)
entries = st.fixed_dictionaries(
    {},
    optional={
        "messaging": st.lists(messaging, max_size=3) | json_values,
        "changes": st.lists(st.fixed_dictionaries({"value": wa_value | json_values}), max_size=2),
    },
)
meta_payloads = (
    st.fixed_dictionaries(
        {
            "object": st.sampled_from(["page", "instagram", "whatsapp_business_account", "other"])
            | st.text(max_size=5),
            "entry": st.lists(entries | json_values, max_size=3),
        }
    )
    | json_values
)
dm_events = st.fixed_dictionaries(
    {"type": st.sampled_from(["message_create", "x"]), "id": ids},
    optional={
        "message_create": st.fixed_dictionaries(
            {"sender_id": ids, "message_data": st.fixed_dictionaries({"text": texts}) | json_values}
        )
        | json_values
    },
)
x_payloads = (
    st.fixed_dictionaries(
        {},
        optional={
            "for_user_id": ids,
            "direct_message_events": st.lists(dm_events | json_values, max_size=3) | json_values,
            "users": json_values,
        },
    )
    | json_values
)
bodies = st.binary(max_size=300) | meta_payloads.map(lambda v: json.dumps(v).encode())


@pytest.fixture
def fuzz_client(settings: Settings, clock: Any) -> Iterator[Any]:
    from chalice.test import Client

    from app import app

    container = Container(
        settings=channel_settings(settings), stores=in_memory_stores(), queue=InMemoryQueue(), clock=clock
    )
    use_container(container)
    try:
        with Client(
            app, stage_name="dev", project_dir=os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
        ) as c:
            yield c
    finally:
        use_container(None)


def assert_handled(response: Any) -> None:
    assert response.status_code < 500, response.body


@FUZZ
@given(payload=meta_payloads)
def test_meta_never_fails_on_signed_json(fuzz_client: Any, payload: Any) -> None:
    body = json.dumps(payload).encode()
    assert_handled(fuzz_client.http.post("/webhooks/meta", headers=meta_headers(body), body=body))


@FUZZ
@given(body=bodies)
def test_meta_never_fails_on_signed_bytes(fuzz_client: Any, body: bytes) -> None:
    assert_handled(fuzz_client.http.post("/webhooks/meta", headers=meta_headers(body), body=body))


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(["hub.mode", "hub.verify_token", "hub.challenge", "x"]), st.text(max_size=20)
    )
)
def test_meta_handshake_never_fails(fuzz_client: Any, params: dict[str, str]) -> None:
    assert_handled(fuzz_client.http.get("/webhooks/meta?" + urlencode(params) if params else "/webhooks/meta"))


@FUZZ
@given(payload=x_payloads)
def test_x_never_fails_on_signed_json(fuzz_client: Any, payload: Any) -> None:
    body = json.dumps(payload).encode()
    assert_handled(fuzz_client.http.post("/webhooks/x", headers=x_headers(body), body=body))


@FUZZ
@given(body=st.binary(max_size=300), token=st.text(max_size=40))
def test_x_never_fails_on_signed_bytes_or_any_crc_token(fuzz_client: Any, body: bytes, token: str) -> None:
    assert_handled(fuzz_client.http.post("/webhooks/x", headers=x_headers(body), body=body))
    assert_handled(fuzz_client.http.get("/webhooks/x?" + urlencode({"crc_token": token})))


voice_fields = st.dictionaries(
    st.sampled_from(
        [
            "CallSid",
            "From",
            "RecordingUrl",
            "RecordingDuration",
            "RecordingSid",
            "TranscriptionText",
            "TranscriptionStatus",
            "FromZip",
            "Digits",
        ]
    ),
    st.text(max_size=30) | st.sampled_from(["+16175550123", "CA" + "1" * 32, "0", "-3", "completed"]),
)


@FUZZ
@given(
    path=st.sampled_from(
        ["/webhooks/twilio/voice", "/webhooks/twilio/voice/recording", "/webhooks/twilio/voice/transcription"]
    ),
    fields=voice_fields,
)
def test_voice_never_fails_on_signed_forms(fuzz_client: Any, path: str, fields: dict[str, str]) -> None:
    body = urlencode(fields)
    headers = {"Content-Type": FORM, "X-Twilio-Signature": twilio_signature(path, body)}
    assert_handled(fuzz_client.http.post(path, headers=headers, body=body))


notifications = json_values | st.fixed_dictionaries(
    {"notificationType": st.sampled_from(["Received", "Bounce", "Complaint", "Other"])},
    optional={
        "mail": json_values | st.fixed_dictionaries({"messageId": ids, "source": st.text(max_size=20)}),
        "content": st.text(max_size=200)
        | st.sampled_from(["From: a@b.c\r\n\r\nhi", "From: <>\r\nMessage-ID: <x>\r\n\r\n"]),
        "receipt": json_values,
        "bounce": json_values,
        "complaint": json_values,
    },
)


@FUZZ
@given(notification=notifications, raw=st.none() | st.text(max_size=100))
def test_email_handler_never_raises(fuzz_client: Any, notification: Any, raw: str | None) -> None:
    message = raw if raw is not None else json.dumps(notification)
    record = {
        "Sns": {"TopicArn": TOPIC_ARN, "MessageId": "m", "Subject": "", "MessageAttributes": {}, "Message": message}
    }
    fuzz_client.lambda_.invoke("inbound_email", {"Records": [record]})


# Well-formed envelopes with arbitrary content: these reach the store, and must all be taken.
words = st.text(max_size=60)
some_ids = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40)
good_messenger = st.builds(
    lambda sender, mid, text, echo: {"sender": {"id": sender}, "message": {"mid": mid, "text": text, "is_echo": echo}},
    some_ids,
    some_ids,
    words,
    st.booleans(),
)
good_wa = st.builds(
    lambda number, wamid, text: {"from": number, "id": wamid, "type": "text", "text": {"body": text}},
    st.from_regex(r"1[2-9]\d{2}[2-9]\d{6}", fullmatch=True),
    some_ids,
    words,
)
good_meta = st.one_of(
    st.builds(
        lambda obj, events: {"object": obj, "entry": [{"id": "1", "messaging": events}]},
        st.sampled_from(["page", "instagram"]),
        st.lists(good_messenger, min_size=1, max_size=4),
    ),
    st.builds(
        lambda messages: {
            "object": "whatsapp_business_account",
            "entry": [{"changes": [{"value": {"messages": messages}}]}],
        },
        st.lists(good_wa, min_size=1, max_size=4),
    ),
)
good_x = st.builds(
    lambda events: {"for_user_id": "4337869213", "direct_message_events": events},
    st.lists(
        st.builds(
            lambda eid, sender, text: {
                "type": "message_create",
                "id": eid,
                "message_create": {"sender_id": sender, "message_data": {"text": text}},
            },
            st.from_regex(r"[0-9]{1,19}", fullmatch=True),
            st.from_regex(r"[0-9]{1,19}", fullmatch=True),
            words,
        ),
        min_size=1,
        max_size=4,
    ),
)


@FUZZ
@given(payload=good_meta)
def test_meta_takes_every_well_formed_batch(fuzz_client: Any, payload: Any) -> None:
    body = json.dumps(payload).encode()
    response = fuzz_client.http.post("/webhooks/meta", headers=meta_headers(body), body=body)
    assert response.status_code == 200, response.body


@FUZZ
@given(payload=good_x)
def test_x_takes_every_well_formed_batch(fuzz_client: Any, payload: Any) -> None:
    body = json.dumps(payload).encode()
    response = fuzz_client.http.post("/webhooks/x", headers=x_headers(body), body=body)
    assert response.status_code == 200, response.body
