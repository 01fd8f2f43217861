"""Phone numbers are stored E.164, whatever shape a provider or a person gives them."""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "US"


class InvalidPhoneNumber(ValueError):
    pass


def to_e164(raw: str, region: str = DEFAULT_REGION) -> str:
    candidate = raw.strip()
    if candidate.lower().startswith("whatsapp:"):
        candidate = candidate[len("whatsapp:") :]
    try:
        parsed = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(f"not a phone number: {exc}") from None
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidPhoneNumber("not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mask(e164: str) -> str:
    """What volunteers and logs see: country code and last two digits."""
    if len(e164) <= 6:
        return "***"
    return e164[:2] + "*" * (len(e164) - 4) + e164[-2:]
