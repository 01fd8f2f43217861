"""X Account Activity webhooks: the CRC check and direct messages.

The adapter is imported on first use: its models cost a cold start nothing on other routes.
"""

from __future__ import annotations

import json

from chalice import Blueprint, Response

from chalicelib.api.channel_support import receive_all
from chalicelib.api.errors import http_errors
from chalicelib.api.requests import query_param, raw_request
from chalicelib.api.wiring import deps

bp = Blueprint(__name__)


@bp.route("/webhooks/x", methods=["GET"])
@http_errors
def x_crc() -> Response:
    from chalicelib.adapters.channels import x

    c = deps()
    token = x.crc_response(query_param(bp.current_request, "crc_token"), c.settings.x_consumer_secret)
    return Response(body=json.dumps(token), status_code=200, headers={"Content-Type": "application/json"})


@bp.route("/webhooks/x", methods=["POST"], content_types=["application/json"])
@http_errors
def x_events() -> Response:
    from chalicelib.adapters.channels import x

    c = deps()
    data = x.verified_body(raw_request(bp.current_request), c.settings.x_consumer_secret)
    batch = x.parse(data, c.clock(), c.settings.x_user_id)
    receive_all(c, batch.messages)
    return Response(body="", status_code=200, headers={"Content-Type": "text/plain"})
