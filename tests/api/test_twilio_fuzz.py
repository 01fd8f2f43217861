"""Whatever arrives at the SMS webhook, signed or not, the answer is never a 5xx."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.signing import FORM, sms_fields, twilio_signature

SMS = "/webhooks/twilio/sms"
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

texts = st.text(max_size=60)
forms = st.dictionaries(st.sampled_from(["From", "MessageSid", "Body", "NumMedia", "OptOutType", "To", "FromZip",
                                         "MediaUrl0", "x"]) | texts, texts, max_size=8)  # fmt: skip


@FUZZ
@given(form=forms)
def test_signed_arbitrary_forms_never_fail_the_server(client: Any, form: dict[str, str]) -> None:
    body = urlencode(form)
    headers = {"Content-Type": FORM, "X-Twilio-Signature": twilio_signature(SMS, body)}
    response = client.http.post(SMS, headers=headers, body=body)
    assert response.status_code < 500, response.body


@FUZZ
@given(overrides=st.dictionaries(st.sampled_from(["From", "Body", "NumMedia", "OptOutType", "MessageSid"]), texts))
def test_signed_sms_with_arbitrary_values_is_answered_or_refused_cleanly(
    client: Any, overrides: dict[str, str]
) -> None:
    body = urlencode({**sms_fields("hi", "SM" + "f" * 32), **overrides})
    headers = {"Content-Type": FORM, "X-Twilio-Signature": twilio_signature(SMS, body)}
    response = client.http.post(SMS, headers=headers, body=body)
    assert response.status_code in (200, 400, 409), response.body


@FUZZ
@given(raw=st.binary(max_size=300), signature=st.text(max_size=40))
def test_arbitrary_bytes_never_fail_the_server(client: Any, raw: bytes, signature: str) -> None:
    headers = {"Content-Type": FORM, "X-Twilio-Signature": signature.encode("ascii", "ignore").decode()}
    response = client.http.post(SMS, headers=headers, body=raw)
    assert 400 <= response.status_code < 500
