"""Use case: may a volunteer's free-form reply go out on this channel now?

The reply API calls :func:`ensure_reply_window` before storing a reply, so a closed window is
a clear 422 for the volunteer rather than a failed send later. The senders check again at send
time (a queued reply may wait), and Messenger/Instagram replies inside the tagged window go
out with the ``HUMAN_AGENT`` tag.
"""

from __future__ import annotations

from chalicelib.domain.channels import WindowState, reply_window
from chalicelib.domain.model import Channel, identity_kind
from chalicelib.services.errors import UnprocessableError
from chalicelib.services.ports import Clock, Store


def window_for(store: Store, clock: Clock, channel: Channel, address: str) -> WindowState:
    """The reply window to ``address`` on ``channel``, from the last time they wrote on it."""
    identity = store.find_identity(identity_kind(channel), address)
    last = identity.last_inbound.get(channel.value) if identity else None
    return reply_window(channel, last, clock())


def ensure_reply_window(store: Store, clock: Clock, channel: Channel, address: str) -> WindowState:
    """The open window for a reply to ``address`` on ``channel``, or UnprocessableError (422)."""
    state = window_for(store, clock, channel, address)
    if not state.open:
        raise UnprocessableError(
            f"the {channel.value} reply window is closed: the person last wrote more than the provider "
            "allows for a free-form reply; answer on another channel"
        )
    return state
