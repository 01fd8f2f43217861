"""Where views, workers and schedules get their dependencies: the one place in the API layer
that knows the composition root. Services and adapters are handed what they need."""

from __future__ import annotations

from chalicelib.bootstrap import Container, get_container


def deps() -> Container:
    """The container built for this Lambda container (or local process), or the one a test installed."""
    return get_container()
