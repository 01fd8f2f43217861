"""Public-conversation senders against recorded provider answers, through a fake transport.

The error bodies are the providers' own, as documented or as integrators recorded them:
Meta's Graph API error format (``{"error": {"message", "type", "code", "error_subcode",
"fbtrace_id"}}``), the private-reply codes 10900-10903, 100/33 for an object that no longer
exists; X API v2 problem bodies (``{"detail", "title", "type", "status"}``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib.adapters.channels.http import HttpRequest, HttpResponse
from chalicelib.adapters.channels.public_senders import (
    MENTION_FIELDS,
    MENTION_FIELDS_DOCUMENTED,
    InstagramMentionFetcher,
    InstagramMentionReplySender,
    MentionedComment,
    MetaCommentHider,
    MetaCommentReplySender,
    MetaPrivateReplySender,
    PublicSendError,
    XPublicReplySender,
    x_error,
)
from chalicelib.adapters.channels.x import OAuth1Credentials

GRAPH = "https://graph.test/v21.0"
X_API = "https://api.x.test/2"
TOKEN = "page-token"
PAGE_ID = "104000000000001"
IG_USER = "17841400000000001"
FB_COMMENT = "122100000000000001_1000000000000001"
IG_COMMENT = "17850000000000001"
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


class FakeTransport:
    """Records requests and answers with canned responses, in order (or raises one)."""

    def __init__(self, *responses: HttpResponse | Exception) -> None:
        self.responses = list(responses)
        self.requests: list[HttpRequest] = []

    def __call__(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        answer = self.responses.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    @property
    def sent(self) -> Any:
        return json.loads(self.requests[-1].body)


def answer(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    return HttpResponse(status, json.dumps(payload).encode(), headers or {})


def graph_error(code: int, message: str, subcode: int | None = None, status: int = 400, **extra: Any) -> HttpResponse:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbC123xYz"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return answer({"error": error | extra}, status)


def refused(call: Any) -> PublicSendError:
    with pytest.raises(PublicSendError) as err:
        call()
    return err.value


# -- Meta: private reply ------------------------------------------------------------------
def test_a_private_reply_goes_to_the_pages_messages_with_the_comment_as_recipient() -> None:
    http = FakeTransport(answer({"recipient_id": "7000000000000002", "message_id": "m_PrivateReply1"}))
    sender = MetaPrivateReplySender(http, GRAPH, TOKEN, account_id=PAGE_ID)

    assert sender.send(FB_COMMENT, "Thanks, we'll get back to you!") == "m_PrivateReply1"

    [request] = http.requests
    assert (request.method, request.url) == ("POST", f"{GRAPH}/{PAGE_ID}/messages")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"] == "application/json"
    assert http.sent == {"recipient": {"comment_id": FB_COMMENT}, "message": {"text": "Thanks, we'll get back to you!"}}


def test_an_instagram_private_reply_through_the_page_token_uses_me_messages() -> None:
    http = FakeTransport(answer({"recipient_id": "1234567890123456", "message_id": "aWdfZAG1fIGReply"}))

    assert MetaPrivateReplySender(http, GRAPH + "/", TOKEN).send(IG_COMMENT, "Thanks!") == "aWdfZAG1fIGReply"
    assert http.requests[0].url == f"{GRAPH}/me/messages"
    assert http.sent["recipient"] == {"comment_id": IG_COMMENT}


def test_a_comment_older_than_seven_days_is_refused_without_calling_meta() -> None:
    http = FakeTransport()
    sender = MetaPrivateReplySender(http, GRAPH, TOKEN, PAGE_ID, clock=lambda: NOW)

    err = refused(lambda: sender.send(FB_COMMENT, "Hi", commented_at=NOW - timedelta(days=7, minutes=1)))

    assert (err.code, err.permanent) == ("too_old", True) and "7 days" in err.reason
    assert http.requests == []


def test_a_comment_inside_seven_days_is_sent() -> None:
    http = FakeTransport(answer({"message_id": "m_1"}))
    sender = MetaPrivateReplySender(http, GRAPH, TOKEN, PAGE_ID, clock=lambda: NOW)
    assert sender.send(FB_COMMENT, "Hi", commented_at=NOW - timedelta(days=6, hours=23)) == "m_1"


@pytest.mark.parametrize(
    ("response", "code", "permanent", "provider_code"),
    [
        # one private reply per comment
        (graph_error(10900, "(#10900) Activity already replied to"), "already_replied", True, "10900"),
        # after 7 days
        (graph_error(10901, "(#10901) Activity replying time expired"), "too_old", True, "10901"),
        (graph_error(10, "This message is sent outside of allowed window.", 2018278, status=403), "too_old", True,
         "10/2018278"),
        (graph_error(10902, "(#10902) This is not a Replyable activity"), "not_replyable", True, "10902"),
        (graph_error(10903, "(#10903) This user cant reply to this activity"), "not_replyable", True, "10903"),
        # the comment was deleted (or the token cannot see it)
        (graph_error(100, "Unsupported post request. Object with ID '122100000000000001_1000000000000001' does not "
                          "exist, cannot be loaded due to missing permissions, or does not support this operation",
                     33, type="GraphMethodException"), "deleted", True, "100/33"),
        (graph_error(190, "Error validating access token: Session has expired", 463, status=401), "auth", True,
         "190/463"),
        (graph_error(368, "The action attempted has been deemed abusive or is otherwise disallowed"), "blocked", True,
         "368"),
        (graph_error(10, "(#10) Application does not have permission for this action", status=403), "permission",
         True, "10"),
        (graph_error(200, "(#200) Requires pages_messaging permission", status=403), "permission", True, "200"),
        (graph_error(551, "This person isn't available right now."), "refused", True, "551"),
        # rate limits and outages
        (graph_error(4, "(#4) Application request limit reached", status=403), "rate_limited", False, "4"),
        (graph_error(17, "(#17) User request limit reached", status=403), "rate_limited", False, "17"),
        (graph_error(32, "(#32) Page request limit reached", status=403), "rate_limited", False, "32"),
        (graph_error(613, "Calls to this api have exceeded the rate limit."), "rate_limited", False, "613"),
        (graph_error(80001, "There have been too many calls to this Page account."), "rate_limited", False, "80001"),
        (graph_error(1, "An unknown error occurred", 99, status=500), "unavailable", False, "1/99"),
        (graph_error(2, "An unexpected error has occurred. Please retry your request later.", status=503),
         "unavailable", False, "2"),
        (graph_error(1200, "Temporary send message failure. Please try again later", is_transient=True),
         "unavailable", False, "1200"),
        # no Graph error body at all
        (HttpResponse(502, b"<html>Bad Gateway</html>"), "unavailable", False, "502"),
        (HttpResponse(429, b""), "rate_limited", False, "429"),
        (HttpResponse(403, b"{}"), "refused", True, "403"),
    ],
)  # fmt: skip
def test_meta_refusals_map_to_permanent_or_transient(
    response: HttpResponse, code: str, permanent: bool, provider_code: str
) -> None:
    sender = MetaPrivateReplySender(FakeTransport(response), GRAPH, TOKEN, PAGE_ID)

    err = refused(lambda: sender.send(FB_COMMENT, "Thanks!"))

    assert (err.code, err.permanent, err.provider_code) == (code, permanent, provider_code)
    assert err.reason and len(err.reason) <= 250
    assert FB_COMMENT not in err.reason  # our own reasons name no ids


def test_the_reasons_for_the_private_reply_limits_say_what_happened() -> None:
    reasons = {
        code: refused(
            lambda code=code: MetaPrivateReplySender(FakeTransport(graph_error(code, "x")), GRAPH, TOKEN).send(
                FB_COMMENT, "Hi"
            )
        ).reason
        for code in (10900, 10901)
    }
    assert "only one" in reasons[10900]
    assert "7 days" in reasons[10901]
    deleted = refused(
        lambda: MetaCommentReplySender(FakeTransport(graph_error(100, "gone", 33)), GRAPH, TOKEN).send(
            "facebook", FB_COMMENT, "Hi"
        )
    )
    assert "deleted" in deleted.reason


def test_a_network_failure_is_transient() -> None:
    sender = MetaPrivateReplySender(FakeTransport(TimeoutError("timed out")), GRAPH, TOKEN, PAGE_ID)
    err = refused(lambda: sender.send(FB_COMMENT, "Hi"))
    assert (err.code, err.permanent) == ("network", False)


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"recipient_id": "7"}'])
def test_a_success_without_a_message_id_is_transient(body: bytes) -> None:
    sender = MetaPrivateReplySender(FakeTransport(HttpResponse(200, body)), GRAPH, TOKEN, PAGE_ID)
    err = refused(lambda: sender.send(FB_COMMENT, "Hi"))
    assert (err.code, err.permanent) == ("bad_response", False)


def test_an_error_inside_a_200_is_still_an_error() -> None:
    http = FakeTransport(answer({"error": {"message": "(#10900) Activity already replied to", "code": 10900}}))
    assert refused(lambda: MetaPrivateReplySender(http, GRAPH, TOKEN).send(FB_COMMENT, "Hi")).code == "already_replied"


@pytest.mark.parametrize(("comment_id", "text"), [("", "Hi"), ("1/2", "Hi"), ("1?x=2", "Hi"), (FB_COMMENT, "  ")])
def test_unusable_ids_and_empty_texts_are_refused_without_calling_meta(comment_id: str, text: str) -> None:
    http = FakeTransport()
    err = refused(lambda: MetaPrivateReplySender(http, GRAPH, TOKEN).send(comment_id, text))
    assert err.permanent and err.code in {"no_target", "no_text"} and http.requests == []


# -- Meta: public replies -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("platform", "comment_id", "path"),
    [("facebook", FB_COMMENT, f"{FB_COMMENT}/comments"), ("instagram", IG_COMMENT, f"{IG_COMMENT}/replies")],
)
def test_a_public_reply_goes_under_the_comment(platform: Any, comment_id: str, path: str) -> None:
    http = FakeTransport(answer({"id": "122100000000000001_1000000000000099"}))

    reply_id = MetaCommentReplySender(http, GRAPH, TOKEN).send(platform, comment_id, "Yes, Elm Street is on the route.")

    assert reply_id == "122100000000000001_1000000000000099"
    assert (http.requests[0].method, http.requests[0].url) == ("POST", f"{GRAPH}/{path}")
    assert http.sent == {"message": "Yes, Elm Street is on the route."}
    assert http.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_a_public_reply_on_a_platform_without_comments_is_refused() -> None:
    http = FakeTransport()
    err = refused(lambda: MetaCommentReplySender(http, GRAPH, TOKEN).send("x", FB_COMMENT, "Hi"))  # type: ignore[arg-type]
    assert (err.code, err.permanent, http.requests) == ("unsupported", True, [])


@pytest.mark.parametrize(
    ("response", "code", "permanent"),
    [
        (graph_error(100, "Unsupported post request.", 33), "deleted", True),
        (graph_error(4, "(#4) Application request limit reached", status=403), "rate_limited", False),
        (HttpResponse(500, b""), "unavailable", False),
    ],
)
def test_public_reply_refusals(response: HttpResponse, code: str, permanent: bool) -> None:
    err = refused(lambda: MetaCommentReplySender(FakeTransport(response), GRAPH, TOKEN).send("instagram", "1", "Hi"))
    assert (err.code, err.permanent) == (code, permanent)


def test_a_mention_is_answered_through_the_accounts_mentions_edge() -> None:
    http = FakeTransport(answer({"id": "17911496353086895"}))

    reply_id = InstagramMentionReplySender(http, GRAPH, TOKEN, IG_USER).send(
        "17900000000000009", "17850000000000009", "Thanks for the shout-out!"
    )

    assert reply_id == "17911496353086895"
    assert (http.requests[0].method, http.requests[0].url) == ("POST", f"{GRAPH}/{IG_USER}/mentions")
    assert http.sent == {
        "media_id": "17900000000000009",
        "comment_id": "17850000000000009",
        "message": "Thanks for the shout-out!",
    }


# -- Meta: hide ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("platform", "comment_id", "flag"), [("facebook", FB_COMMENT, "is_hidden"), ("instagram", IG_COMMENT, "hide")]
)
def test_hiding_posts_the_platforms_flag_on_the_comment(platform: Any, comment_id: str, flag: str) -> None:
    http = FakeTransport(answer({"success": True}))

    assert MetaCommentHider(http, GRAPH, TOKEN).hide(platform, comment_id) == comment_id
    assert (http.requests[0].method, http.requests[0].url) == ("POST", f"{GRAPH}/{comment_id}")
    assert http.sent == {flag: True}


def test_a_hide_meta_does_not_confirm_is_transient() -> None:
    err = refused(
        lambda: MetaCommentHider(FakeTransport(answer({"success": False})), GRAPH, TOKEN).hide("facebook", "1")
    )
    assert (err.code, err.permanent) == ("bad_response", False)


def test_hiding_a_deleted_comment_is_permanent() -> None:
    http = FakeTransport(graph_error(100, "Unsupported post request.", 33))
    assert refused(lambda: MetaCommentHider(http, GRAPH, TOKEN).hide("instagram", IG_COMMENT)).code == "deleted"


def test_hiding_on_a_platform_that_cannot_is_refused() -> None:
    err = refused(lambda: MetaCommentHider(FakeTransport(), GRAPH, TOKEN).hide("x", "1"))  # type: ignore[arg-type]
    assert (err.code, err.permanent) == ("unsupported", True)


# -- Meta: fetch a mentioned comment ------------------------------------------------------
MENTIONED = {
    "mentioned_comment": {
        "timestamp": "2025-01-15T10:50:08+0000",
        "text": "Shout out to @janeforcouncil for the park cleanup",
        "username": "jordan.res",
        "id": "17850000000000009",
        "media": {"id": "17900000000000009", "permalink": "https://www.instagram.com/p/AbCdEf123/"},
    },
    "id": IG_USER,
}


def fields_of(request: HttpRequest) -> str:
    [fields] = parse_qs(urlsplit(request.url).query)["fields"]
    return fields


def test_a_mention_is_read_with_its_text_author_time_and_media() -> None:
    http = FakeTransport(answer(MENTIONED))

    comment = InstagramMentionFetcher(http, GRAPH, TOKEN, IG_USER).fetch("17850000000000009")

    assert comment == MentionedComment(
        comment_id="17850000000000009",
        text="Shout out to @janeforcouncil for the park cleanup",
        username="jordan.res",
        created_at=datetime(2025, 1, 15, 10, 50, 8, tzinfo=UTC),
        media_id="17900000000000009",
        permalink="https://www.instagram.com/p/AbCdEf123/",
    )
    [request] = http.requests
    assert request.method == "GET" and request.body == b""
    assert urlsplit(request.url)._replace(query="").geturl() == f"{GRAPH}/{IG_USER}"
    assert fields_of(request) == f"mentioned_comment.comment_id(17850000000000009){{{MENTION_FIELDS}}}"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_when_meta_refuses_an_undocumented_field_the_documented_ones_are_asked_for() -> None:
    documented = {"mentioned_comment": {"timestamp": "2017-05-03T16:09:08+0000", "like_count": 185,
                                        "text": "Shout out to @metricsaurus", "id": "17873440459141021",
                                        "media": {"id": "17895695668004550"}}, "id": IG_USER}  # fmt: skip
    http = FakeTransport(graph_error(100, "(#100) Tried accessing nonexisting field (username)"), answer(documented))

    comment = InstagramMentionFetcher(http, GRAPH, TOKEN, IG_USER).fetch("17873440459141021")

    assert (comment.text, comment.username, comment.media_id) == (
        "Shout out to @metricsaurus",
        None,
        "17895695668004550",
    )
    assert [fields_of(r).split("{", 1)[1] for r in http.requests] == [
        MENTION_FIELDS + "}",
        MENTION_FIELDS_DOCUMENTED + "}",
    ]


@pytest.mark.parametrize(
    ("response", "code", "permanent"),
    [
        (HttpResponse(503, b"Service Unavailable"), "unavailable", False),
        (HttpResponse(500, b""), "unavailable", False),
        (HttpResponse(429, b""), "rate_limited", False),
        (graph_error(4, "(#4) Application request limit reached", status=403), "rate_limited", False),
        (graph_error(2, "Service temporarily unavailable", status=500), "unavailable", False),
        (TimeoutError("timed out"), "network", False),
        (ConnectionResetError("reset"), "network", False),
        (graph_error(100, "Unsupported get request.", 33), "deleted", True),
        (graph_error(190, "Error validating access token"), "auth", True),
        (answer({"id": IG_USER}), "bad_response", False),
    ],
)
def test_mention_fetch_failures(response: Any, code: str, permanent: bool) -> None:
    fetcher = InstagramMentionFetcher(FakeTransport(response), GRAPH, TOKEN, IG_USER)
    err = refused(lambda: fetcher.fetch("17850000000000009"))
    assert (err.code, err.permanent) == (code, permanent)


def test_a_second_refusal_of_fields_is_not_retried_again() -> None:
    no_field = graph_error(100, "(#100) Tried accessing nonexisting field (media)")
    http = FakeTransport(no_field, no_field)
    err = refused(lambda: InstagramMentionFetcher(http, GRAPH, TOKEN, IG_USER).fetch("1"))
    assert err.permanent and len(http.requests) == 2


# -- X ------------------------------------------------------------------------------------
CREDS = OAuth1Credentials("ck", "cs", "tok", "ts")


def x_problem(status: int, detail: str, title: str = "Forbidden", **extra: Any) -> HttpResponse:
    return answer({"detail": detail, "type": "about:blank", "title": title, "status": status} | extra, status)


def test_an_x_reply_posts_the_text_in_reply_to_the_tweet_with_oauth1() -> None:
    http = FakeTransport(answer({"data": {"id": "1856000000000000204", "text": "@jordan_res Early voting..."}}, 201))
    seen: list[tuple[str, str]] = []

    def auth(method: str, url: str, creds: OAuth1Credentials) -> str:
        seen.append((method, url))
        return 'OAuth oauth_consumer_key="ck", oauth_signature="sig"'

    tweet_id = XPublicReplySender(http, X_API + "/", CREDS, auth=auth).send("1856000000000000201", "Early voting...")

    assert tweet_id == "1856000000000000204"
    [request] = http.requests
    assert (request.method, request.url) == ("POST", f"{X_API}/tweets")
    assert http.sent == {"text": "Early voting...", "reply": {"in_reply_to_tweet_id": "1856000000000000201"}}
    assert request.headers["Authorization"].startswith("OAuth ") and seen == [("POST", f"{X_API}/tweets")]
    assert request.headers["Content-Type"] == "application/json"


def test_the_default_auth_is_a_real_oauth1_header() -> None:
    http = FakeTransport(answer({"data": {"id": "1", "text": "x"}}, 201))
    XPublicReplySender(http, X_API, CREDS).send("1856000000000000201", "Hi")
    header = http.requests[0].headers["Authorization"]
    assert header.startswith('OAuth oauth_consumer_key="ck"') and "oauth_signature=" in header


@pytest.mark.parametrize(
    ("response", "code", "permanent"),
    [
        (x_problem(403, "You are not allowed to create a Tweet with duplicate content."), "duplicate", True),
        (x_problem(403, "Reply to this conversation is not allowed because you have not been mentioned or otherwise "
                        "engaged by the author of the post you are replying to."), "reply_not_allowed", True),
        (answer({"errors": [{"code": 385, "message": "You attempted to reply to a Tweet that is deleted or not "
                                                     "visible to you."}]}, 403), "deleted", True),
        (answer({"errors": [{"code": 433, "message": "The original Tweet author restricted who can reply to this "
                                                     "Tweet."}]}, 403), "reply_not_allowed", True),
        (answer({"errors": [{"code": 187, "message": "Status is a duplicate."}]}, 403), "duplicate", True),
        (answer({"errors": [{"parameters": {"$.reply": ["{}"]},
                             "message": "$.reply.in_reply_to_tweet_id: is missing but it is required"}],
                 "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
                 "type": "https://api.twitter.com/2/problems/invalid-request"}, 400), "bad_request", True),
        (x_problem(401, "Unauthorized", title="Unauthorized"), "auth", True),
        (x_problem(403, "You are not permitted to perform this action."), "forbidden", True),
        (x_problem(404, "Not Found", title="Not Found"), "deleted", True),
        (x_problem(429, "Too Many Requests", title="Too Many Requests"), "rate_limited", False),
        (x_problem(503, "Service Unavailable", title="Service Unavailable"), "unavailable", False),
        (HttpResponse(500, b""), "unavailable", False),
        (TimeoutError("timed out"), "network", False),
        (answer({"errors": [{"detail": "nope"}]}, 201), "bad_response", False),
    ],
)  # fmt: skip
def test_x_refusals_map_to_permanent_or_transient(response: Any, code: str, permanent: bool) -> None:
    sender = XPublicReplySender(FakeTransport(response), X_API, CREDS, auth=lambda *_: "OAuth x")
    err = refused(lambda: sender.send("1856000000000000201", "Thanks!"))
    assert (err.code, err.permanent) == (code, permanent)
    assert err.reason


def test_an_x_rate_limit_says_when_to_retry() -> None:
    limited = x_problem(429, "Too Many Requests", "Too Many Requests")
    limited = HttpResponse(429, limited.body, {"x-rate-limit-reset": "1700000900", "x-rate-limit-remaining": "0"})
    err = x_error(limited, now=lambda: 1_700_000_000.0)
    assert (err.code, err.permanent, err.retry_after) == ("rate_limited", False, 900.0)


@pytest.mark.parametrize("target", ["", "abc", "1/2"])
def test_an_x_reply_needs_a_numeric_tweet_id(target: str) -> None:
    http = FakeTransport()
    err = refused(lambda: XPublicReplySender(http, X_API, CREDS).send(target, "Hi"))
    assert (err.code, err.permanent, http.requests) == ("no_target", True, [])


def test_an_x_reply_needs_text() -> None:
    err = refused(lambda: XPublicReplySender(FakeTransport(), X_API, CREDS).send("1", ""))
    assert err.code == "no_text"
