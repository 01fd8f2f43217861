"""Twilio: its settings and secrets, request signatures and form parsing, shared by the SMS
and voice channels.

Only the validator is imported here: ``twilio.rest`` (100+ ms of import) is for the sender,
never the webhook path.
"""

from __future__ import annotations

from typing import TypeVar
from urllib.parse import parse_qsl

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from twilio.request_validator import RequestValidator

from chalicelib.adapters.channels.base import RawRequest
from chalicelib.domain.phones import InvalidPhoneNumber, to_e164
from chalicelib.services.errors import BadRequestError, NotConfiguredError, SignatureError

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


class TwilioSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_phone_number: str | None = None


SECRETS = {
    "TWILIO_ACCOUNT_SID": "Twilio account SID (AC...)",
    "TWILIO_AUTH_TOKEN": "Twilio auth token: signs webhooks, authenticates sends",
    "TWILIO_PHONE_NUMBER": "the campaign number, E.164",
}


class FormParams(dict[str, str]):
    """Decoded form fields; ``getall`` lets Twilio's validator see repeated names."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__()
        self._all: dict[str, list[str]] = {}
        for name, value in pairs:
            self._all.setdefault(name, []).append(value)
            self.setdefault(name, value)

    def getall(self, name: str) -> list[str]:
        return self._all.get(name, [])


def verified_form(request: RawRequest, auth_token: str | None, public_base_url: str) -> FormParams:
    """Parse the form and check ``X-Twilio-Signature`` against the configured public URL.

    The URL is ``PUBLIC_BASE_URL`` + path (+ ``?`` + query): never rebuilt from Host or
    X-Forwarded-* headers, which a caller controls.
    """
    if not auth_token:
        raise NotConfiguredError("Twilio is not configured (TWILIO_AUTH_TOKEN)")
    text = request.text()
    try:
        # Blank values are part of what Twilio signed, so they are kept.
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False)
    except ValueError:
        raise BadRequestError("request body is not a form") from None
    form = FormParams(pairs)
    signature = request.header("X-Twilio-Signature")
    if not signature:
        raise SignatureError("missing X-Twilio-Signature")
    url = public_base_url + request.path + (f"?{request.query}" if request.query else "")
    if not RequestValidator(auth_token).validate(url, form, signature):
        raise SignatureError("X-Twilio-Signature does not match")
    return form


class _Form(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)


class CallerForm(_Form):
    """What every Twilio request says about the person: their number (stored E.164) and
    the geography Twilio looked up for it."""

    from_: str = Field(alias="From", min_length=1)
    from_zip: str | None = Field(default=None, alias="FromZip")
    from_city: str | None = Field(default=None, alias="FromCity")
    from_state: str | None = Field(default=None, alias="FromState")
    from_country: str | None = Field(default=None, alias="FromCountry")

    @field_validator("from_")
    @classmethod
    def _e164(cls, value: str) -> str:
        try:
            return to_e164(value)
        except InvalidPhoneNumber as exc:
            raise ValueError(str(exc)) from None

    @property
    def geo(self) -> dict[str, str]:
        fields = {
            "from_zip": self.from_zip,
            "from_city": self.from_city,
            "from_state": self.from_state,
            "from_country": self.from_country,
        }
        return {k: v for k, v in fields.items() if v}


M = TypeVar("M", bound=BaseModel)


def _validated(model: type[M], form: FormParams) -> M:
    try:
        return model.model_validate(dict(form))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}" for err in exc.errors())
        raise BadRequestError(f"invalid Twilio request: {problems}") from None
