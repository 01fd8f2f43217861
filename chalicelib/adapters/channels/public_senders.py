"""Answers in public conversations: replies, private replies, hiding, and reading a mention.

Each sender takes an ``HttpFn`` (``http.urllib_transport`` in production, a fake in tests)
and returns the provider's id, or raises ``PublicSendError``, which says whether a retry can
help (``permanent``), with a machine ``code`` and a ``reason`` a volunteer can read.

Meta (Graph API, a Page access token as ``Bearer``; ``graph_url`` includes the version,
e.g. ``https://graph.facebook.com/v21.0``):

- private reply: ``POST /{page-id|ig-user-id|me}/messages`` with ``recipient.comment_id``;
  one per comment, within 7 days of it (answers ``{recipient_id, message_id}``);
- public reply: ``POST /{comment-id}/comments`` (Facebook), ``POST /{ig-comment-id}/replies``
  (Instagram, comments on the account's own media), ``POST /{ig-user-id}/mentions`` with
  ``media_id`` + ``comment_id`` (Instagram, a comment elsewhere that mentions the account);
  each answers ``{id}``;
- hide: ``POST /{comment-id}`` with ``is_hidden`` (Facebook) or ``hide`` (Instagram) true,
  answers ``{success: true}``;
- read a mention: ``GET /{ig-user-id}?fields=mentioned_comment.comment_id({id}){...}``.

X (API v2, OAuth 1.0a user context): ``POST /2/tweets`` with ``{"text", "reply":
{"in_reply_to_tweet_id"}}``, answers ``201 {"data": {"id", "text"}}``.

A network failure inside a custom transport (``OSError``) becomes a transient error here;
``urllib_transport`` already raises the app's own transient ``SendError``, which passes through.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlencode

from chalicelib.adapters.channels.http import HttpFn, HttpRequest, HttpResponse, post_json
from chalicelib.adapters.channels.x import OAuth1Credentials, oauth1_header

MetaPlatform = Literal["facebook", "instagram"]
Clock = Callable[[], datetime]

PRIVATE_REPLY_WINDOW = timedelta(days=7)
# What an id may hold to go into a path or a field expansion as it is: nothing to escape.
SAFE_ID = re.compile(r"[A-Za-z0-9_.-]{1,128}")
MAX_REASON = 200


class PublicSendError(Exception):
    """A provider refused (or could not be reached for) a public-conversation action.

    ``code`` is ours and stable (``already_replied``, ``too_old``, ``deleted``, ``rate_limited``...);
    ``provider_code`` is the provider's own (``10900``, ``100/33``, ``403``); ``retry_after`` is
    the wait in seconds the provider asked for, when it said.
    """

    def __init__(
        self,
        reason: str,
        code: str,
        *,
        permanent: bool,
        provider_code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.permanent = permanent
        self.provider_code = provider_code
        self.retry_after = retry_after


# -- Meta: error mapping ------------------------------------------------------------------
# (code, subcode) -> (our code, permanent, reason). Subcode None matches any subcode.
# Private-reply codes 10900-10903 and 100/33 (object gone) come from Meta's answers as
# recorded by integrators; the rest from Meta's Graph API error-handling guide.
GRAPH_ERRORS: dict[tuple[int, int | None], tuple[str, bool, str]] = {
    (10900, None): (
        "already_replied",
        True,
        "this comment already has its private reply: Meta allows only one per comment",
    ),
    (10901, None): ("too_old", True, "the comment is more than 7 days old: Meta no longer allows a private reply"),
    # The Send API's "outside of allowed window" answer means the same for a private reply.
    (10, 2018278): ("too_old", True, "the comment is more than 7 days old: Meta no longer allows a private reply"),
    (10902, None): ("not_replyable", True, "Meta does not allow a private reply to this kind of post or comment"),
    (10903, None): ("not_replyable", True, "Meta does not allow a private reply to this comment"),
    (100, 33): ("deleted", True, "the comment no longer exists (deleted), or the Page token cannot see it"),
    (190, None): ("auth", True, "the Meta access token is invalid or has expired"),
    (368, None): ("blocked", True, "Meta blocked the action as abusive or otherwise disallowed"),
}
GRAPH_RATE_LIMITS = frozenset({4, 17, 32, 341, 613, 80001, 80006})
GRAPH_OUTAGES = frozenset({1, 2})
GRAPH_PERMISSIONS = frozenset({3, 10, *range(200, 300)})


def graph_error(response: HttpResponse) -> PublicSendError:
    """Map a Graph API refusal: rate limits and outages are transient, the rest permanent."""
    body = response.json()
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return _status_error(response, "Meta")
    code = _int(error.get("code"))
    subcode = _int(error.get("error_subcode"))
    label = f"{code}/{subcode}" if subcode is not None else str(code)
    known = (GRAPH_ERRORS.get((code, subcode)) or GRAPH_ERRORS.get((code, None))) if code is not None else None
    if known:
        ours, permanent, reason = known
        return PublicSendError(reason, ours, permanent=permanent, provider_code=label)
    meta_says = str(error.get("message") or error.get("type") or "refused")[:MAX_REASON]
    if code in GRAPH_RATE_LIMITS or response.status == 429:
        return PublicSendError(f"Meta rate limit: {meta_says}", "rate_limited", permanent=False, provider_code=label)
    if code in GRAPH_OUTAGES or response.status >= 500 or error.get("is_transient") is True:
        return PublicSendError(f"Meta is unavailable: {meta_says}", "unavailable", permanent=False, provider_code=label)
    if code in GRAPH_PERMISSIONS:
        return PublicSendError(
            f"the Page token lacks a permission: {meta_says}", "permission", permanent=True, provider_code=label
        )
    return PublicSendError(meta_says, "refused", permanent=True, provider_code=label)


class _Graph:
    """The Graph API calls the Meta senders share: JSON in, JSON out, errors mapped."""

    def __init__(self, http: HttpFn, graph_url: str, access_token: str) -> None:
        self._http = http
        self._base = graph_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {access_token}"}

    def post(self, path: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        url = f"{self._base}/{path}"
        return self._answer(_call(lambda: post_json(self._http, url, payload, self._headers)))

    def get(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        url = f"{self._base}/{path}?{urlencode(params)}"
        return self._answer(_call(lambda: self._http(HttpRequest("GET", url, self._headers))))

    @staticmethod
    def _answer(response: HttpResponse) -> dict[str, Any]:
        if response.status != 200:
            raise graph_error(response)
        body = response.json()
        if not isinstance(body, dict):
            raise PublicSendError("Meta answered with something that is not JSON", "bad_response", permanent=False)
        if isinstance(body.get("error"), dict):  # an error inside a 200, as batch answers carry them
            raise graph_error(HttpResponse(400, response.body, response.headers))
        return body


# -- Meta: senders ------------------------------------------------------------------------
class MetaPrivateReplySender:
    """A private reply (Messenger, or Instagram Direct) to a Facebook or Instagram comment.

    ``account_id`` is the Page id (Facebook, or Instagram through the Page), the Instagram
    account id (Instagram Login), or ``me`` for the token's own Page. Meta allows one private
    reply per comment, within 7 days of it; when the comment's time is known, an older one is
    refused here without calling Meta.
    """

    def __init__(
        self, http: HttpFn, graph_url: str, access_token: str, account_id: str = "me", clock: Clock | None = None
    ) -> None:
        self._graph = _Graph(http, graph_url, access_token)
        self._path = f"{_segment(account_id, 'account id')}/messages"
        self._clock = clock or (lambda: datetime.now(UTC))

    def send(self, comment_id: str, text: str, commented_at: datetime | None = None) -> str:
        """Send ``text`` privately to the author of ``comment_id``; returns Meta's ``message_id``."""
        target = _segment(comment_id, "comment id")
        _require_text(text)
        if commented_at is not None and self._clock() - commented_at > PRIVATE_REPLY_WINDOW:
            ours, _, reason = GRAPH_ERRORS[(10901, None)]
            raise PublicSendError(reason, ours, permanent=True)
        body = self._graph.post(self._path, {"recipient": {"comment_id": target}, "message": {"text": text}})
        return _id(body, "message_id")


