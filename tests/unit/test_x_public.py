"""X public conversations: mentions of the campaign and replies to it, from signed samples."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from chalicelib.adapters.channels.signing import base64_signature, check_signature
from chalicelib.adapters.channels.x_public import MAX_TEXT, PublicTweet, XPublicBatch, parse_public_tweets
from tests.support import public_events
from tests.support.channels import X_ACCOUNT
from tests.support.public_events import CAMPAIGN_TWEET, MENTION_TWEET
from tests.support.signing import EVENTS, event

FUZZ = hsettings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
JORDAN = "3001969357"


def body_of(name: str) -> dict[str, Any]:
    return json.loads(event(name)["body"])


def summary(t: PublicTweet) -> dict[str, Any]:
    return {k: getattr(t, k) for k in ("platform", "kind", "tweet_id", "in_reply_to_tweet_id", "is_own")}


def only(batch: XPublicBatch) -> PublicTweet:
    assert len(batch.tweets) == 1, batch
    return batch.tweets[0]


def tweet(
    tweet_id: str = "1856000000000000301", author: str = JORDAN, text: str = "hi", **extra: Any
) -> dict[str, Any]:
    return {
        "id_str": tweet_id, "text": text, "user": {"id_str": author, "screen_name": "jordan_res", "name": "Jordan"},
        "entities": {"user_mentions": []}, "created_at": "Wed Jan 15 10:45:00 +0000 2025",
    } | extra  # fmt: skip


def mentioning(user_id: str = X_ACCOUNT, **extra: Any) -> dict[str, Any]:
    return tweet(entities={"user_mentions": [{"id_str": user_id, "screen_name": "cityofexample"}]}, **extra)


def activity(*tweets: Any, **top: Any) -> dict[str, Any]:
    return {"for_user_id": X_ACCOUNT, "tweet_create_events": list(tweets)} | top


# -- the signed samples -------------------------------------------------------------------
@pytest.mark.parametrize("name", public_events.X_NAMES)
def test_each_sample_parses_to_what_it_promises(name: str) -> None:
    expected = event(name)["expected"]

    batch = parse_public_tweets(body_of(name))

    assert [summary(t) for t in batch.tweets] == expected["public"]
    assert (batch.ignored, batch.invalid) == (expected["ignored"], expected["invalid"])


def x_signed_samples() -> list[Path]:
    return sorted(
        p for p in EVENTS.glob("*.json") if "x-twitter-webhooks-signature" in json.loads(p.read_text())["headers"]
    )


@pytest.mark.parametrize("path", x_signed_samples(), ids=lambda p: p.stem)
def test_every_x_sample_signature_verifies(path: Path) -> None:
    sample = json.loads(path.read_text())
    expected = base64_signature(sample["secret"], sample["body"].encode("utf-8"))
    check_signature(expected, sample["headers"]["x-twitter-webhooks-signature"], "x-twitter-webhooks-signature")


def test_the_new_x_samples_are_signed_with_the_test_secret_and_the_public_url() -> None:
    from tests.support.channels import X_SECRET
    from tests.support.signing import BASE_URL

    for name in public_events.X_NAMES:
        sample = event(name)
        assert sample["secret"] == X_SECRET and sample["url"] == BASE_URL + "/webhooks/x"


# -- what is kept -------------------------------------------------------------------------
def test_a_mention_carries_the_full_text_author_permalink_and_time() -> None:
    t = only(parse_public_tweets(body_of("x_mention")))

    assert (t.platform, t.kind, t.tweet_id) == ("x", "mention", MENTION_TWEET)
    assert t.text.endswith("Thanks for keeping us posted!")  # extended_tweet.full_text, not the truncated text
    assert "https://t.co" not in t.text
    assert (t.author_id, t.author_screen_name, t.author_name) == (JORDAN, "jordan_res", "Jordan")
    assert t.permalink == f"https://x.com/jordan_res/status/{MENTION_TWEET}"
    assert t.created_at == datetime(2025, 1, 15, 10, 45, tzinfo=UTC)
    assert t.account_id == X_ACCOUNT and not t.is_own and not t.author_blocked
    assert t.in_reply_to_tweet_id is None


def test_a_reply_to_the_campaigns_post_names_its_parent() -> None:
    t = only(parse_public_tweets(body_of("x_reply")))
    assert (t.kind, t.in_reply_to_tweet_id, t.in_reply_to_user_id) == ("reply", CAMPAIGN_TWEET, X_ACCOUNT)


def test_the_campaigns_own_answer_in_a_thread_is_own() -> None:
    t = only(parse_public_tweets(body_of("x_own_reply")))
    assert (t.kind, t.is_own, t.author_id, t.in_reply_to_tweet_id) == ("reply", True, X_ACCOUNT, MENTION_TWEET)


def test_a_mention_inside_someone_elses_thread_is_a_mention() -> None:
    reply_to_other = mentioning(in_reply_to_status_id_str="99", in_reply_to_user_id_str="12345")
    t = only(parse_public_tweets(activity(reply_to_other)))
    assert (t.kind, t.in_reply_to_tweet_id) == ("mention", "99")


def test_a_long_tweet_mentioning_the_account_only_in_extended_entities_counts() -> None:
    extended = {"full_text": "A long post… @cityofexample", "entities": {"user_mentions": [{"id_str": X_ACCOUNT}]}}
    long = tweet(text="A long post…", truncated=True, extended_tweet=extended)
    assert only(parse_public_tweets(activity(long))).text == "A long post… @cityofexample"


def test_a_quote_that_mentions_the_account_is_a_mention() -> None:
    quote = mentioning(quoted_status_id_str=CAMPAIGN_TWEET, is_quote_status=True)
    t = only(parse_public_tweets(activity(quote)))
    assert (t.kind, t.quoted_tweet_id) == ("mention", CAMPAIGN_TWEET)


def test_own_user_id_works_without_for_user_id() -> None:
    data = {"tweet_create_events": [mentioning()]}
    assert parse_public_tweets(data).tweets == []
    assert only(parse_public_tweets(data, own_user_id=X_ACCOUNT)).account_id == X_ACCOUNT


@pytest.mark.parametrize("flag", ["true", "True", True])
def test_a_blocked_author_is_flagged(flag: Any) -> None:
    assert only(parse_public_tweets(activity(mentioning(), user_has_blocked=flag))).author_blocked


def test_a_tweet_without_a_screen_name_still_has_a_permalink() -> None:
    no_name = mentioning(user={"id_str": JORDAN})
    assert only(parse_public_tweets(activity(no_name))).permalink == "https://x.com/i/web/status/1856000000000000301"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"created_at": "Wed Oct 10 20:19:24 +0000 2018"}, datetime(2018, 10, 10, 20, 19, 24, tzinfo=UTC)),
        ({"created_at": None, "timestamp_ms": "1736937900000"}, datetime(2025, 1, 15, 10, 45, tzinfo=UTC)),
        ({"created_at": "yesterday", "timestamp_ms": "soon"}, None),
        ({"created_at": None, "timestamp_ms": str(10**30)}, None),
    ],
)
def test_the_time_is_read_when_it_can_be(fields: dict[str, Any], expected: datetime | None) -> None:
    assert only(parse_public_tweets(activity(mentioning(**fields)))).created_at == expected


def test_numeric_ids_become_strings_and_long_texts_are_clipped() -> None:
    t = only(parse_public_tweets(activity(mentioning(id_str=1856000000000000301, text="x" * (MAX_TEXT + 5)))))
    assert t.tweet_id == "1856000000000000301" and len(t.text) == MAX_TEXT


# -- what is ignored ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "skipped",
    [
        mentioning(retweeted_status={"id_str": CAMPAIGN_TWEET}),  # a retweet, even naming the account
        tweet(quoted_status_id_str=CAMPAIGN_TWEET, is_quote_status=True),  # a quote without a mention
        tweet(),  # mentions someone else
        tweet(author=X_ACCOUNT, text="Our own announcement"),  # the account's standalone post
        tweet(author=X_ACCOUNT, retweeted_status={"id_str": "1"}),  # the account's own retweet
    ],
)
def test_retweets_quotes_without_a_mention_and_own_posts_are_ignored(skipped: dict[str, Any]) -> None:
    batch = parse_public_tweets(activity(skipped))
    assert (batch.tweets, batch.ignored, batch.invalid) == ([], 1, 0)


def test_likes_follows_and_other_activity_are_ignored_and_dms_left_alone() -> None:
    data = {
        "for_user_id": X_ACCOUNT,
        "favorite_events": [{"id": "1", "favorited_status": mentioning()}, {"id": "2"}],
        "follow_events": [{"type": "follow"}],
        "tweet_delete_events": [{"status": {"id": "1"}}],
        "direct_message_events": [{"type": "message_create", "id": "1"}],
        "direct_message_indicate_typing_events": [{}],
        "users": {},
    }
    batch = parse_public_tweets(data)
    assert (batch.tweets, batch.ignored, batch.invalid) == ([], 4, 0)


def test_the_dm_sample_yields_no_public_tweet() -> None:
    batch = parse_public_tweets(body_of("x_dm_event"))
    assert (batch.tweets, batch.ignored, batch.invalid) == ([], 0, 0)


# -- what is invalid ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "bad",
    ["junk", None, [], {"text": "no id"}, {"id_str": "1", "text": "no user"}, {"id_str": "1", "user": {"id": 2}},
     {"id_str": "", "user": {"id_str": "2"}}, {"id_str": "1", "user": "someone"}],
)  # fmt: skip
def test_a_malformed_tweet_is_invalid_and_the_others_still_parse(bad: Any) -> None:
    batch = parse_public_tweets(activity(mentioning(id_str="1"), bad, mentioning(id_str="2")))
    assert [t.tweet_id for t in batch.tweets] == ["1", "2"] and batch.invalid == 1


@pytest.mark.parametrize("data", [None, "x", [1, 2]])
def test_a_body_that_is_not_an_object_is_one_invalid_item(data: Any) -> None:
    assert parse_public_tweets(data).invalid == 1


def test_tweet_create_events_that_are_not_a_list_are_invalid() -> None:
    assert parse_public_tweets({"for_user_id": X_ACCOUNT, "tweet_create_events": {"id_str": "1"}}).invalid == 1


def test_the_warning_for_invalid_tweets_carries_counts_only(caplog: pytest.LogCaptureFixture) -> None:
    bad = {"id_str": "1856000000000000999", "text": "my private words", "user": {"screen_name": "jordan_res"}}
    with caplog.at_level(logging.DEBUG, logger="chalicelib.adapters.channels.x_public"):
        parse_public_tweets(activity(bad))
    text = " ".join(r.getMessage() for r in caplog.records)
    assert "1 tweet(s)" in text
    for secret in ("1856000000000000999", "my private words", "jordan_res", X_ACCOUNT):
        assert secret not in text


# -- fuzz ---------------------------------------------------------------------------------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=25,
)
ids = st.sampled_from([X_ACCOUNT, JORDAN, "1"]) | st.text(max_size=8) | st.integers() | json_values
users = st.fixed_dictionaries({"id_str": ids}, optional={"screen_name": json_values}) | json_values
tweets = st.fixed_dictionaries(
    {"id_str": ids, "user": users},
    optional={
        "text": json_values, "in_reply_to_status_id_str": ids, "in_reply_to_user_id_str": ids,
        "entities": st.fixed_dictionaries({"user_mentions": st.lists(st.fixed_dictionaries({"id_str": ids})
                                                                     | json_values, max_size=3)}) | json_values,
        "extended_tweet": st.fixed_dictionaries({"full_text": json_values}) | json_values,
        "retweeted_status": json_values, "quoted_status_id_str": ids, "created_at": json_values,
        "timestamp_ms": json_values,
    },
) | json_values  # fmt: skip
activities = st.fixed_dictionaries(
    {"tweet_create_events": st.lists(tweets, max_size=4) | json_values},
    optional={"for_user_id": ids, "user_has_blocked": json_values, "favorite_events": json_values,
              "follow_events": json_values},
) | json_values  # fmt: skip


@FUZZ
@given(data=activities, own=st.none() | st.text(max_size=8))
def test_random_junk_inside_tweets_never_raises(data: Any, own: str | None) -> None:
    batch = parse_public_tweets(data, own_user_id=own)

    assert batch.ignored >= 0 and batch.invalid >= 0
    for t in batch.tweets:
        assert t.tweet_id and t.author_id and t.permalink.startswith("https://x.com/")
        assert t.kind in {"mention", "reply"} and len(t.text) <= MAX_TEXT
