from __future__ import annotations

import pytest

from chalicelib.domain.keywords import Keyword, classify
from chalicelib.domain.phones import InvalidPhoneNumber, mask, to_e164


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("STOP", Keyword.OPT_OUT),
        (" stopall ", Keyword.OPT_OUT),
        ("Revoke", Keyword.OPT_OUT),
        ("END", Keyword.OPT_OUT),
        ("start", Keyword.OPT_IN),
        ("Yes", Keyword.OPT_IN),
        ("UNSTOP", Keyword.OPT_IN),
        ("help", Keyword.HELP),
        ("INFO", Keyword.HELP),
        ("we have got to STOP this bill", None),
        ("stop.", None),
        ("", None),
    ],
)
def test_only_the_whole_body_is_a_keyword(body: str, expected: Keyword | None) -> None:
    assert classify(body) is expected


def test_twilio_opt_out_type_wins_over_the_body() -> None:
    # Advanced Opt-Out may recognise custom keywords the app does not know.
    assert classify("arret", "STOP") is Keyword.OPT_OUT
    assert classify("stop", "START") is Keyword.OPT_IN


@pytest.mark.parametrize("raw", ["+1 (617) 555-0199", "617-555-0199", "whatsapp:+16175550199", "16175550199"])
def test_numbers_normalise_to_e164(raw: str) -> None:
    assert to_e164(raw) == "+16175550199"


@pytest.mark.parametrize("raw", ["hello", "12", ""])
def test_garbage_is_not_a_number(raw: str) -> None:
    with pytest.raises(InvalidPhoneNumber):
        to_e164(raw)


def test_masking_keeps_only_country_code_and_last_two_digits() -> None:
    assert mask("+16175550199") == "+1********99"
