"""Use case: a provider reports what happened to a message we sent."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.channels import address_kind
from chalicelib.domain.model import Address, Channel, MessageStatus, SubscriptionStatus
from chalicelib.services.ports.messages import MessageStore
from chalicelib.services.ports.people import PeopleStore


@dataclass(frozen=True)
class StatusReport:
    channel: Channel
    provider_id: str
    status: MessageStatus
    error_code: str | None = None
    error_reason: str | None = None
    # The provider says the recipient opted out (Twilio 21610): stop texting them everywhere.
    recipient_opted_out: bool = False


def record_status(report: StatusReport, messages: MessageStore, people: PeopleStore) -> bool:
    """Apply a status callback; True when the message moved forward.

    Unknown provider ids are ignored: callbacks for messages sent outside Hearback, or for
    a person deleted on request, are not errors the provider could fix by retrying.
    """
    ref = messages.find_by_provider_id(report.channel, report.provider_id)
    if ref is None:
        return False
    moved = messages.advance_status(ref, report.status, report.error_code, report.error_reason)
    if report.recipient_opted_out:
        message = messages.get_message(ref)
        if message is not None and message.address:
            address = Address(address_kind(message.channel), message.address)
            people.set_subscription(address, message.channel, SubscriptionStatus.OPTED_OUT)
    return moved
