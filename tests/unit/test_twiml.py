"""The SMS webhook's TwiML answer is exactly what Twilio's own MessagingResponse writes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from twilio.twiml.messaging_response import MessagingResponse

from chalicelib.adapters.channels.sms import twiml_message


def twilios(reply_text: str | None) -> str:
    response = MessagingResponse()
    if reply_text:
        response.message(reply_text)
    return str(response)


@pytest.mark.parametrize(
    "reply_text",
    [
        None,
        "",
        "Thanks, we got your message.",
        "Q&A <tonight> at 7 > 6, \"quoted\" and 'single'",
        "Line one\nLine two\r\n\ttabbed",
        "¡Gracias! Nous avons reçu votre message 👍",
        "&amp; already escaped",
        "]]> and <![CDATA[",
    ],
)
def test_answer_is_twilios_messaging_response(reply_text: str | None) -> None:
    assert twiml_message(reply_text) == twilios(reply_text)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",))))
def test_any_reply_text_is_written_as_twilio_writes_it(reply_text: str) -> None:
    assert twiml_message(reply_text) == twilios(reply_text)
