"""Email: Amazon SES inbound through an SNS topic (no HTTP route), replies with SES in the
person's thread.

SES puts the whole message (up to 150 KB) in the SNS notification's ``content`` when the
receipt rule's action is SNS. SNS invokes the Lambda directly (no HTTP), so the Lambda's
subscription is the trust boundary; the topic ARN is still checked when configured. The MIME
reading and writing is in :mod:`.email_mime`, loaded on first use.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic_settings import BaseSettings, SettingsConfigDict

from chalicelib.adapters.channels.base import ChannelSpec, Delivery, TopicRoute, part
from chalicelib.domain.channels import Channel, ChannelRules, define
from chalicelib.domain.model import EMAIL as EMAIL_KIND
from chalicelib.domain.model import Address
from chalicelib.domain.texts import TextKind
from chalicelib.services.errors import NotConfiguredError

if TYPE_CHECKING:
    from chalicelib.adapters.channels.email_mime import SesEmailSender
    from chalicelib.settings import CoreSettings

# The SNS topic the SES receipt rule publishes to (created by the deployment template).
INBOUND_EMAIL_TOPIC = "hearback-inbound-email"

EMAIL = define(ChannelRules(Channel("email"), address_kind=EMAIL_KIND, threaded=True, van_contact_type="Email"))


class EmailSettings(BaseSettings):
    """SES sends from ``email_from_address``; inbound mail arrives on the SNS topic."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    email_from_address: str | None = None
    email_subject: str = "Your message to {campaign}"
    inbound_email_topic_arn: str | None = None


def _read(event: Any, settings: CoreSettings, now: datetime) -> Delivery:
    from chalicelib.adapters.channels.email_mime import parse_sns_event

    batch = parse_sns_event(event, part(settings, EmailSettings).inbound_email_topic_arn, now, EMAIL)
    return Delivery(
        messages=batch.messages,
        suppress=[(EMAIL, Address(EMAIL_KIND, address)) for address in batch.suppress if address],
        ignored=batch.ignored,
        invalid=batch.invalid,
    )


def _sender(settings: CoreSettings) -> SesEmailSender:
    from chalicelib.adapters.aws import aws_client
    from chalicelib.adapters.channels.email_mime import SesEmailSender

    email = part(settings, EmailSettings)
    if not email.email_from_address:
        raise NotConfiguredError("EMAIL_FROM_ADDRESS is not set")
    return SesEmailSender(aws_client("ses", settings), email.email_from_address, settings.render(email.email_subject))


CHANNEL = ChannelSpec(
    rules=EMAIL.rules,
    label="Email",
    colour="#92400e",
    icon='<rect x="3" y="5" width="18" height="14" rx="2" fill="none" stroke="currentColor" stroke-width="2"/>'
    '<path fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round" d="M3.5 6.5l8.5 6.5 8.5-6.5"/>',
    texts={TextKind.FIRST_CONTACT_NOTICE: ""},
    sender=_sender,
    settings=EmailSettings,
    routes=(TopicRoute(INBOUND_EMAIL_TOPIC, "inbound_email", _read),),
)
