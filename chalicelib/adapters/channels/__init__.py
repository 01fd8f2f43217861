"""Channel adapters, one module a channel (verify, parse, answer, send), and their registry.

| channel   | module      | inbound                                 | sender                 |
| --------- | ----------- | --------------------------------------- | ---------------------- |
| sms       | twilio.py   | POST /webhooks/twilio/sms               | (SMS engineer)         |
| voice     | voice.py    | POST /webhooks/twilio/voice[/recording, /transcription] | answered by SMS |
| messenger | meta.py     | GET/POST /webhooks/meta                 | MetaMessengerSender    |
| instagram | meta.py     | GET/POST /webhooks/meta                 | MetaMessengerSender    |
| whatsapp  | meta.py     | GET/POST /webhooks/meta                 | WhatsAppCloudSender    |
| x         | x.py        | GET/POST /webhooks/x                    | XDirectMessageSender   |
| email     | email.py    | SNS topic hearback-inbound-email        | SesEmailSender         |

:data:`LIVE_SENDERS` maps a channel to a factory ``Settings -> Sender`` for the queue worker.
Factories build nothing expensive and read the store only when a message is sent (reply
windows, email threads), so they may be called while the container is being built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chalicelib.domain.model import Channel
from chalicelib.services.errors import NotConfiguredError

if TYPE_CHECKING:
    from chalicelib.services.ports.outbound import Sender
    from chalicelib.settings import Settings

SenderFactory = Callable[["Settings"], "Sender"]


def _required(value: str | None, name: str) -> str:
    if not value:
        raise NotConfiguredError(f"{name} is not set")
    return value


def meta_messenger_sender(settings: Settings) -> Sender:
    from chalicelib.adapters.channels.http import urllib_transport
    from chalicelib.adapters.channels.meta import MetaMessengerSender

    token = _required(settings.meta_page_access_token, "META_PAGE_ACCESS_TOKEN")
    return MetaMessengerSender(urllib_transport, settings.meta_graph_url, token)


def whatsapp_sender(settings: Settings) -> Sender:
    from chalicelib.adapters.channels.http import urllib_transport
    from chalicelib.adapters.channels.meta import WhatsAppCloudSender

    return WhatsAppCloudSender(
        urllib_transport,
        settings.meta_graph_url,
        _required(settings.whatsapp_access_token, "WHATSAPP_ACCESS_TOKEN"),
        _required(settings.whatsapp_phone_number_id, "WHATSAPP_PHONE_NUMBER_ID"),
    )


def x_sender(settings: Settings) -> Sender:
    from chalicelib.adapters.channels.http import urllib_transport
    from chalicelib.adapters.channels.x import OAuth1Credentials, XDirectMessageSender

    creds = OAuth1Credentials(
        consumer_key=_required(settings.x_consumer_key, "X_CONSUMER_KEY"),
        consumer_secret=_required(settings.x_consumer_secret, "X_CONSUMER_SECRET"),
        token=_required(settings.x_access_token, "X_ACCESS_TOKEN"),
        token_secret=_required(settings.x_access_token_secret, "X_ACCESS_TOKEN_SECRET"),
    )
    return XDirectMessageSender(urllib_transport, settings.x_api_url, creds)


def ses_sender(settings: Settings) -> Sender:
    from chalicelib.adapters.aws import aws_client
    from chalicelib.adapters.channels.email import SesEmailSender

    return SesEmailSender(
        aws_client("ses", settings),
        _required(settings.email_from_address, "EMAIL_FROM_ADDRESS"),
        default_subject=settings.render(settings.email_subject),
    )


LIVE_SENDERS: dict[Channel, SenderFactory] = {
    Channel.MESSENGER: meta_messenger_sender,
    Channel.INSTAGRAM: meta_messenger_sender,
    Channel.WHATSAPP: whatsapp_sender,
    Channel.X: x_sender,
    Channel.EMAIL: ses_sender,
}
