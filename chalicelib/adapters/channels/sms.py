"""SMS (and MMS, and WhatsApp through Twilio) on the campaign's Twilio number.

Inbound texts arrive on ``POST /webhooks/twilio/sms`` and are answered inline, in the TwiML
of the webhook's own response (no extra API call); status callbacks on
``POST /webhooks/twilio/status`` move sent messages forward. Replies go out through Twilio's
REST API, imported only when a message is really sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from pydantic import Field

from chalicelib.adapters.channels.base import (
    ChannelSpec,
    Delivery,
    HttpReply,
    MessagesRoute,
    RawRequest,
    TextRoute,
    part,
)
from chalicelib.adapters.channels.twilio import (
    FORM_CONTENT_TYPE,
    SECRETS,
    CallerForm,
    FormParams,
    TwilioSettings,
    _Form,
    _validated,
    verified_form,
)
from chalicelib.adapters.channels.whatsapp import WHATSAPP
from chalicelib.domain.channels import SMS, ChannelRules, define
from chalicelib.domain.inbound import InboundMessage
from chalicelib.domain.keywords import classify
from chalicelib.domain.model import PHONE, Message, MessageStatus
from chalicelib.services.delivery import StatusReport
from chalicelib.services.errors import NotConfiguredError
from chalicelib.services.ports.outbound import SendContext, SendError

if TYPE_CHECKING:
    from chalicelib.settings import CoreSettings

SMS_PATH = "/webhooks/twilio/sms"
STATUS_PATH = "/webhooks/twilio/status"
MAX_MEDIA = 10
OPTED_OUT_ERROR = "21610"  # "Attempt to send to unsubscribed recipient"

define(ChannelRules(SMS, address_kind=PHONE, van_contact_type="SMS Text"))


class SmsForm(CallerForm):
    message_sid: str = Field(alias="MessageSid", min_length=2, max_length=64)
    to: str = Field(default="", alias="To")
    body: str = Field(default="", alias="Body", max_length=4096)
    num_media: int = Field(default=0, alias="NumMedia", ge=0, le=MAX_MEDIA)
    opt_out_type: str | None = Field(default=None, alias="OptOutType")


def parse_sms(form: FormParams, received_at: datetime) -> InboundMessage:
    sms = _validated(SmsForm, form)
    media = tuple(form[f"MediaUrl{i}"] for i in range(sms.num_media) if form.get(f"MediaUrl{i}"))
    channel = WHATSAPP if sms.to.lower().startswith("whatsapp:") else SMS
    keyword = classify(sms.body, sms.opt_out_type) if channel == SMS else None
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
        channel=SMS,
        provider_id=report.message_sid,
        status=status,
        error_code=report.error_code or None,
        error_reason=report.error_message or None,
        recipient_opted_out=report.error_code == OPTED_OUT_ERROR,
    )


# Twilio errors that no retry can fix (https://www.twilio.com/docs/api/errors).
TWILIO_PERMANENT = {
    "21211": "invalid 'To' phone number",
    "21408": "permission to send to this region is not enabled",
    "21610": "the recipient has opted out (replied STOP)",
    "21612": "the 'To' number cannot be reached from the campaign number",
    "21614": "'To' number is not a mobile number",
    "21606": "the 'From' number cannot send messages",
    "21617": "message body exceeds the concatenated message limit",
    "30003": "unreachable destination handset",
    "30004": "message blocked",
    "30005": "unknown destination handset",
    "30006": "landline or unreachable carrier",
    "30007": "message filtered by the carrier",
}
OPTED_OUT_CODE = "21610"


class TwilioSmsSender:
    """SMS (and WhatsApp through Twilio) with Twilio's REST API."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        status_callback_url: str | None = None,
        client: Any = None,
    ) -> None:
        self._sid = account_sid
        self._token = auth_token
        self._from = from_number
        self._callback = status_callback_url
        self._client = client

    def _twilio(self) -> Any:
        if self._client is None:
            from twilio.rest import Client  # 100+ ms of import: only where messages are sent

            self._client = Client(self._sid, self._token)
        return self._client

    def send(self, message: Message, context: SendContext) -> str:
        if not message.address:
            raise SendError("no recipient address", permanent=True)
        prefix = "whatsapp:" if message.channel == WHATSAPP else ""
        kwargs: dict[str, Any] = {"to": prefix + message.address, "from_": prefix + self._from, "body": message.text}
        if self._callback:
            kwargs["status_callback"] = self._callback
        try:
            created = self._twilio().messages.create(**kwargs)
        except Exception as exc:  # twilio and requests errors are mapped below, nothing else is swallowed
            raise _twilio_error(exc) from exc
        return str(created.sid)


def _twilio_error(exc: Exception) -> SendError:
    from twilio.base.exceptions import TwilioRestException

    if isinstance(exc, TwilioRestException):
        code = str(exc.code) if exc.code is not None else None
        status = int(exc.status or 0)
        if code in TWILIO_PERMANENT:
            return SendError(
                f"Twilio {code}: {TWILIO_PERMANENT[code]}",
                code=code,
                permanent=True,
                recipient_opted_out=code == OPTED_OUT_CODE,
            )
        if status == 429 or status >= 500:
            return SendError(f"Twilio HTTP {status}: {exc.msg}", code=code)
        return SendError(f"Twilio HTTP {status}: {exc.msg}", code=code, permanent=status in range(400, 500))
    # Timeouts and connection errors: try again later.
    return SendError(f"{type(exc).__name__}: could not reach Twilio")


def _read_text(request: RawRequest, settings: CoreSettings, now: datetime) -> InboundMessage:
    twilio = part(settings, TwilioSettings)
    return parse_sms(verified_form(request, twilio.twilio_auth_token, settings.public_base_url), now)


def _read_status(request: RawRequest, settings: CoreSettings, now: datetime) -> Delivery:
    twilio = part(settings, TwilioSettings)
    report = parse_status(verified_form(request, twilio.twilio_auth_token, settings.public_base_url))
    return Delivery(statuses=[report] if report else [], ignored=0 if report else 1)


def _twiml(text: str | None) -> HttpReply:
    return HttpReply(twiml_message(text), content_type="text/xml")


def _sender(settings: CoreSettings) -> TwilioSmsSender:
    twilio = part(settings, TwilioSettings)
    if not (twilio.twilio_account_sid and twilio.twilio_auth_token and twilio.twilio_phone_number):
        raise NotConfiguredError(
            "Twilio is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_PHONE_NUMBER)"
        )
    return TwilioSmsSender(
        twilio.twilio_account_sid,
        twilio.twilio_auth_token,
        twilio.twilio_phone_number,
        status_callback_url=settings.public_base_url + STATUS_PATH,
    )


CHANNEL = ChannelSpec(
    rules=SMS.rules,
    label="SMS",
    colour="#1d4ed8",
    icon='<path fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round" d="M4 5h16v11H9l-5 4z"/>'
    '<path stroke="currentColor" stroke-width="2" stroke-linecap="round" d="M8 9.5h8M8 12.5h5"/>',
    sender=_sender,
    settings=TwilioSettings,
    secrets=SECRETS,
    routes=(
        TextRoute(SMS_PATH, _read_text, _twiml, (FORM_CONTENT_TYPE,), inbound_metric="sms"),
        MessagesRoute(STATUS_PATH, _read_status, content_types=(FORM_CONTENT_TYPE,)),
    ),
)
