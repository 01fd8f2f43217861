"""Meta public conversations: Page feed comments, Instagram comments and mentions, from signed samples."""

from __future__ import annotations

import hashlib
import hmac
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

from chalicelib.adapters.channels.meta_public import MAX_TEXT, MetaPublicBatch, PublicEvent, parse_public
from chalicelib.adapters.channels.signing import check_signature, hex_signature
from tests.support import public_events
from tests.support.public_events import IG_ACCOUNT, PAGE_ID, POST_ID, POST_URL
from tests.support.signing import EVENTS, event

FUZZ = hsettings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def body_of(name: str) -> dict[str, Any]:
    return json.loads(event(name)["body"])


def summary(e: PublicEvent) -> dict[str, Any]:
    keys = ("platform", "kind", "verb", "comment_id", "post_id", "parent_id", "is_own", "needs_fetch")
    return {k: getattr(e, k) for k in keys}


def page(*changes: Any, entry_id: Any = PAGE_ID, time: Any = 1736937400) -> dict[str, Any]:
    return {"object": "page", "entry": [{"id": entry_id, "time": time, "changes": list(changes)}]}


def fb_comment(comment_id: str = "1_1", verb: str = "add", **value: Any) -> dict[str, Any]:
    base = {
        "item": "comment", "verb": verb, "comment_id": comment_id, "post_id": POST_ID, "parent_id": POST_ID,
        "from": {"id": "7000000000000002", "name": "Dana Resident"}, "message": "hello", "created_time": 1736937398,
    }  # fmt: skip
    return {"field": "feed", "value": base | value}


def only(batch: MetaPublicBatch) -> PublicEvent:
    assert len(batch.events) == 1, batch
    return batch.events[0]


# -- the signed samples -------------------------------------------------------------------
@pytest.mark.parametrize("name", public_events.META_NAMES)
def test_each_sample_parses_to_what_it_promises(name: str) -> None:
    expected = event(name)["expected"]

    batch = parse_public(body_of(name))

    assert [summary(e) for e in batch.events] == expected["public"]
    assert (batch.ignored, batch.invalid) == (expected["ignored"], expected["invalid"])


def meta_signed_samples() -> list[Path]:
    return sorted(p for p in EVENTS.glob("*.json") if "X-Hub-Signature-256" in json.loads(p.read_text())["headers"])


@pytest.mark.parametrize("path", meta_signed_samples(), ids=lambda p: p.stem)
def test_every_meta_sample_signature_verifies(path: Path) -> None:
    sample = json.loads(path.read_text())
    raw = sample["body"].encode("utf-8")

    check_signature(hex_signature(sample["secret"], raw), sample["headers"]["X-Hub-Signature-256"], "sig")
    if "X-Hub-Signature" in sample["headers"]:
        sha1 = "sha1=" + hmac.new(sample["secret"].encode(), raw, hashlib.sha1).hexdigest()
        assert hmac.compare_digest(sha1, sample["headers"]["X-Hub-Signature"])


def test_the_new_samples_are_signed_with_the_test_secret_and_the_public_url() -> None:
    from tests.support.channels import META_SECRET
    from tests.support.signing import BASE_URL

    for name in public_events.META_NAMES:
        sample = event(name)
        assert sample["secret"] == META_SECRET and sample["url"] == BASE_URL + "/webhooks/meta"


@pytest.mark.parametrize("build", public_events.SAMPLES, ids=lambda b: b.__name__)
def test_the_committed_samples_match_their_generator(build: Any) -> None:
    sample = build()
    assert (EVENTS / f"{sample['name']}.json").read_text(encoding="utf-8") == public_events.render(sample)


def test_meta_bodies_keep_the_escaped_wire_form() -> None:
    raw = event("facebook_comment_add")["body"]
    assert "\\u00bf" in raw and "https:\\/\\/www.facebook.com" in raw  # signed exactly like this


# -- Facebook feed ------------------------------------------------------------------------
def test_a_comment_carries_its_post_author_text_times_and_permalink() -> None:
    e = only(parse_public(body_of("facebook_comment_add")))

    assert e.platform == "facebook" and e.kind == "comment" and e.verb == "add"
    assert e.post_id == POST_ID and e.parent_id is None  # the post is no parent comment
    assert e.permalink == POST_URL
    assert (e.author_id, e.author_name) == ("7000000000000002", "Dana Resident")
    assert e.text == "\u00bfWill the new bus line stop at Elm Street? I'm for it."
    assert e.created_at == datetime.fromtimestamp(1736937398, UTC)
    assert e.notified_at == datetime.fromtimestamp(1736937400, UTC)
    assert e.account_id == PAGE_ID and not e.is_own and not e.needs_fetch


