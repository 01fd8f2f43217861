"""Use cases: exports of people and their stance, streamed row by row.

Records flow page by page from the store (people with their current stance and their
addresses' statuses from one index, one item a person; then one batched read of the page's
open tasks, for who holds them), through a format's row function, into CSV chunks. Memory
holds one page and one chunk, whatever the row count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from chalicelib.domain.channels import Channel, known_channels
from chalicelib.domain.exports import (
    FORMATS,
    ExportFormat,
    ExportQuery,
    ExportRecord,
    Preset,
    csv_chunks,
)
from chalicelib.domain.ids import new_id
from chalicelib.domain.model import User
from chalicelib.domain.stance import IssuePosition
from chalicelib.services.errors import NotConfiguredError, NotFoundError, UnprocessableError
from chalicelib.services.ports import Clock
from chalicelib.services.ports.exports import BlobStore, ExportJob, ExportJobQueue, ExportJobStore, ExportStatus
from chalicelib.services.ports.people import PeopleStore, PersonRow
from chalicelib.services.ports.tasks import TaskStore
from chalicelib.services.ports.users import UserStore

# People a store read asks for. DynamoDB caps a page at 1 MB (~1,300 person items), so this is
# the 1 MB page a plain paginated Scan reads too: fewest round trips. Two pages in memory at most.
PAGE_SIZE = 2000
T = TypeVar("T")
CONTENT_TYPE = "text/csv; charset=utf-8"
LINK_SECONDS = 3600


class ExportSources(Protocol):
    """What an export reads: people (one item each), who holds their open tasks, users' names."""

    @property
    def people(self) -> PeopleStore: ...
    @property
    def tasks(self) -> TaskStore: ...
    @property
    def users(self) -> UserStore: ...


class ExportJobDeps(ExportSources, Protocol):
    @property
    def exports(self) -> ExportJobStore: ...
    @property
    def blobs(self) -> BlobStore | None: ...
    @property
    def clock(self) -> Clock: ...


class ExportTooLargeError(UnprocessableError):
    """Too big for one HTTP response: run it as an export job."""


def parse_query(params: Mapping[str, str | None], issue_slugs: tuple[str, ...]) -> ExportQuery:
    """The export's filters from query parameters; anything unreadable is a 422."""
    p = {k: v.strip() for k, v in params.items() if v is not None and v.strip()}
    try:
        fmt = ExportFormat(p.get("format", "generic"))
    except ValueError:
        raise UnprocessableError("format must be one of generic, van, actionnetwork") from None
    support = None
    if "support" in p:
        try:
            support = frozenset(int(x) for x in p["support"].split(",") if x.strip())
        except ValueError:
            raise UnprocessableError("support must be levels 1-5, comma-separated (support=1,2)") from None
        if not support or not support <= {1, 2, 3, 4, 5}:
            raise UnprocessableError("support must be levels 1-5, comma-separated (support=1,2)")
    issues: list[tuple[str, IssuePosition]] = []
    for part in filter(None, (x.strip() for x in p.get("issue", "").split(","))):
        slug, _, position = part.partition(":")
        if slug not in issue_slugs:
            raise UnprocessableError(f"unknown issue {slug!r}; known: {', '.join(issue_slugs)}")
        try:
            issues.append((slug, IssuePosition(position)))
        except ValueError:
            raise UnprocessableError("issue must be slug:support|oppose|undecided|mixed") from None
    since = None
    if "since" in p:
        try:
            since = datetime.fromisoformat(p["since"].replace("Z", "+00:00").replace(" ", "+"))
        except ValueError:
            raise UnprocessableError("since must be an ISO 8601 time, e.g. 2026-11-01T00:00:00Z") from None
        since = since.replace(tzinfo=UTC) if since.tzinfo is None else since.astimezone(UTC)
    try:
        channel = Channel(p["channel"]) if "channel" in p else None
        if channel is not None and channel not in known_channels():
            raise ValueError(channel)
        preset = Preset(p["preset"]) if "preset" in p else None
    except ValueError:
        raise UnprocessableError("unknown channel or preset (presets: chase, persuasion)") from None
    return ExportQuery(format=fmt, support=support, issues=tuple(issues), since=since, channel=channel, preset=preset)


class _Names:
    """User id -> name, read once per export (there are few users)."""

    def __init__(self, store: UserStore) -> None:
        self._store = store
        self._names: dict[str, str | None] = {}

    def __call__(self, user_id: str | None) -> str | None:
        if not user_id:
            return None
        if user_id not in self._names:
            user = self._store.get_user(user_id)
            self._names[user_id] = user.name if user else None
        return self._names[user_id]


@dataclass(frozen=True)
class _Page:
    size: int  # people read (before filters), for progress
    rows: list[PersonRow]
    holders: dict[str, str | None]  # open task id -> user id holding it


def _pages(src: ExportSources, query: ExportQuery, page_size: int) -> Iterator[_Page]:
    for page in src.people.people_pages(query.since, page_size):
        wanted = [row for row in page if _stance_matches(query, row)]
        open_tasks = [r.person.open_task_id for r in wanted if r.person.open_task_id]
        holders = {t.id: t.claimed_by for t in src.tasks.get_tasks(open_tasks)} if open_tasks else {}
        yield _Page(len(page), wanted, holders)


