"""Email's MIME work: SES notifications read, replies threaded and sent with SES.

Imported by :mod:`.email` on the first mail or send, so no other function pays for the
standard library's ``email`` and HTML parsers at cold start.


SES puts the whole message (up to 150 KB) in the SNS notification's ``content`` when the
receipt rule's action is SNS. SNS invokes the Lambda directly (no HTTP), so the Lambda's
subscription is the trust boundary; the topic ARN is still checked when configured.
MIME is read with the standard library's ``email`` package: plain text is preferred, HTML is
turned into text, quoted earlier messages and signatures are cut, attachments are listed by
name and never stored.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalicelib.domain.channels import Channel
from chalicelib.domain.inbound import InboundMessage
from chalicelib.domain.model import Message, MessageKind
from chalicelib.services.ports.outbound import SendContext, SendError

log = logging.getLogger(__name__)

MAX_TEXT = 20_000
MAX_ATTACHMENTS_LISTED = 20
TOO_LARGE = "(email too large to include here: read it in the campaign mailbox)"


# -- SNS / SES notification models ---------------------------------------------------------
class _M(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)


class SnsPart(_M):
    type: str = Field(default="Notification", alias="Type")
    message_id: str = Field(default="", alias="MessageId")
    topic_arn: str = Field(default="", alias="TopicArn")
    message: str = Field(alias="Message")


class SnsRecord(_M):
    sns: SnsPart = Field(alias="Sns")


class Header(_M):
    name: str
    value: str


class Mail(_M):
    message_id: str = Field(default="", alias="messageId", max_length=256)
    source: str = ""
    headers: list[Header] = Field(default_factory=list)
    common_headers: dict[str, Any] = Field(default_factory=dict, alias="commonHeaders")


class ReceiptAction(_M):
    encoding: str = "UTF8"


class Receipt(_M):
    action: ReceiptAction = Field(default_factory=ReceiptAction)


class Recipient(_M):
    email_address: str = Field(alias="emailAddress")


class Bounce(_M):
    bounce_type: str = Field(default="", alias="bounceType")
    bounced_recipients: list[Recipient] = Field(default_factory=list, alias="bouncedRecipients")


class Complaint(_M):
    complained_recipients: list[Recipient] = Field(default_factory=list, alias="complainedRecipients")


class Notification(_M):
    notification_type: str | None = Field(default=None, alias="notificationType")
    event_type: str | None = Field(default=None, alias="eventType")
    mail: Mail = Field(default_factory=Mail)
    receipt: Receipt = Field(default_factory=Receipt)
    content: str | None = None
    bounce: Bounce | None = None
    complaint: Complaint | None = None

    @property
    def kind(self) -> str:
        return self.notification_type or self.event_type or ""


@dataclass
class EmailBatch:
    messages: list[InboundMessage] = field(default_factory=list)
    suppress: list[str] = field(default_factory=list)  # bounced or complaining addresses
    ignored: int = 0
    invalid: int = 0


def parse_sns_event(event: Any, topic_arn: str | None, received_at: datetime, channel: Channel) -> EmailBatch:
    """Every record of a Lambda SNS event; a bad record is counted and skipped, never raised."""
    batch = EmailBatch()
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        batch.invalid += 1
        return batch
    for raw in records:
        try:
            record = SnsRecord.model_validate(raw)
            if topic_arn and record.sns.topic_arn != topic_arn:
                log.warning("email: notification from an unexpected topic skipped")
                batch.ignored += 1
                continue
            notification = Notification.model_validate(json.loads(record.sns.message))
        except (ValidationError, ValueError, RecursionError):
            batch.invalid += 1
            continue
        _apply(notification, received_at, batch, channel)
    if batch.invalid:
        log.warning("email: %d notification(s) could not be parsed and were skipped", batch.invalid)
    return batch


def _apply(n: Notification, received_at: datetime, batch: EmailBatch, channel: Channel) -> None:
    kind = n.kind.lower()
    if kind == "bounce" and n.bounce is not None:
        # A transient bounce (mailbox full, out of office) is not a reason to stop writing.
        if n.bounce.bounce_type.lower() == "permanent":
            batch.suppress += [_address(r.email_address) for r in n.bounce.bounced_recipients]
        else:
            batch.ignored += 1
        return
    if kind == "complaint" and n.complaint is not None:
        batch.suppress += [_address(r.email_address) for r in n.complaint.complained_recipients]
        return
    if kind != "received":
        batch.ignored += 1
        return
    message = parse_received(n, received_at, channel)
    if message is None:
        batch.invalid += 1
    else:
        batch.messages.append(message)


def _address(raw: str) -> str:
    return parseaddr(raw)[1].strip().lower()


def parse_received(n: Notification, received_at: datetime, channel: Channel) -> InboundMessage | None:
    mime = _mime(n)
    headers: dict[str, str] = {h.name.lower(): h.value for h in n.mail.headers}
    if mime is not None:
        headers |= {k.lower(): str(v) for k, v in mime.items()}
    name, address = parseaddr(headers.get("from") or n.mail.source)
    address = address.strip().lower()
    if "@" not in address or len(address) > 254:
        return None
    message_id = (headers.get("message-id") or "").strip()[:256]
    provider_id = message_id or n.mail.message_id
    if not provider_id:
        return None
    subject = str(headers.get("subject") or n.mail.common_headers.get("subject") or "")[:300]
    if mime is not None:
        body, attachments = extract_text(mime)
        text = clean_reply(body)
    else:
        text, attachments = TOO_LARGE, []
    meta = {"subject": subject, "message_id": message_id}
    references = " ".join(filter(None, [headers.get("references", "").strip(), message_id]))
    if references:
        meta["references"] = references[-2000:]
    if attachments:
        meta["attachments"] = ", ".join(attachments[:MAX_ATTACHMENTS_LISTED])
    robot = automated_reason(headers, subject, n.mail.source)
    if robot:
        meta["automated"] = robot
    first, last = _names(name)
    return InboundMessage(
        channel=channel,
        provider_id=provider_id,
        address=address,
        text=(text or subject or "(empty email)")[:MAX_TEXT],
        received_at=received_at,
        meta={k: v for k, v in meta.items() if v},
        automated=bool(robot),
        first_name=first,
        last_name=last,
    )


def _mime(n: Notification) -> EmailMessage | None:
    if not n.content:
        return None
    if n.receipt.action.encoding.upper() == "BASE64":
        try:
            raw = base64.b64decode(n.content, validate=False)
        except (binascii.Error, ValueError):
            return None
    else:
        raw = n.content.encode("utf-8", "surrogateescape")
    parsed = message_from_bytes(raw, policy=policy.default)
    return parsed if isinstance(parsed, EmailMessage) else None


def _names(name: str) -> tuple[str | None, str | None]:
    name = name.strip().strip('"')
    if not name or "@" in name:
        return None, None
    first, _, last = name.partition(" ")
    return first[:80], (last.strip()[:80] or None)


# -- robots -------------------------------------------------------------------------------
AUTO_SUBJECT = re.compile(r"^\s*(auto(matic)?[ -]?reply|out of (the )?office|autoresponse|abwesenheit)\b", re.I)


def automated_reason(headers: dict[str, str], subject: str, source: str) -> str | None:
    """Why a message came from a robot (RFC 3834 and common practice), or None for a person."""
    auto = headers.get("auto-submitted", "").strip().lower()
    if auto and auto != "no":
        return f"auto-submitted: {auto[:40]}"
    if headers.get("precedence", "").strip().lower() in {"bulk", "list", "junk", "auto_reply"}:
        return "precedence: " + headers["precedence"].strip().lower()
    for name in ("list-id", "list-unsubscribe", "x-autoreply", "x-autorespond", "x-auto-response-suppress"):
        if name in headers and (name != "x-auto-response-suppress" or "oof" in headers[name].lower()):
            return name
    if source.strip() in {"", "<>"} or source.lower().startswith(("mailer-daemon@", "postmaster@")):
        return "bounce or system sender"
    if AUTO_SUBJECT.match(subject):
        return "auto-reply subject"
    return None


# -- bodies -------------------------------------------------------------------------------
def extract_text(mime: EmailMessage) -> tuple[str, list[str]]:
    """The readable body (plain text preferred, else HTML as text) and attachment names."""
    attachments: list[str] = []
    plain: str | None = None
    html: str | None = None
    for part in mime.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        disposition = part.get_content_disposition()
        if filename or disposition == "attachment":
            attachments.append((filename or "unnamed")[:120])
            continue
        content_type = part.get_content_type()
        if content_type not in ("text/plain", "text/html"):
            continue
        content = _decoded(part)
        if content_type == "text/plain" and plain is None:
            plain = content
        elif content_type == "text/html" and html is None:
            html = content
    if plain is not None and plain.strip():
        return plain, attachments
    return (html_to_text(html) if html else ""), attachments


def _decoded(part: EmailMessage) -> str:
    """A text part as str; without a declared charset, UTF-8 (what mail clients send today)."""
    if part.get_content_charset():
        try:
            content = part.get_content()
            if isinstance(content, str):
                return content
        except (LookupError, ValueError, AssertionError):
            pass
    payload = part.get_payload(decode=True)
    return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


class _TextFromHtml(HTMLParser):
    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol"})
    SKIP = frozenset({"script", "style", "head", "title", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML body; quoted history (``<blockquote>``) and scripts dropped."""
    parser = _TextFromHtml()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):
        pass
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in "".join(parser.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# Where the new part of a reply ends: the quoted history or the signature starts there.
_CUT_LINES = [
    re.compile(r"^On .{1,300}wrote:\s*$", re.I),  # Gmail / Apple Mail
    re.compile(r"^Le .{1,300}a écrit\s*:\s*$", re.I),
    re.compile(r"^Am .{1,300}schrieb .{0,200}:\s*$", re.I),
    re.compile(r"^El .{1,300}escribió:\s*$", re.I),
    re.compile(r"^-{2,}\s*Original Message\s*-{2,}", re.I),  # Outlook
    re.compile(r"^-{2,}\s*Forwarded message\s*-{2,}", re.I),
    re.compile(r"^_{10,}\s*$"),  # Outlook's rule above the quoted header
    re.compile(r"^From:\s.+$", re.I),  # Outlook's quoted header block
    re.compile(r"^-- ?$"),  # RFC 3676 signature separator
    re.compile(r"^Sent from my \w+", re.I),
    re.compile(r"^Get Outlook for ", re.I),
]


def clean_reply(text: str) -> str:
    """The new part of a reply: stops at quoted history or a signature; drops '>' lines."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        # "On <date>, <someone>" may wrap onto a second line before "wrote:".
        wrapped = stripped.startswith("On ") and _CUT_LINES[0].match(f"{stripped} {following}")
        if wrapped or any(p.match(stripped) for p in _CUT_LINES):
            break
        if not stripped.startswith(">"):
            kept.append(line.rstrip())
    cleaned = "\n".join(kept).strip()
    if cleaned:
        return cleaned
    # Nothing above the cut (a bare forward): keep what is not quoted rather than nothing.
    return "\n".join(line for line in lines if not line.strip().startswith(">")).strip()


# -- sender -------------------------------------------------------------------------------
@dataclass(frozen=True)
class EmailThread:
    subject: str | None = None
    in_reply_to: str | None = None
    references: str | None = None


# SES errors a retry can cure; everything else (rejected, unverified sender, paused account) is final.
SES_TRANSIENT = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ServiceUnavailable",
        "InternalFailure",
        "RequestTimeout",
        "TooManyRequestsException",
    }
)


def email_thread(message: Message, reply_to: Message | None) -> EmailThread:
    """Thread a reply under the person's email it answers (its subject, Message-ID and
    References), else under what the outbound message itself names."""
    own = thread_from_meta(message)
    if reply_to is None or reply_to.channel != message.channel:
        return own
    meta = reply_to.meta
    return EmailThread(
        subject=meta.get("subject") or own.subject,
        in_reply_to=meta.get("message_id") or own.in_reply_to,
        references=meta.get("references") or own.references,
    )


def thread_from_meta(message: Message) -> EmailThread:
    """Threading from the outbound message itself (the acknowledgement keeps ``in_reply_to``)."""
    meta = message.meta
    reply_to = meta.get("in_reply_to")
    if reply_to and not reply_to.startswith("<"):
        reply_to = None  # an SES message id, not a Message-ID header: nothing to thread on
    return EmailThread(subject=meta.get("subject"), in_reply_to=reply_to, references=meta.get("references") or reply_to)


def build_mime(message: Message, from_address: str, thread: EmailThread, default_subject: str) -> EmailMessage:
    mime = EmailMessage()
    mime["From"] = from_address
    mime["To"] = message.address or ""
    subject = thread.subject or default_subject
    mime["Subject"] = subject if subject.lower().startswith("re:") or not thread.subject else f"Re: {subject}"
    if thread.in_reply_to:
        mime["In-Reply-To"] = thread.in_reply_to
        mime["References"] = thread.references or thread.in_reply_to
    # Our acknowledgements are automatic replies (RFC 3834): other robots must not answer them.
    if message.kind is MessageKind.ACKNOWLEDGEMENT:
        mime["Auto-Submitted"] = "auto-replied"
    mime.set_content(message.text)
    return mime


class SesEmailSender:
    """Sends with SES ``SendRawEmail`` so ``In-Reply-To`` and ``References`` keep the thread."""

    def __init__(self, client: Any, from_address: str, default_subject: str = "") -> None:
        self._ses = client
        self._from = from_address
        self._subject = default_subject

    def send(self, message: Message, context: SendContext) -> str:
        to = message.address or ""
        if not getaddresses([to]) or "@" not in to:
            raise SendError("message has no email address", code="no_address", permanent=True)
        mime = build_mime(message, self._from, email_thread(message, context.reply_to), self._subject)
        try:
            answer = self._ses.send_raw_email(
                Source=self._from, Destinations=[to], RawMessage={"Data": mime.as_bytes(policy=policy.SMTP)}
            )
        except Exception as exc:  # botocore's ClientError, without importing botocore here
            response = getattr(exc, "response", None)
            if not isinstance(response, dict):
                raise SendError(f"SES call failed: {type(exc).__name__}", code="network", permanent=False) from None
            code = str(response.get("Error", {}).get("Code", "Unknown"))
            status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400) or 400)
            transient = code in SES_TRANSIENT or status >= 500
            raise SendError(f"SES refused: {code}", code=code, permanent=not transient) from None
        return str(answer["MessageId"])
