"""Exports API: people as CSV for organizers' tools, inline or as a job in the exports bucket."""

from __future__ import annotations

import json
from typing import Any

from chalice import Blueprint, Response
from chalice.app import SQSEvent
from pydantic import ConfigDict, Field

from chalicelib.api.errors import http_errors
from chalicelib.api.requests import RequestBody, current_user, json_body
from chalicelib.api.wiring import deps
from chalicelib.domain.exports import FORMATS
from chalicelib.domain.model import Role
from chalicelib.services import exports
from chalicelib.services.errors import NotConfiguredError

bp = Blueprint(__name__)

# Chalice reads queue names when the app is imported; keep equal to Settings.export_jobs_queue_name.
EXPORT_JOBS_QUEUE = "hearback-exports"
FILTERS = ("format", "support", "issue", "since", "channel", "preset")


class ExportRequest(RequestBody):
    """The same filters as GET /api/exports/people.csv, as JSON."""

    model_config = ConfigDict(extra="forbid")

    format: str = "generic"
    support: str | list[int] | None = None
    issue: str | list[str] | None = None
    since: str | None = Field(default=None, max_length=40)
    channel: str | None = None
    preset: str | None = None

    def params(self) -> dict[str, str | None]:
        found = self.model_dump()
        return {k: ",".join(str(x) for x in v) if isinstance(v, list) else v for k, v in found.items()}


@bp.route("/api/exports/people.csv", methods=["GET"])
@http_errors
def people_csv() -> Response:
    request = bp.current_request
    current_user(request, Role.ORGANIZER)
    c = deps()
    given = request.query_params
    params = {name: given.get(name) if given else None for name in FILTERS}
    query = exports.parse_query(params, c.settings.issue_slugs)
    body = exports.export_inline(c, query, c.settings.export_inline_max_bytes)
    filename = FORMATS[query.format].filename
    return Response(
        body=body.decode("utf-8"),
        status_code=200,
        headers={
            "Content-Type": exports.CONTENT_TYPE,
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/api/exports", methods=["POST"])
@http_errors
def start_export() -> Response:
    request = bp.current_request
    user = current_user(request, Role.ORGANIZER)
    body = json_body(request, ExportRequest)
    c = deps()
    if c.export_jobs is None:
        raise NotConfiguredError("export jobs are not configured in this deployment")
    query = exports.parse_query(body.params(), c.settings.issue_slugs)
    job = exports.start_job(c.exports, c.export_jobs, c.clock, query, user)
    return Response(
        body=exports.job_view(c.exports, c.blobs, job.id),
        status_code=202,
        headers={"Location": f"/api/exports/{job.id}"},
    )


@bp.route("/api/exports/{job_id}", methods=["GET"])
@http_errors
def export_status(job_id: str) -> dict[str, Any]:
    current_user(bp.current_request, Role.ORGANIZER)
    c = deps()
    return exports.job_view(c.exports, c.blobs, job_id)


@bp.on_sqs_message(queue=EXPORT_JOBS_QUEUE, batch_size=1)
def export_worker(event: SQSEvent) -> None:
    """Runs export jobs (one a message; a failure goes back to the queue, then the DLQ)."""
    c = deps()
    for record in event:
        job_id = json.loads(record.body)["job_id"]
        exports.run_job(c, job_id, c.settings.issue_slugs)
