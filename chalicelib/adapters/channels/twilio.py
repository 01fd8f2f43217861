"""Twilio Messaging webhooks: signature checks, form parsing and TwiML answers.

Only the validator is imported here: ``twilio.rest`` (100+ ms of import) is
for the sender, never the webhook path.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from twilio.request_validator import RequestValidator

from chalicelib.adapters.channels.base import RawRequest
from chalicelib.domain.inbound import InboundMessage
from chalicelib.domain.keywords import classify
from chalicelib.domain.model import Channel, MessageStatus
from chalicelib.domain.phones import InvalidPhoneNumber, to_e164
from chalicelib.services.delivery import StatusReport
from chalicelib.services.errors import BadRequestError, NotConfiguredError, SignatureError

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
MAX_MEDIA = 10
OPTED_OUT_ERROR = "21610"  # "Attempt to send to unsubscribed recipient"


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


class SmsForm(CallerForm):
    message_sid: str = Field(alias="MessageSid", min_length=2, max_length=64)
    to: str = Field(default="", alias="To")
    body: str = Field(default="", alias="Body", max_length=4096)
    num_media: int = Field(default=0, alias="NumMedia", ge=0, le=MAX_MEDIA)
    opt_out_type: str | None = Field(default=None, alias="OptOutType")


M = TypeVar("M", bound=BaseModel)


def _validated(model: type[M], form: FormParams) -> M:
    try:
        return model.model_validate(dict(form))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}" for err in exc.errors())
        raise BadRequestError(f"invalid Twilio request: {problems}") from None


def parse_sms(form: FormParams, received_at: datetime) -> InboundMessage:
    sms = _validated(SmsForm, form)
    media = tuple(form[f"MediaUrl{i}"] for i in range(sms.num_media) if form.get(f"MediaUrl{i}"))
    channel = Channel.WHATSAPP if sms.to.lower().startswith("whatsapp:") else Channel.SMS
    keyword = classify(sms.body, sms.opt_out_type) if channel is Channel.SMS else None
    return InboundMessage(
        channel=channel,
        provider_id=sms.message_sid,
        address=sms.from_,
        text=sms.body,
        received_at=received_at,
        media_urls=media,
        meta={**sms.geo, "to": sms.to} if sms.to else sms.geo,
        keyword=keyword,
        keyword_answered_by_provider=bool(sms.opt_out_type),
        answers_inline=True,
    )


_TWIML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


def twiml_message(reply_text: str | None) -> str:
    """The TwiML answer: ``str(MessagingResponse())`` with at most one ``<Message>``.

    Written out rather than built as an ElementTree (25-50 us per webhook, warm); the
    text is escaped as ElementTree escapes it, and a test holds the output to Twilio's.
    """
    if not reply_text:
        return _TWIML_DECLARATION + "<Response />"
    return f"{_TWIML_DECLARATION}<Response><Message>{escape(reply_text)}</Message></Response>"


class StatusForm(_Form):
    message_sid: str = Field(alias="MessageSid", min_length=2, max_length=64)
    message_status: str = Field(alias="MessageStatus", min_length=1)
    error_code: str | None = Field(default=None, alias="ErrorCode")
    error_message: str | None = Field(default=None, alias="ErrorMessage")


# Twilio's statuses onto ours; "receiving"/"received" describe inbound messages and are ignored.
_STATUS = {
    "accepted": MessageStatus.QUEUED,
    "scheduled": MessageStatus.QUEUED,
    "queued": MessageStatus.QUEUED,
    "sending": MessageStatus.SENDING,
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "partially_delivered": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
    "canceled": MessageStatus.FAILED,
    "read": MessageStatus.READ,
}


def parse_status(form: FormParams) -> StatusReport | None:
    report = _validated(StatusForm, form)
    status = _STATUS.get(report.message_status.lower())
    if status is None:
        return None
    return StatusReport(
        channel=Channel.SMS,
        provider_id=report.message_sid,
        status=status,
        error_code=report.error_code or None,
        error_reason=report.error_message or None,
        recipient_opted_out=report.error_code == OPTED_OUT_ERROR,
    )
