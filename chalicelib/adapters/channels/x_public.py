"""Public conversations on X: mentions of the campaign and replies to its posts.

Pure parsing of one Account Activity event that was already verified (``x.verified_body``).
Account Activity delivers ``tweet_create_events`` (v1.1 Tweet objects) for the subscribed
account's own posts, retweets, replies, @mentions and quotes; this module keeps the tweets
that mention the account or reply to it. Retweets, quotes that do not mention the account,
the account's own standalone posts, likes, follows and every other activity are ignored;
direct message events are left to ``x.parse`` and not counted. Nothing here raises on a
malformed payload.

Tweet fields read (X's v1.1 Tweet data dictionary): ``id_str``, ``text`` / ``full_text`` and
``extended_tweet.full_text`` (``truncated`` tweets), ``user {id_str, screen_name, name}``,
``in_reply_to_status_id_str``, ``in_reply_to_user_id_str``, ``entities.user_mentions[].id_str``,
``retweeted_status``, ``quoted_status_id_str`` (a quote), ``created_at``
(``Wed Oct 10 20:19:24 +0000 2018``) or ``timestamp_ms``. Top level: ``for_user_id`` and, on
mentions, ``user_has_blocked`` (``"true"`` / ``"false"``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

log = logging.getLogger(__name__)

TweetKind = Literal["mention", "reply"]

MAX_TEXT = 20_000
MAX_ID = 32
PERMALINK = "https://x.com/{screen_name}/status/{tweet_id}"
PERMALINK_NO_NAME = "https://x.com/i/web/status/{tweet_id}"
CREATED_AT_FORMAT = "%a %b %d %H:%M:%S %z %Y"
# Handled by the direct message parser, so neither ignored nor invalid here.
DM_EVENT_KEYS = frozenset(
    {"direct_message_events", "direct_message_indicate_typing_events", "direct_message_mark_read_events"}
)


@dataclass(frozen=True)
class PublicTweet:
    """One post that mentions the campaign account or replies to it, in neutral terms.

    ``kind`` is ``reply`` when the post answers one of the account's posts, else ``mention``.
    ``in_reply_to_tweet_id`` is the post it answers (its parent in the thread);
    ``conversation_id`` is the thread's first post where the payload says so (v1.1 payloads
    usually do not). ``is_own`` marks the account's own replies, which open no task but
    belong in the thread they answer. ``author_blocked`` is X's ``user_has_blocked``: the
    account has blocked the author.
    """

    platform: Literal["x"]
    kind: TweetKind
    tweet_id: str
    in_reply_to_tweet_id: str | None
    in_reply_to_user_id: str | None
    conversation_id: str | None
    quoted_tweet_id: str | None
    permalink: str
    author_id: str
    author_screen_name: str | None
    author_name: str | None
    text: str
    created_at: datetime | None
    account_id: str
    is_own: bool
    author_blocked: bool = False


@dataclass
class XPublicBatch:
    """What one Account Activity POST held: the public tweets, and how many were skipped."""

    tweets: list[PublicTweet]
    ignored: int = 0  # retweets, quotes without a mention, own posts, likes, follows, other activity
    invalid: int = 0  # tweets that could not be read (logged as a count, never stored)


class _M(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True, defer_build=True)


class _User(_M):
    id_str: str = Field(min_length=1, max_length=MAX_ID)
    screen_name: str | None = Field(default=None, max_length=64)
    name: str | None = None


class _Mention(_M):
    id_str: str | None = Field(default=None, max_length=MAX_ID)


class _Entities(_M):
    user_mentions: list[Any] = Field(default_factory=list)


class _Extended(_M):
    full_text: str | None = None
    entities: _Entities | None = None


class _Tweet(_M):
    id_str: str = Field(min_length=1, max_length=MAX_ID)
    text: str | None = None
    full_text: str | None = None
    extended_tweet: _Extended | None = None
    user: _User
    in_reply_to_status_id_str: str | None = Field(default=None, max_length=MAX_ID)
    in_reply_to_user_id_str: str | None = Field(default=None, max_length=MAX_ID)
    conversation_id_str: str | None = Field(default=None, max_length=MAX_ID)
    entities: _Entities | None = None
    retweeted_status: dict[str, Any] | None = None
    quoted_status_id_str: str | None = Field(default=None, max_length=MAX_ID)
    created_at: Any = None
    timestamp_ms: Any = None


def parse_public_tweets(data: Mapping[str, Any] | Any, own_user_id: str | None = None) -> XPublicBatch:
    """Read the mentions of and replies to the campaign account in one verified X event.

    The account is ``for_user_id`` (the subscription the event is for) and ``own_user_id``
    (the configured account id); without either no tweet can be told apart and all are ignored.
    """
    batch = XPublicBatch(tweets=[])
    if not isinstance(data, Mapping):
        batch.invalid += 1
        _log_counts(batch)
        return batch
    for_user = data.get("for_user_id")
    ours = {str(uid) for uid in (for_user, own_user_id) if isinstance(uid, str | int) and str(uid)}
    blocked = str(data.get("user_has_blocked", "")).lower() == "true"
    for key, value in data.items():
        if isinstance(key, str) and key.endswith("_events") and key not in DM_EVENT_KEYS | {"tweet_create_events"}:
            batch.ignored += len(value) if isinstance(value, list) else 1  # likes, follows, deletes...
    tweets = data.get("tweet_create_events", [])
    if not isinstance(tweets, list):
        batch.invalid += 1
        tweets = []
    account_id = str(for_user) if isinstance(for_user, str | int) and str(for_user) else (own_user_id or "")
    for raw in tweets:
        _parse_tweet(raw, ours, account_id, blocked, batch)
    _log_counts(batch)
    return batch


def _parse_tweet(raw: Any, ours: set[str], account_id: str, blocked: bool, batch: XPublicBatch) -> None:
    if not isinstance(raw, dict):
        batch.invalid += 1
        return
    try:
        tweet = _Tweet.model_validate(raw)
    except ValidationError:
        batch.invalid += 1
        return
    if not ours or tweet.retweeted_status is not None:
        batch.ignored += 1  # a retweet repeats someone's post: nothing new to answer
        return
    is_own = tweet.user.id_str in ours
    replies_to_us = tweet.in_reply_to_user_id_str in ours
    mentions_us = bool(_mentioned(tweet) & ours)
    if is_own:
        # The account's own answer in a thread is shown there; its other posts are not ours to file.
        if not tweet.in_reply_to_status_id_str:
            batch.ignored += 1
            return
    elif not (replies_to_us or mentions_us):
        batch.ignored += 1  # a quote of the account's post that does not mention it, or noise
        return
    tweet_id = tweet.id_str
    screen_name = tweet.user.screen_name or None
    batch.tweets.append(
        PublicTweet(
            platform="x",
            kind="reply" if replies_to_us or (is_own and tweet.in_reply_to_status_id_str) else "mention",
            tweet_id=tweet_id,
            in_reply_to_tweet_id=tweet.in_reply_to_status_id_str or None,
            in_reply_to_user_id=tweet.in_reply_to_user_id_str or None,
            conversation_id=tweet.conversation_id_str or None,
            quoted_tweet_id=tweet.quoted_status_id_str or None,
            permalink=(
                PERMALINK.format(screen_name=screen_name, tweet_id=tweet_id)
                if screen_name
                else PERMALINK_NO_NAME.format(tweet_id=tweet_id)
            ),
            author_id=tweet.user.id_str,
            author_screen_name=screen_name,
            author_name=tweet.user.name[:200] if tweet.user.name else None,
            text=_full_text(tweet)[:MAX_TEXT],
            created_at=_created_at(tweet),
            account_id=account_id,
            is_own=is_own,
            author_blocked=blocked and not is_own,
        )
    )


def _full_text(tweet: _Tweet) -> str:
    # A post longer than 140 characters arrives truncated, with the whole text in extended_tweet.
    if tweet.extended_tweet and tweet.extended_tweet.full_text:
        return tweet.extended_tweet.full_text
    return tweet.full_text or tweet.text or ""


def _mentioned(tweet: _Tweet) -> set[str]:
    lists = [tweet.entities.user_mentions if tweet.entities else []]
    if tweet.extended_tweet and tweet.extended_tweet.entities:
        lists.append(tweet.extended_tweet.entities.user_mentions)
    found: set[str] = set()
    for mentions in lists:
        for raw in mentions:
            if not isinstance(raw, dict):
                continue
            try:
                mention = _Mention.model_validate(raw)
            except ValidationError:
                continue
            if mention.id_str:
                found.add(mention.id_str)
    return found


def _created_at(tweet: _Tweet) -> datetime | None:
    if isinstance(tweet.created_at, str):
        try:
            return datetime.strptime(tweet.created_at, CREATED_AT_FORMAT).astimezone(UTC)
        except ValueError:
            pass
    ms = tweet.timestamp_ms
    if isinstance(ms, int | str) and not isinstance(ms, bool) and str(ms).isdigit():
        try:
            return datetime.fromtimestamp(int(ms) / 1000, UTC)
        except (ValueError, OverflowError, OSError):
            return None
    return None


def _log_counts(batch: XPublicBatch) -> None:
    if batch.invalid:
        log.warning("x public webhook: %d tweet(s) could not be parsed and were skipped", batch.invalid)
