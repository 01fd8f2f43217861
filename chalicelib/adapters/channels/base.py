"""What every channel module declares, and what its webhooks receive and answer.

A channel is one module (``sms.py``, ``messenger.py``...) exporting a :class:`ChannelSpec`:
its rules (:class:`~chalicelib.domain.channels.ChannelRules`), how the page shows it, its
default texts, its sender, its settings and secrets, and its webhook routes or the events it
takes on a provider's shared route (Meta's ``/webhooks/meta``, X's ``/webhooks/x``). The
registry (``registry.py``) lists the modules and derives everything else from them.

Views build a :class:`RawRequest` from Chalice's request so channel modules never import
Chalice, and signatures are always checked over the raw bytes before anything is parsed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic_settings import BaseSettings

from chalicelib.domain.channels import Channel, ChannelRules
from chalicelib.domain.model import Address
from chalicelib.domain.texts import TextKind
from chalicelib.services.errors import BadRequestError, PayloadTooLargeError

if TYPE_CHECKING:
    from chalicelib.domain.inbound import Answer, InboundMessage
    from chalicelib.services.calls import CallRecording, CallTranscript
    from chalicelib.services.delivery import StatusReport
    from chalicelib.services.ports.outbound import Sender
    from chalicelib.settings import CoreSettings

# No provider sends more to a webhook; anything larger is refused before it is parsed.
MAX_WEBHOOK_BYTES = 256 * 1024


@dataclass(frozen=True)
class RawRequest:
    method: str
    path: str  # the route's path without the API stage, e.g. /webhooks/twilio/sms
    query: str  # the query string as received ('' for none)
    headers: Mapping[str, str]  # keys lower-cased
    body: bytes
    params: Mapping[str, str] = field(default_factory=dict)  # the decoded query parameters

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def checked_body(self, limit: int = MAX_WEBHOOK_BYTES) -> bytes:
        if len(self.body) > limit:
            raise PayloadTooLargeError(f"request body over {limit} bytes")
        return self.body

    def text(self, limit: int = MAX_WEBHOOK_BYTES) -> str:
        try:
            return self.checked_body(limit).decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequestError("request body is not valid UTF-8") from None


S = TypeVar("S", bound=BaseSettings)


def part(settings: CoreSettings, cls: type[S]) -> S:
    """A module's own settings: the composed settings object is an instance of every
    module's settings class (``chalicelib/config.py``)."""
    if not isinstance(settings, cls):
        raise TypeError(f"the settings were not composed with {cls.__name__}")
    return settings


@dataclass(frozen=True)
class HttpReply:
    body: str = ""
    status: int = 200
    content_type: str = "text/plain"


@dataclass
class Delivery:
    """What one webhook request (or topic notification) carried, verified and parsed."""

    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusReport] = field(default_factory=list)
    # Addresses the provider says must not be written to again (bounces, complaints), by channel.
    suppress: list[tuple[Channel, Address]] = field(default_factory=list)
    ignored: int = 0  # echoes, reads, reactions, unknown objects: deliberately skipped
    invalid: int = 0  # items that could not be parsed (counted, never stored)


Now = datetime
ReadFn = Callable[[RawRequest, "CoreSettings", datetime], Delivery]


@dataclass(frozen=True)
class MessagesRoute:
    """A webhook that carries messages and/or delivery statuses, answered once they are recorded."""

    path: str
    read: ReadFn
    reply: Callable[[list[Answer]], HttpReply] = lambda _answers: HttpReply()
    content_types: tuple[str, ...] = ("application/json",)
    method: str = "POST"
    inbound_metric: str | None = None  # the channel counted in InboundMessages for this route


@dataclass(frozen=True)
class HandshakeRoute:
    """A provider's subscription check (Meta's verify token, X's CRC): no state, one answer."""

    path: str
    answer: Callable[[RawRequest, CoreSettings], HttpReply]
    method: str = "GET"


@dataclass(frozen=True)
class TextRoute:
    """A text whose answer travels in the webhook response (Twilio SMS): a staff phone's texts
    are commands, everyone else's are constituents' messages."""

    path: str
    read: Callable[[RawRequest, CoreSettings, datetime], InboundMessage]
    reply: Callable[[str | None], HttpReply]
    content_types: tuple[str, ...]
    inbound_metric: str | None = None
    method: str = "POST"


@dataclass(frozen=True)
class CallRoute:
    """A call and its late parts (recording, transcript), answered with spoken instructions."""

    path: str
    stage: str  # "ring" | "recording" | "transcription"
    read: Callable[[RawRequest, CoreSettings, datetime], tuple[InboundMessage, CallRecording | CallTranscript | None]]
    reply: Callable[[CoreSettings, str], HttpReply]
    content_types: tuple[str, ...]
    inbound_metric: str | None = None
    method: str = "POST"


@dataclass(frozen=True)
class TopicRoute:
    """Notifications from an SNS topic (SES inbound mail): no HTTP, Lambda invoked by SNS."""

    topic: str
    name: str  # the Lambda function's name (what the deployment and operators see)
    read: Callable[[Any, CoreSettings, datetime], Delivery]


Route = MessagesRoute | HandshakeRoute | TextRoute | CallRoute | TopicRoute


@dataclass(frozen=True)
class Events:
    """The part of a provider's shared webhook a channel takes: the provider routes each item
    (a Meta ``object``/field, an X event list) to the channel that declared it."""

    provider: str  # "meta" | "x"
    key: str  # meta: "<object>:<field>" (e.g. "page:messaging"); x: the event list's name
    parse: Callable[..., None]  # (item, context, received_at, delivery) -> appends to delivery


@dataclass(frozen=True)
class ChannelSpec:
    rules: ChannelRules
    label: str  # how people read its name
    icon: str  # an SVG symbol's content (24x24 viewBox) for the page
    colour: str = "#374151"  # the badge's colour on the page
    texts: Mapping[TextKind, str] = field(default_factory=dict)  # defaults for this channel
    sender: Callable[[CoreSettings], Sender] | None = None  # raises NotConfiguredError without credentials
    settings: type[BaseSettings] | None = None
    secrets: Mapping[str, str] = field(default_factory=dict)  # SSM parameter name -> what it is
    routes: Sequence[Route] = ()
    events: Sequence[Events] = ()

    @property
    def channel(self) -> Channel:
        return self.rules.channel


@dataclass(frozen=True)
class ProviderSpec:
    """A provider whose one route several channels share: it verifies the request and hands
    each item to the channel that declared it (:class:`Events`)."""

    name: str
    settings: type[BaseSettings] | None
    secrets: Mapping[str, str]
    routes: Callable[[Mapping[str, Events]], Sequence[Route]]