# Variation is data: the edge a public reply goes to, and the flag that hides a comment.
REPLY_EDGES: dict[MetaPlatform, str] = {"facebook": "comments", "instagram": "replies"}
HIDE_FLAGS: dict[MetaPlatform, str] = {"facebook": "is_hidden", "instagram": "hide"}


class MetaCommentReplySender:
    """A public reply under a comment: ``/{comment-id}/comments`` (Facebook), ``/replies`` (Instagram).

    On Instagram this works for comments on the account's own media; a comment elsewhere that
    mentions the account is answered with ``InstagramMentionReplySender``.
    """

    def __init__(self, http: HttpFn, graph_url: str, access_token: str) -> None:
        self._graph = _Graph(http, graph_url, access_token)

    def send(self, platform: MetaPlatform, comment_id: str, text: str) -> str:
        """Reply publicly to ``comment_id``; returns the new comment's id."""
        edge = REPLY_EDGES.get(platform)
        if edge is None:
            raise PublicSendError(f"no public replies on {platform!r}", "unsupported", permanent=True)
        _require_text(text)
        return _id(self._graph.post(f"{_segment(comment_id, 'comment id')}/{edge}", {"message": text}), "id")


class InstagramMentionReplySender:
    """A public reply to a comment on someone else's media that @mentions the account.

    ``POST /{ig-user-id}/mentions`` with ``media_id`` and ``comment_id`` (both from the
    ``mentions`` webhook); the reply appears under the mentioning comment.
    """

    def __init__(self, http: HttpFn, graph_url: str, access_token: str, ig_user_id: str) -> None:
        self._graph = _Graph(http, graph_url, access_token)
        self._path = f"{_segment(ig_user_id, 'Instagram account id')}/mentions"

    def send(self, media_id: str, comment_id: str, text: str) -> str:
        """Reply under the mentioning comment; returns the new comment's id."""
        payload = {
            "media_id": _segment(media_id, "media id"),
            "comment_id": _segment(comment_id, "comment id"),
            "message": _require_text(text),
        }
        return _id(self._graph.post(self._path, payload), "id")