def prefetched(items: Iterator[T]) -> Iterator[T]:
    """Read the next item in a background thread while the caller works on this one: the
    store's round trips overlap formatting. At most two pages are held at a time."""
    done = object()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-read") as pool:
        future = pool.submit(next, items, done)
        while True:
            item = future.result()
            if item is done:
                return
            future = pool.submit(next, items, done)
            yield item  # type: ignore[misc]


def records(
    src: ExportSources,
    query: ExportQuery,
    page_size: int = PAGE_SIZE,
    progress: Callable[[int], None] | None = None,
) -> Iterator[ExportRecord]:
    names = _Names(src.users)
    for page in prefetched(_pages(src, query, page_size)):
        if progress:
            progress(page.size)
        for row in page.rows:
            p = row.person
            record = ExportRecord(
                person=p,
                stance=row.stance,
                contacts=row.contacts,
                assigned_volunteer=names(page.holders.get(p.open_task_id or "")),
                recorded_by_name=names(row.stance.recorded_by) if row.stance else None,
            )
            if query.matches(record):
                yield record


def _stance_matches(query: ExportQuery, row: PersonRow) -> bool:
    """The filters a page can apply before reading task holders (saves reads)."""
    levels, stance = query.levels, row.stance
    if levels is not None and (stance is None or stance.support_level not in levels):
        return False
    return all(stance is not None and stance.issues.get(slug) is pos for slug, pos in query.issues)


def rows(src: ExportSources, query: ExportQuery, **kwargs: Any) -> Iterator[list[str]]:
    spec = FORMATS[query.format]
    for record in records(src, query, **kwargs):
        yield from spec.rows(record)


def chunks(src: ExportSources, query: ExportQuery, **kwargs: Any) -> Iterator[str]:
    """The CSV file (UTF-8 text, header first) in chunks."""
    return csv_chunks(FORMATS[query.format].columns, rows(src, query, **kwargs))


def export_inline(src: ExportSources, query: ExportQuery, max_bytes: int) -> bytes:
    """The whole file for one HTTP response, or ExportTooLargeError past ``max_bytes``
    (Lambda answers at most 6 MB, API Gateway 10 MB)."""
    parts: list[bytes] = []
    size = 0
    for chunk in chunks(src, query):
        data = chunk.encode("utf-8")
        size += len(data)
        if size > max_bytes:
            raise ExportTooLargeError(
                f"this export is larger than {max_bytes // 1_000_000} MB: start it as a job with "
                "POST /api/exports (same filters in the JSON body) and download it from GET /api/exports/{id}"
            )
        parts.append(data)
    return b"".join(parts)


# -- export jobs ------------------------------------------------------------------------------
def start_job(store: ExportJobStore, jobs: ExportJobQueue, clock: Clock, query: ExportQuery, by: User) -> ExportJob:
    job = ExportJob(
        id=new_id(), status=ExportStatus.QUEUED, params=query.as_params(), created_by=by.id, created_at=clock()
    )
    store.put_export_job(job)
    jobs.enqueue_export(job.id)
    return job


def run_job(deps: ExportJobDeps, job_id: str, issue_slugs: tuple[str, ...]) -> ExportJob:
    """Write the export to the bucket. A redelivered job that already finished is left alone."""
    store, blobs, clock = deps.exports, deps.blobs, deps.clock
    if blobs is None:
        raise NotConfiguredError("the exports bucket is not configured")
    job = store.get_export_job(job_id)
    if job is None:
        raise NotFoundError(f"no export job {job_id}")
    if job.status is ExportStatus.DONE:
        return job
    query = parse_query(job.params, issue_slugs)
    job.status = ExportStatus.RUNNING
    store.put_export_job(job)
    counted = {"rows": 0}

    def counting(rows_: Iterator[list[str]]) -> Iterator[list[str]]:
        for row in rows_:
            counted["rows"] += 1
            yield row

    spec = FORMATS[query.format]
    key = f"exports/{job.id}/{spec.filename}"
    data = (c.encode("utf-8") for c in csv_chunks(spec.columns, counting(rows(deps, query))))
    try:
        job.bytes = blobs.write_stream(key, data, CONTENT_TYPE)
    except Exception as exc:  # the job records why; the queue retries, then the DLQ keeps it
        job.status, job.error, job.finished_at = ExportStatus.FAILED, type(exc).__name__, clock()
        store.put_export_job(job)
        raise
    job.status, job.key, job.rows, job.finished_at = ExportStatus.DONE, key, counted["rows"], clock()
    store.put_export_job(job)
    return job


def job_view(store: ExportJobStore, blobs: BlobStore | None, job_id: str) -> dict[str, Any]:
    job = store.get_export_job(job_id)
    if job is None:
        raise NotFoundError(f"no export job {job_id}")
    view = job.model_dump(mode="json", exclude={"key"})
    view["url"] = None
    if job.status is ExportStatus.DONE and job.key and blobs is not None:
        filename = job.key.rsplit("/", 1)[-1]
        view["url"] = blobs.link(job.key, LINK_SECONDS, filename)
        view["url_expires_in"] = LINK_SECONDS
    return view