def test_a_reply_to_a_reply_names_the_parent_comment() -> None:
    e = only(parse_public(body_of("facebook_comment_reply")))
    assert e.parent_id == public_events.FIRST_COMMENT


def test_edits_and_removals_keep_the_comment_id() -> None:
    edited = only(parse_public(body_of("facebook_comment_edited")))
    removed = only(parse_public(body_of("facebook_comment_remove")))

    assert (edited.verb, edited.comment_id) == ("edited", public_events.FIRST_COMMENT)
    assert edited.text.endswith("Strongly for it!")
    assert (removed.verb, removed.comment_id, removed.text, removed.permalink) == (
        "remove", public_events.FIRST_COMMENT, "", None,
    )  # fmt: skip


def test_the_pages_own_comment_is_own() -> None:
    e = only(parse_public(body_of("facebook_comment_own")))
    assert e.is_own and e.author_id == PAGE_ID


@pytest.mark.parametrize(("given_verb", "verb"), [("edit", "edited"), ("edited", "edited"), ("hide", "hide")])
def test_verbs_are_normalised(given_verb: str, verb: str) -> None:
    assert only(parse_public(page(fb_comment(verb=given_verb)))).verb == verb


def test_a_removal_or_hide_without_author_or_text_is_still_reported() -> None:
    change = {"field": "feed", "value": {"item": "comment", "verb": "remove", "comment_id": "1_9", "post_id": POST_ID}}
    e = only(parse_public(page(change)))
    assert (e.verb, e.author_id, e.text, e.is_own) == ("remove", None, "", False)


def test_an_added_comment_without_an_author_is_invalid() -> None:
    change = fb_comment()
    del change["value"]["from"]
    batch = parse_public(page(change, fb_comment("1_2")))
    assert (len(batch.events), batch.invalid) == (1, 1)


def test_older_payloads_with_sender_id_and_sender_name_still_name_the_author() -> None:
    change = fb_comment(sender_id=1276236915720107, sender_name="Some One")
    del change["value"]["from"]
    e = only(parse_public(page(change)))
    assert (e.author_id, e.author_name) == ("1276236915720107", "Some One")


@pytest.mark.parametrize(
    ("created_time", "expected"),
    [
        (1736937398, datetime(2025, 1, 15, 10, 36, 38, tzinfo=UTC)),
        ("2026-09-10T10:00:00+0000", datetime(2026, 9, 10, 10, 0, tzinfo=UTC)),
        ("1736937398", datetime(2025, 1, 15, 10, 36, 38, tzinfo=UTC)),
        ("yesterday", None),
        ({"odd": 1}, None),
        (10**30, None),
    ],
)
def test_created_time_is_read_when_it_can_be(created_time: Any, expected: datetime | None) -> None:
    assert only(parse_public(page(fb_comment(created_time=created_time)))).created_at == expected


def test_entry_time_in_milliseconds_is_understood() -> None:
    e = only(parse_public(page(fb_comment(), time=1736937400123)))
    assert e.notified_at == datetime(2025, 1, 15, 10, 36, 40, 123000, tzinfo=UTC)


def test_numeric_ids_become_strings() -> None:
    e = only(
        parse_public(page(fb_comment(**{"from": {"id": 7000000000000002, "name": "D"}}), entry_id=104000000000001))
    )
    assert (e.author_id, e.account_id) == ("7000000000000002", PAGE_ID)


def test_very_long_text_is_clipped_not_dropped() -> None:
    e = only(parse_public(page(fb_comment(message="x" * (MAX_TEXT + 10)))))
    assert len(e.text) == MAX_TEXT