class MetaCommentHider:
    """Hides a comment from everyone but its author and their friends (Facebook) or followers."""

    def __init__(self, http: HttpFn, graph_url: str, access_token: str) -> None:
        self._graph = _Graph(http, graph_url, access_token)

    def hide(self, platform: MetaPlatform, comment_id: str) -> str:
        """Hide ``comment_id``; returns it when Meta confirms."""
        flag = HIDE_FLAGS.get(platform)
        if flag is None:
            raise PublicSendError(f"comments cannot be hidden on {platform!r}", "unsupported", permanent=True)
        target = _segment(comment_id, "comment id")
        body = self._graph.post(target, {flag: True})
        if body.get("success") is not True:
            raise PublicSendError("Meta did not confirm the comment is hidden", "bad_response", permanent=False)
        return comment_id


@dataclass(frozen=True)
class MentionedComment:
    """The comment an Instagram ``mentions`` webhook only names by id."""

    comment_id: str
    text: str
    username: str | None
    created_at: datetime | None
    media_id: str | None
    permalink: str | None


# The documented fields of a mentioned comment are id, text, timestamp, like_count and media;
# username and the media's permalink are asked for too and dropped if Meta refuses them.
MENTION_FIELDS = "id,text,timestamp,username,media{id,permalink}"
MENTION_FIELDS_DOCUMENTED = "id,text,timestamp,media{id}"


