"""Use case: a provider says an address must not be written to again (bounce, complaint)."""

from __future__ import annotations

from collections.abc import Iterable

from chalicelib.domain.channels import address_kind
from chalicelib.domain.model import Address, Channel, SubscriptionStatus
from chalicelib.services.ports.people import PeopleStore


def suppress(store: PeopleStore, channel: Channel, addresses: Iterable[str]) -> None:
    """Opt the addresses out of ``channel``; addresses we never heard from need nothing."""
    for address in set(addresses):
        if address:
            store.set_subscription(Address(address_kind(channel), address), channel, SubscriptionStatus.OPTED_OUT)