@pytest.mark.parametrize(
    "value",
    [
        {"item": "reaction", "verb": "add", "reaction_type": "love", "post_id": POST_ID},
        {"item": "like", "verb": "add", "post_id": POST_ID},
        {"item": "share", "verb": "add", "post_id": POST_ID, "link": "https://example.org"},
        {"item": "status", "verb": "add", "post_id": POST_ID, "message": "Our new post", "published": 1},
        {"item": "post", "verb": "remove", "post_id": POST_ID},
        {"item": "photo", "verb": "add", "post_id": POST_ID, "photo_id": "1", "link": "https://x"},
        {"item": "video", "verb": "edited", "post_id": POST_ID, "video_id": "1"},
        {"item": "comment", "verb": "unhide", "comment_id": "1_1", "post_id": POST_ID},
        {"item": "comment", "verb": "block", "comment_id": "1_1", "post_id": POST_ID},
        {"item": "rating", "verb": "add"},
    ],
)
def test_reactions_shares_own_posts_and_unknown_items_are_ignored(value: dict[str, Any]) -> None:
    batch = parse_public(page({"field": "feed", "value": value}))
    assert (batch.events, batch.ignored, batch.invalid) == ([], 1, 0)


@pytest.mark.parametrize("field", ["messages", "mention", "live_comments", "story_insights", "ratings", "new_field"])
def test_unknown_fields_are_ignored(field: str) -> None:
    batch = parse_public(page({"field": field, "value": {"item": "comment", "comment_id": "1"}}))
    assert (batch.events, batch.ignored) == ([], 1)


@pytest.mark.parametrize(
    "bad",
    [
        "junk",
        None,
        {"field": "feed"},
        {"field": "feed", "value": "text"},
        {"value": {"item": "comment"}},
        {"field": "feed", "value": {"item": "comment", "verb": "add", "post_id": POST_ID}},  # no comment_id
        {"field": "feed", "value": {"item": "comment", "verb": "add", "comment_id": "1_1"}},  # no post_id
        {"field": "feed", "value": {"item": None, "verb": "add"}},
        {"field": "comments", "value": {"id": "1", "text": "no author"}},
        {"field": "mentions", "value": {}},
    ],
)
def test_a_malformed_change_is_invalid_and_the_others_still_parse(bad: Any) -> None:
    batch = parse_public(page(fb_comment("1_1"), bad, fb_comment("1_2")))
    assert [e.comment_id for e in batch.events] == ["1_1", "1_2"]
    assert batch.invalid == 1


@pytest.mark.parametrize("data", [None, "x", [], {}, {"object": "page"}, {"entry": "x"}, {"entry": {"id": 1}}])
def test_a_body_without_an_entry_list_is_one_invalid_item(data: Any) -> None:
    batch = parse_public(data)
    assert (batch.events, batch.invalid) == ([], 1)


def test_a_malformed_entry_costs_only_itself() -> None:
    data = page(fb_comment("1_1"))
    data["entry"] += ["junk", {"id": PAGE_ID, "changes": "junk"}, {"id": {"odd": 1}, "changes": [fb_comment("1_2")]}]
    batch = parse_public(data)
    assert [e.comment_id for e in batch.events] == ["1_1", "1_2"] and batch.invalid == 2


def test_a_mixed_batch_reports_only_the_comments_and_never_the_dm() -> None:
    batch = parse_public(body_of("meta_mixed_batch"))

    assert [e.text for e in batch.events] == ["Count me in for the town hall.", "Is it wheelchair accessible?"]
    assert all(e.platform == "facebook" for e in batch.events)
    assert "Do you have yard signs?" not in {e.text for e in batch.events}
    assert (batch.ignored, batch.invalid) == (1, 0)  # the WhatsApp status change


# -- Instagram ----------------------------------------------------------------------------
def test_an_instagram_comment_carries_its_media_and_username() -> None:
    e = only(parse_public(body_of("instagram_comment")))

    assert (e.platform, e.kind, e.verb) == ("instagram", "comment", "add")
    assert (e.comment_id, e.post_id, e.parent_id) == ("17850000000000001", "17900000000000001", None)
    assert (e.author_id, e.author_name) == ("1234567890123456", "jordan.res")
    assert e.text == "Love the park cleanup! When is the next one?"
    assert e.created_at is None and e.permalink is None and e.account_id == IG_ACCOUNT


def test_an_instagram_reply_names_its_parent_and_the_accounts_own_reply_is_own() -> None:
    own = {"field": "comments", "value": {"id": "2", "text": "Thanks!", "from": {"id": IG_ACCOUNT, "username": "jane"},
                                          "media": {"id": "9"}, "parent_id": "1"}}  # fmt: skip
    e = only(parse_public({"object": "instagram", "entry": [{"id": IG_ACCOUNT, "changes": [own]}]}))
    assert e.parent_id == "1" and e.is_own