class InstagramMentionFetcher:
    """Reads a comment that @mentions the account: ``GET /{ig-user-id}?fields=mentioned_comment...``."""

    def __init__(self, http: HttpFn, graph_url: str, access_token: str, ig_user_id: str) -> None:
        self._graph = _Graph(http, graph_url, access_token)
        self._user = _segment(ig_user_id, "Instagram account id")

    def fetch(self, comment_id: str) -> MentionedComment:
        """The mentioned comment's text, author and media; rate limits and outages are transient."""
        target = _segment(comment_id, "comment id")
        try:
            body = self._fetch(target, MENTION_FIELDS)
        except PublicSendError as err:
            if err.provider_code != "100" or "field" not in err.reason.lower():
                raise
            body = self._fetch(target, MENTION_FIELDS_DOCUMENTED)  # an undocumented field was refused
        comment = body.get("mentioned_comment")
        if not isinstance(comment, dict) or not isinstance(comment.get("text", ""), str):
            raise PublicSendError("Meta answered without the mentioned comment", "bad_response", permanent=False)
        raw_media = comment.get("media")
        media: dict[str, Any] = raw_media if isinstance(raw_media, dict) else {}
        return MentionedComment(
            comment_id=str(comment.get("id") or comment_id),
            text=str(comment.get("text") or ""),
            username=_str_or_none(comment.get("username")),
            created_at=_iso(comment.get("timestamp")),
            media_id=_str_or_none(media.get("id")),
            permalink=_str_or_none(media.get("permalink")),
        )

    def _fetch(self, target: str, fields: str) -> dict[str, Any]:
        return self._graph.get(self._user, {"fields": f"mentioned_comment.comment_id({target}){{{fields}}}"})


# -- X ------------------------------------------------------------------------------------
# Words X uses in a refusal, tried in order (v2 ``detail``/``title`` and v1.1-style messages).
X_REFUSALS: tuple[tuple[str, str, str], ...] = (
    ("duplicate", "duplicate", "X refuses a post identical to a recent one from the account"),
    ("deleted or not visible", "deleted", "the post to answer was deleted or is not visible to the account"),
    (
        "not been mentioned or otherwise engaged",
        "reply_not_allowed",
        "X allows an API reply only to a post that mentions or quotes the account",
    ),
    ("restricted who can reply", "reply_not_allowed", "the author restricted who can reply to this post"),
)
X_REFUSAL_CODES = {187: "duplicate", 385: "deleted", 433: "reply_not_allowed"}


def x_error(response: HttpResponse, now: Callable[[], float] = time.time) -> PublicSendError:
    """Map an X API v2 refusal: 429 and 5xx are transient, other refusals permanent."""
    body = response.json()
    said = _x_words(body)
    label = str(response.status)
    if response.status == 429:
        return PublicSendError(
            "X rate limit reached", "rate_limited", permanent=False, provider_code=label,
            retry_after=_x_retry_after(response.headers, now),
        )  # fmt: skip
    if response.status >= 500:
        return PublicSendError(
            f"X is unavailable ({response.status})", "unavailable", permanent=False, provider_code=label
        )
    if response.status == 401:
        return PublicSendError("X refused the credentials", "auth", permanent=True, provider_code=label)
    lowered = said.lower()
    for words, ours, reason in X_REFUSALS:
        if words in lowered:
            return PublicSendError(reason, ours, permanent=True, provider_code=label)
    for code in _x_codes(body):
        if code in X_REFUSAL_CODES:
            ours = X_REFUSAL_CODES[code]
            reason = next(r for _, o, r in X_REFUSALS if o == ours)
            return PublicSendError(reason, ours, permanent=True, provider_code=f"{label}/{code}")
    if response.status == 404:
        return PublicSendError("the post to answer was not found", "deleted", permanent=True, provider_code=label)
    ours = "bad_request" if response.status == 400 else "forbidden" if response.status == 403 else "refused"
    return PublicSendError(
        (said or f"X answered {response.status}")[:MAX_REASON], ours, permanent=True, provider_code=label
    )


