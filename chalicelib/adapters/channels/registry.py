"""The channels Hearback serves: one line a channel module, and what is derived from them.

Adding a channel is a module that exports a ``CHANNEL`` (:class:`~.base.ChannelSpec`) and a
line in :data:`CHANNELS`; a provider whose one webhook several channels share (Meta, X) is a
line in :data:`PROVIDERS`. Everything else (the webhook routes, the settings class, the
secrets read from SSM, the senders, the texts' defaults, the page's labels and icons) is
derived here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from pydantic_settings import BaseSettings

from chalicelib.adapters.channels import email, instagram, messenger, meta, sms, voice, whatsapp, x, x_dm
from chalicelib.adapters.channels.base import ChannelSpec, Events, ProviderSpec, Route
from chalicelib.domain.channels import Channel
from chalicelib.domain.texts import TextKey

if TYPE_CHECKING:
    from chalicelib.services.ports.outbound import Sender
    from chalicelib.settings import CoreSettings

CHANNELS: tuple[ChannelSpec, ...] = (
    sms.CHANNEL,
    voice.CHANNEL,
    whatsapp.CHANNEL,
    messenger.CHANNEL,
    instagram.CHANNEL,
    x_dm.CHANNEL,
    email.CHANNEL,
)

PROVIDERS: tuple[ProviderSpec, ...] = (meta.PROVIDER, x.PROVIDER)


def spec(channel: Channel | str) -> ChannelSpec:
    for found in CHANNELS:
        if found.channel == channel:
            return found
    raise KeyError(f"no channel module for {channel!r}")


def _events(provider: str) -> dict[str, Events]:
    return {e.key: e for c in CHANNELS for e in c.events if e.provider == provider}


def routes() -> Iterator[Route]:
    """Every webhook route and topic, the channels' own and the shared providers'."""
    for channel in CHANNELS:
        yield from channel.routes
    for provider in PROVIDERS:
        yield from provider.routes(_events(provider.name))


def settings_classes() -> tuple[type[BaseSettings], ...]:
    found = [p.settings for p in PROVIDERS] + [c.settings for c in CHANNELS]
    return tuple(dict.fromkeys(cls for cls in found if cls is not None))


def secrets() -> dict[str, str]:
    """What a campaign puts in Parameter Store: name -> what it is."""
    found: dict[str, str] = {}
    for provider in PROVIDERS:
        found.update(provider.secrets)
    for channel in CHANNELS:
        found.update(channel.secrets)
    return found


def text_defaults() -> Mapping[TextKey, str]:
    """Each channel's own texts (English), to layer over the core defaults."""
    return {(kind, c.channel, "en"): text for c in CHANNELS for kind, text in c.texts.items()}


def live_senders(settings: CoreSettings) -> Iterator[tuple[Channel, Sender]]:
    """The configured senders; a channel whose credentials are missing is left out (its messages
    fail with that reason) and the factory's NotConfiguredError is the caller's to log."""
    from chalicelib.services.errors import NotConfiguredError

    for channel in CHANNELS:
        if channel.sender is None:
            continue
        try:
            yield channel.channel, channel.sender(settings)
        except NotConfiguredError:
            continue
