"""Meta webhooks: Messenger, Instagram and WhatsApp Cloud on one URL.

The adapter is imported on first use: its models cost a cold start nothing on other routes.
"""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.channel_support import receive_all
from chalicelib.api.errors import http_errors
from chalicelib.api.requests import raw_request
from chalicelib.api.wiring import deps
from chalicelib.services.delivery import record_status

bp = Blueprint(__name__)
PLAIN: dict[str, str | list[str]] = {"Content-Type": "text/plain"}


@bp.route("/webhooks/meta", methods=["GET"])
@http_errors
def meta_verify() -> Response:
    from chalicelib.adapters.channels import meta

    c = deps()
    challenge = meta.handshake(bp.current_request.query_params or {}, c.settings.meta_verify_token)
    return Response(body=challenge, status_code=200, headers=PLAIN)


@bp.route("/webhooks/meta", methods=["POST"], content_types=["application/json"])
@http_errors
def meta_events() -> Response:
    from chalicelib.adapters.channels import meta

    c = deps()
    data = meta.verified_body(raw_request(bp.current_request), c.settings.meta_app_secret)
    batch = meta.parse(data, c.clock())
    for report in batch.statuses:
        record_status(report, c.messages, c.people)
    receive_all(c, batch.messages)
    return Response(body="EVENT_RECEIVED", status_code=200, headers=PLAIN)
