"""Public conversations on Meta: Page ``feed`` comments and Instagram ``comments`` / ``mentions``.

Pure parsing of one webhook envelope that was already verified (``meta.verified_body``).
It reads only ``entry[].changes[]`` with the fields this module knows and leaves the rest
(``messaging`` DMs, WhatsApp ``messages`` changes, anything unknown) to the other parsers:
a payload that mixes them is fine. Nothing here raises on a malformed payload; what cannot
be read is counted as ``invalid`` and skipped, what is deliberately skipped is ``ignored``.

Shapes (Meta's webhook references for the ``page`` and ``instagram`` objects):

- Page ``feed``, ``value.item == "comment"``: ``verb`` (add / edited / remove / hide ...),
  ``comment_id``, ``post_id`` (``{page-id}_{post-id}``), ``parent_id`` (the post for a
  top-level comment, the parent comment for a reply), ``from {id, name}``, ``message``,
  ``created_time`` (Unix seconds), ``post {permalink_url, ...}``. Older payloads carry
  ``sender_id`` / ``sender_name`` instead of ``from``.
- Instagram ``comments``: ``value {id, text, from {id, username}, media {id,
  media_product_type}, parent_id}``; no verb, no time, no permalink.
- Instagram ``mentions``: ``value {media_id, comment_id}`` only: the text has to be fetched
  (``public_senders.InstagramMentionFetcher``). A caption mention carries no ``comment_id``
  and is ignored here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

log = logging.getLogger(__name__)

Platform = Literal["facebook", "instagram"]
Kind = Literal["comment", "mention"]
Verb = Literal["add", "edited", "remove", "hide"]

MAX_TEXT = 20_000
MAX_ID = 128

# Meta's verb enum has both spellings of an edit; "unhide" and the rest change nothing we store.
FEED_VERBS: dict[str, Verb] = {"add": "add", "edited": "edited", "edit": "edited", "remove": "remove", "hide": "hide"}
# A removal or a hide may come without the author or the text; an add or an edit may not.
VERBS_WITHOUT_AUTHOR = frozenset({"remove", "hide"})


@dataclass(frozen=True)
class PublicEvent:
    """One comment or mention on Facebook or Instagram, in neutral terms.

    ``post_id`` is the post (Facebook) or media (Instagram) the comment is on; ``parent_id``
    is the comment it answers, or None for a top-level comment. ``permalink`` is the post's
    link where the payload has one (Facebook only). ``created_at`` is the comment's own time
    (Facebook only); ``notified_at`` is when Meta sent the notification (``entry.time``).
    ``is_own`` marks the campaign's own comments (author = the Page or the Instagram account).
    ``needs_fetch`` marks an Instagram mention, which carries ids only: author and text are
    empty until the comment is fetched.
    """

    platform: Platform
    kind: Kind
    verb: Verb
    comment_id: str
    post_id: str | None
    parent_id: str | None
    permalink: str | None
    author_id: str | None
    author_name: str | None
    text: str
    created_at: datetime | None
    notified_at: datetime | None
    account_id: str | None
    is_own: bool
    needs_fetch: bool = False


@dataclass
class MetaPublicBatch:
    """What one webhook POST held: the public events, and how many changes were skipped."""

    events: list[PublicEvent]
    ignored: int = 0  # reactions, shares, the Page's own posts, unknown fields and items, other channels
    invalid: int = 0  # changes that could not be read (logged as a count, never stored)


# -- payload models -----------------------------------------------------------------------
class _M(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, coerce_numbers_to_str=True, defer_build=True)


class _From(_M):
    id: str = Field(min_length=1, max_length=MAX_ID)
    name: str | None = None
    username: str | None = None


class _Post(_M):
    permalink_url: str | None = Field(default=None, max_length=2048)


class _FeedValue(_M):
    item: str = ""
    verb: str = ""


class _FeedComment(_M):
    verb: str
    comment_id: str = Field(min_length=1, max_length=MAX_ID)
    post_id: str = Field(min_length=1, max_length=MAX_ID)
    parent_id: str | None = Field(default=None, max_length=MAX_ID)
    from_: _From | None = Field(default=None, alias="from")
    sender_id: str | None = Field(default=None, max_length=MAX_ID)
    sender_name: str | None = None
    message: str | None = None
    created_time: Any = None  # read by _time: a strange time is no reason to drop the comment
    post: _Post | None = None


class _Media(_M):
    id: str = Field(min_length=1, max_length=MAX_ID)
    media_product_type: str | None = None


class _IgComment(_M):
    id: str = Field(min_length=1, max_length=MAX_ID)
    text: str | None = None
    from_: _From = Field(alias="from")
    media: _Media | None = None
    parent_id: str | None = Field(default=None, max_length=MAX_ID)


class _IgMention(_M):
    media_id: str | None = Field(default=None, max_length=MAX_ID)
    comment_id: str | None = Field(default=None, max_length=MAX_ID)


class _Change(_M):
    field: str
    value: dict[str, Any]


# -- parsing ------------------------------------------------------------------------------
def parse_public(data: Mapping[str, Any] | Any, own_ids: Iterable[str] = ()) -> MetaPublicBatch:
    """Read the comment and mention changes of one verified Meta webhook body.

    ``own_ids`` adds the campaign's ids beyond each entry's own ``id`` (the Page id for a
    Page entry, the Instagram account id for an Instagram entry), e.g. the Instagram
    account id when its comments arrive for the Page, or an admin profile id.
    """
    batch = MetaPublicBatch(events=[])
    entries = data.get("entry") if isinstance(data, Mapping) else None
    if not isinstance(entries, list):
        batch.invalid += 1
        _log_counts(batch)
        return batch
    extra_own = {str(i) for i in own_ids if i}
    for entry in entries:
        changes = entry.get("changes", []) if isinstance(entry, dict) else None
        if not isinstance(changes, list):
            batch.invalid += 1
            continue
        # Read by hand rather than validated as a whole: a strange id or time must not cost
        # the entry's changes.
        raw_id = entry.get("id")
        account_id = str(raw_id) if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) else None
        account_id = account_id if account_id and len(account_id) <= MAX_ID else None
        ours = extra_own | ({account_id} if account_id else set())
        notified_at = _time(entry.get("time"))
        for raw_change in changes:
            _parse_change(raw_change, account_id, ours, notified_at, batch)
    _log_counts(batch)
    return batch


def _parse_change(
    raw: Any, account_id: str | None, ours: set[str], notified_at: datetime | None, batch: MetaPublicBatch
) -> None:
    change = _valid(_Change, raw)
    if change is None:
        batch.invalid += 1
        return
    if change.field == "feed":
        _parse_feed(change.value, account_id, ours, notified_at, batch)
    elif change.field == "comments":
        _parse_ig_comment(change.value, account_id, ours, notified_at, batch)
    elif change.field == "mentions":
        _parse_ig_mention(change.value, account_id, notified_at, batch)
    else:
        batch.ignored += 1  # WhatsApp messages, live_comments, story_insights, anything new


def _parse_feed(
    value: dict[str, Any], account_id: str | None, ours: set[str], notified_at: datetime | None, batch: MetaPublicBatch
) -> None:
    head = _valid(_FeedValue, value)
    if head is None:
        batch.invalid += 1
        return
    verb = FEED_VERBS.get(head.verb)
    # Reactions, likes, shares and the Page's own posts (status, photo, video, post...) are not
    # something to answer; unhide and unknown verbs change nothing we keep.
    if head.item != "comment" or verb is None:
        batch.ignored += 1
        return
    comment = _valid(_FeedComment, value)
    if comment is None:
        batch.invalid += 1
        return
    author_id = comment.from_.id if comment.from_ else comment.sender_id
    author_name = (comment.from_.name if comment.from_ else None) or comment.sender_name
    if not author_id and verb not in VERBS_WITHOUT_AUTHOR:
        batch.invalid += 1
        return
    batch.events.append(
        PublicEvent(
            platform="facebook",
            kind="comment",
            verb=verb,
            comment_id=comment.comment_id,
            post_id=comment.post_id,
            # A top-level comment names the post as its parent: only a reply has a parent comment.
            parent_id=comment.parent_id if comment.parent_id and comment.parent_id != comment.post_id else None,
            permalink=comment.post.permalink_url if comment.post else None,
            author_id=author_id or None,
            author_name=_clip(author_name, 200),
            text=_clip(comment.message, MAX_TEXT) or "",
            created_at=_time(comment.created_time),
            notified_at=notified_at,
            account_id=account_id,
            is_own=bool(author_id) and author_id in ours,
        )
    )


def _parse_ig_comment(
    value: dict[str, Any], account_id: str | None, ours: set[str], notified_at: datetime | None, batch: MetaPublicBatch
) -> None:
    comment = _valid(_IgComment, value)
    if comment is None:
        batch.invalid += 1
        return
    batch.events.append(
        PublicEvent(
            platform="instagram",
            kind="comment",
            verb="add",  # Instagram sends comment webhooks for new comments only
            comment_id=comment.id,
            post_id=comment.media.id if comment.media else None,
            parent_id=comment.parent_id or None,
            permalink=None,
            author_id=comment.from_.id,
            author_name=_clip(comment.from_.username or comment.from_.name, 200),
            text=_clip(comment.text, MAX_TEXT) or "",
            created_at=None,
            notified_at=notified_at,
            account_id=account_id,
            is_own=comment.from_.id in ours,
        )
    )


def _parse_ig_mention(
    value: dict[str, Any], account_id: str | None, notified_at: datetime | None, batch: MetaPublicBatch
) -> None:
    mention = _valid(_IgMention, value)
    if mention is None or not (mention.media_id or mention.comment_id):
        batch.invalid += 1
        return
    if not mention.comment_id:
        batch.ignored += 1  # a caption mention: a post about the campaign, not a comment to answer
        return
    batch.events.append(
        PublicEvent(
            platform="instagram",
            kind="mention",
            verb="add",
            comment_id=mention.comment_id,
            post_id=mention.media_id,
            parent_id=None,
            permalink=None,
            author_id=None,
            author_name=None,
            text="",
            created_at=None,
            notified_at=notified_at,
            account_id=account_id,
            # Someone else's comment by definition: the campaign does not mention itself.
            is_own=False,
            needs_fetch=True,
        )
    )


def _valid(model: type[_M], raw: Any) -> Any:
    if not isinstance(raw, dict):
        return None
    try:
        return model.model_validate(raw)
    except ValidationError:
        return None


def _clip(value: str | None, limit: int) -> str | None:
    # Long texts are kept, clipped: losing a constituent's comment over its length is worse.
    return value[:limit] if value else value


def _time(value: Any) -> datetime | None:
    """Unix seconds or milliseconds (``entry.time`` is either), or an ISO 8601 time; else None."""
    if isinstance(value, str) and not value.strip().replace(".", "", 1).isdigit():
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if not isinstance(value, int | float | str) or isinstance(value, bool):
        return None
    try:
        seconds = float(value)
        if seconds > 100_000_000_000:  # milliseconds: no Meta timestamp in seconds is this large
            seconds /= 1000
        return datetime.fromtimestamp(seconds, UTC)
    except (ValueError, OverflowError, OSError):  # NaN, out of range, before year 1
        return None


def _log_counts(batch: MetaPublicBatch) -> None:
    if batch.invalid:
        log.warning("meta public webhook: %d change(s) could not be parsed and were skipped", batch.invalid)