def test_own_ids_cover_the_instagram_account_when_its_comments_come_for_the_page() -> None:
    change = {"field": "comments", "value": {"id": "2", "text": "Thanks!", "from": {"id": IG_ACCOUNT}}}
    assert not only(parse_public(page(change))).is_own
    assert only(parse_public(page(change), own_ids=[IG_ACCOUNT])).is_own


def test_an_instagram_mention_has_ids_only_and_needs_a_fetch() -> None:
    e = only(parse_public(body_of("instagram_mention")))

    assert (e.kind, e.comment_id, e.post_id) == ("mention", "17850000000000009", "17900000000000009")
    assert e.needs_fetch and e.author_id is None and e.text == "" and not e.is_own


def test_a_caption_mention_without_a_comment_is_ignored() -> None:
    batch = parse_public({"object": "instagram", "entry": [{"id": IG_ACCOUNT, "changes": [
        {"field": "mentions", "value": {"media_id": "17900000000000009"}}]}]})  # fmt: skip
    assert (batch.events, batch.ignored, batch.invalid) == ([], 1, 0)


# -- logging ------------------------------------------------------------------------------
def test_the_warning_for_invalid_changes_carries_counts_only(caplog: pytest.LogCaptureFixture) -> None:
    bad = {"field": "feed", "value": {"item": "comment", "verb": "add", "comment_id": "1_5", "message": "secret words",
                                      "from": {"id": "7000000000000009", "name": "Private Person"}}}  # fmt: skip
    with caplog.at_level(logging.DEBUG, logger="chalicelib.adapters.channels.meta_public"):
        parse_public(page(bad))
    text = " ".join(r.getMessage() for r in caplog.records)
    assert "1 change(s)" in text
    for secret in ("secret words", "7000000000000009", "Private Person", "1_5", PAGE_ID):
        assert secret not in text


# -- fuzz ---------------------------------------------------------------------------------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=25,
)
ids = st.text(min_size=1, max_size=12) | st.integers() | json_values
feed_values = st.fixed_dictionaries(
    {
        "item": st.sampled_from(["comment", "reaction", "status", "share"]) | json_values,
        "verb": st.sampled_from(["add", "edited", "edit", "remove", "hide", "unhide"]) | json_values,
    },
    optional={
        "comment_id": ids, "post_id": ids, "parent_id": ids, "message": json_values | st.text(max_size=30),
        "from": st.fixed_dictionaries({"id": ids}, optional={"name": json_values}) | json_values,
        "created_time": json_values, "post": st.fixed_dictionaries({"permalink_url": json_values}) | json_values,
        "sender_id": ids,
    },
)  # fmt: skip
ig_values = st.fixed_dictionaries(
    {},
    optional={
        "id": ids, "text": json_values, "media_id": ids, "comment_id": ids, "parent_id": ids,
        "from": st.fixed_dictionaries({"id": ids}, optional={"username": json_values}) | json_values,
        "media": st.fixed_dictionaries({"id": ids}) | json_values,
    },
)  # fmt: skip
changes = (
    st.fixed_dictionaries(
        {
            "field": st.sampled_from(["feed", "comments", "mentions", "messages"]) | json_values,
            "value": feed_values | ig_values | json_values,
        }
    )
    | json_values
)
entries = (
    st.fixed_dictionaries(
        {"id": ids, "changes": st.lists(changes, max_size=5) | json_values},
        optional={"time": json_values, "messaging": json_values},
    )
    | json_values
)
envelopes = (
    st.fixed_dictionaries(
        {"object": st.sampled_from(["page", "instagram"]) | json_values, "entry": st.lists(entries, max_size=4)}
    )
    | json_values
)


@FUZZ
@given(data=envelopes, own=st.lists(st.text(max_size=8), max_size=3))
def test_random_junk_inside_entries_and_changes_never_raises(data: Any, own: list[str]) -> None:
    batch = parse_public(data, own_ids=own)

    assert batch.ignored >= 0 and batch.invalid >= 0
    for e in batch.events:
        assert isinstance(e.comment_id, str) and e.comment_id
        assert isinstance(e.text, str) and len(e.text) <= MAX_TEXT
        assert e.verb in {"add", "edited", "remove", "hide"}
