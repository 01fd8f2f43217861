"""The inbox page: the single-page app, its static assets, and the settings it needs.

Files come from ``chalicelib/web/`` (packaged with the Lambda like any chalicelib module),
served from a fixed whitelist: a name that is not listed is a 404, so no request can reach
another file. The page is plain ES modules: no build step, no CDN.
"""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path
from typing import Any

from chalice import Blueprint, Response
from chalice.app import NotFoundError

from chalicelib.adapters.channels.base import ChannelSpec
from chalicelib.adapters.channels.registry import CHANNELS
from chalicelib.api.errors import http_errors
from chalicelib.api.requests import current_user
from chalicelib.api.wiring import deps
from chalicelib.domain.model import Outcome
from chalicelib.domain.stance import SUPPORT_LABELS, SUPPORT_TITLES, IssuePosition, StanceResponse

bp = Blueprint(__name__)

WEB_DIR = Path(__file__).resolve().parent.parent / "web"

JS, CSS, SVG = "text/javascript; charset=utf-8", "text/css; charset=utf-8", "image/svg+xml"
# name -> Content-Type. Adding an asset = adding a line here.
ASSETS: dict[str, str] = {
    "app.js": JS,
    "api.js": JS,
    "sms.js": JS,
    "charts.js": JS,
    "ui.js": JS,
    "volunteer.js": JS,
    "organizer.js": JS,
    "app.css": CSS,
    "channels.css": CSS,
    "icons.svg": SVG,
    "favicon.svg": SVG,
}

# The page runs only our own scripts and talks only to this origin.
SECURITY_HEADERS: dict[str, str | list[str]] = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

SUPPORT_LEVELS = [
    {"level": level, "key": key, "label": SUPPORT_TITLES[level]} for level, key in sorted(SUPPORT_LABELS.items())
]
RESPONSES = [{"key": r.value, "label": r.value.replace("_", " ").capitalize()} for r in StanceResponse]
ISSUE_POSITIONS = [p.value for p in IssuePosition]
OUTCOMES = [{"key": o.value, "label": o.value.replace("_", " ").capitalize()} for o in Outcome]


@lru_cache(maxsize=32)
def _read(name: str) -> str:
    if name in _GENERATED:
        return _GENERATED[name]()
    return (WEB_DIR / name).read_text(encoding="utf-8")


def _icons() -> str:
    """The page's icons: its own (icons.svg) and each channel module's, as one sprite."""
    own = (WEB_DIR / "icons.svg").read_text(encoding="utf-8").rstrip()
    symbols = "".join(f'  <symbol id="{c.channel.value}" viewBox="0 0 24 24">{c.icon}</symbol>\n' for c in CHANNELS)
    return own.replace("</svg>", symbols + "</svg>")


def _channel_styles() -> str:
    """Each channel's badge colour (a stylesheet: the page's CSP allows no inline styles)."""
    return "".join(f".channel-{c.channel.value} {{ color: {c.colour}; }}\n" for c in CHANNELS)


_GENERATED = {"icons.svg": _icons, "channels.css": _channel_styles}


def _base_path(context: dict[str, Any]) -> str:
    """The external path of ``/`` (API Gateway's stage, e.g. ``/api``; empty locally).

    The page's URLs are relative to a ``<base href>`` so they work under any stage or domain.
    """
    path = str(context.get("path") or "/")
    return path.rstrip("/")


@bp.route("/", methods=["GET"])
def index() -> Response:
    base = html.escape(_base_path(bp.current_request.context) + "/", quote=True)
    page = _read("index.html").replace("{{BASE}}", base)
    headers = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache", **SECURITY_HEADERS}
    return Response(body=page, status_code=200, headers=headers)


@bp.route("/static/{name}", methods=["GET"])
def static(name: str) -> Response:
    content_type = ASSETS.get(name)
    if content_type is None:
        raise NotFoundError("no such file")
    headers = {"Content-Type": content_type, "Cache-Control": "no-cache", **SECURITY_HEADERS}
    return Response(body=_read(name), status_code=200, headers=headers)


def channel_view(spec: ChannelSpec) -> dict[str, Any]:
    """A channel as the page draws it: its name, its reply rules, its icon (in icons.svg)."""
    rules = spec.rules
    return {
        "label": spec.label,
        "colour": spec.colour,
        "reply_channel": rules.answers_on.value,
        "reply_window_hours": rules.reply_window.total_seconds() / 3600 if rules.reply_window else None,
        "tagged_window_hours": rules.tagged_window.total_seconds() / 3600 if rules.tagged_window else None,
    }


@bp.route("/api/config", methods=["GET"])
@http_errors
def config() -> dict[str, Any]:
    """What the page needs to draw itself: campaign, issue slugs, stance vocabulary, the user.

    No secrets: every signed-in volunteer may read it.
    """
    user = current_user(bp.current_request)
    c = deps()
    settings = c.settings
    staff = c.staff.find_staff_phone(user.phone) if user.phone else None
    channels = {spec.channel.value: channel_view(spec) for spec in CHANNELS}
    return {
        "campaign_name": settings.campaign_name,
        "issues": list(settings.issue_slugs),
        "issue_positions": ISSUE_POSITIONS,
        "support_levels": SUPPORT_LEVELS,
        "responses": RESPONSES,
        "outcomes": OUTCOMES,
        "channels": channels,
        # Whether they can take shifts by text, and whether they are on one (never the number itself).
        "user": {
            "id": user.id,
            "name": user.name,
            "role": user.role.value,
            "phone": user.phone is not None,
            "on_shift": bool(staff and staff.on_shift),
        },
    }
