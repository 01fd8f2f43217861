"""Scheduled jobs (EventBridge in AWS; the local runner fires them too)."""

from __future__ import annotations

import logging
from typing import Any

from chalice import Blueprint

from chalicelib.api.wiring import deps
from chalicelib.services.escalation import run_minute

bp = Blueprint(__name__)
log = logging.getLogger(__name__)


@bp.schedule("rate(1 minute)")
def followup_minute(event: Any) -> dict[str, int]:
    """Expired leases back to open, overdue tasks escalated, on-shift volunteers offered work."""
    report = run_minute(deps())
    counts = {
        "reopened": len(report.reopened),
        "escalated": sum(len(ids) for ids in report.escalated.values()),
        "notified": len(report.notified),
        "offered": len(report.offered),
        "forwarded": report.forwarded,
    }
    log.info("follow-up minute: %s", counts)
    return counts