class XPublicReplySender:
    """A public reply on X (``POST /2/tweets`` with ``reply.in_reply_to_tweet_id``), OAuth 1.0a.

    ``api_url`` is the v2 root, e.g. ``https://api.x.com/2``. Since 2026 X accepts an API
    reply on the Free, Basic, Pro and pay-per-use tiers only when the post answered mentions
    or quotes the account; a refusal is permanent (``reply_not_allowed``).
    """

    def __init__(
        self, http: HttpFn, api_url: str, creds: OAuth1Credentials, auth: Callable[..., str] = oauth1_header
    ) -> None:
        self._http = http
        self._url = api_url.rstrip("/") + "/tweets"
        self._creds = creds
        self._auth = auth

    def send(self, in_reply_to_tweet_id: str, text: str) -> str:
        """Reply to ``in_reply_to_tweet_id``; returns the new post's id."""
        if not in_reply_to_tweet_id or not in_reply_to_tweet_id.isdigit():
            raise PublicSendError("no post id to reply to", "no_target", permanent=True)
        payload = {"text": _require_text(text), "reply": {"in_reply_to_tweet_id": in_reply_to_tweet_id}}
        headers = {"Authorization": self._auth("POST", self._url, self._creds)}
        response = _call(lambda: post_json(self._http, self._url, payload, headers))
        if response.status not in (200, 201):
            raise x_error(response)
        body = response.json()
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise PublicSendError("X answered without the new post", "bad_response", permanent=False)
        return _id(data, "id")


# -- helpers ------------------------------------------------------------------------------
def _call(send: Callable[[], HttpResponse]) -> HttpResponse:
    try:
        return send()
    except OSError as exc:  # a custom transport's network failure (URLError and timeouts are OSErrors)
        raise PublicSendError(f"network error: {type(exc).__name__}", "network", permanent=False) from None


def _status_error(response: HttpResponse, provider: str) -> PublicSendError:
    transient = response.status == 429 or response.status >= 500
    code = "rate_limited" if response.status == 429 else "unavailable" if transient else "refused"
    return PublicSendError(
        f"{provider} answered {response.status}", code, permanent=not transient, provider_code=str(response.status)
    )


def _segment(value: str, what: str) -> str:
    """An id fit to be one URL path segment (Meta ids are digits and underscores), else a refusal."""
    if not isinstance(value, str) or not SAFE_ID.fullmatch(value):
        raise PublicSendError(f"no usable {what}", "no_target", permanent=True)
    return value


def _require_text(text: str) -> str:
    if not text or not text.strip():
        raise PublicSendError("nothing to send: the text is empty", "no_text", permanent=True)
    return text


def _id(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value):
        raise PublicSendError(f"the answer has no {key}", "bad_response", permanent=False)
    return str(value)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _str_or_none(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) and str(value) else None


def _iso(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _x_words(body: Any) -> str:
    if not isinstance(body, dict):
        return ""
    parts = [body.get("detail"), body.get("title")]
    errors = body.get("errors")
    for item in errors if isinstance(errors, list) else []:
        if isinstance(item, dict):
            parts += [item.get("message"), item.get("detail")]
    return " ".join(p for p in parts if isinstance(p, str) and p)


def _x_codes(body: Any) -> list[int]:
    errors = body.get("errors") if isinstance(body, dict) else None
    codes = [_int(item.get("code")) for item in errors if isinstance(item, dict)] if isinstance(errors, list) else []
    return [c for c in codes if c is not None]


def _x_retry_after(headers: Mapping[str, str], now: Callable[[], float]) -> float | None:
    lowered = {k.lower(): v for k, v in headers.items()}
    reset = lowered.get("x-rate-limit-reset")
    if reset and reset.isdigit():
        return max(0.0, float(reset) - now())
    after = lowered.get("retry-after")
    return float(after) if after and after.isdigit() else None
