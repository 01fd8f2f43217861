"""Organizer statistics, and the scheduled job that keeps their snapshot fresh."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Rate
from chalice.app import CloudWatchEvent

from chalicelib.api.errors import http_errors
from chalicelib.api.requests import current_user
from chalicelib.api.wiring import deps
from chalicelib.domain.model import Role
from chalicelib.services import stats

bp = Blueprint(__name__)


@bp.route("/api/stats", methods=["GET"])
@http_errors
def get_stats() -> dict[str, Any]:
    current_user(bp.current_request, Role.ORGANIZER)
    c = deps()
    s = c.settings
    return stats.current_stats(c, s.stats_window_days, s.stats_max_age_minutes)


@bp.schedule(Rate(15, unit=Rate.MINUTES))
def refresh_stats(event: CloudWatchEvent) -> None:
    """Recompute the snapshot off the request path (one pass over the window's activity)."""
    c = deps()
    stats.refresh(c, c.settings.stats_window_days)
