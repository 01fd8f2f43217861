"""Signed sample requests for public conversations (comments, mentions, replies; issue 12).

The payload shapes follow Meta's Page ``feed`` and Instagram ``comments`` / ``mentions``
webhook references and X's Account Activity ``tweet_create_events`` (v1.1 Tweet objects).
Each sample is signed here with the test secrets, as the providers sign: Meta over its
``\\uXXXX``- and ``\\/``-escaped compact JSON, X over the body as sent.

Re-sign and rewrite every sample after changing one::

    .venv/bin/python -m tests.support.public_events

``expected`` says what the public parsers should find: ``public`` (a summary of each event,
in order), ``ignored`` and ``invalid``; the route answers 200 for every one of them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chalicelib.adapters.channels.signing import base64_signature, hex_signature
from tests.support.channels import META_SECRET, X_ACCOUNT, X_SECRET
from tests.support.signing import BASE_URL, EVENTS

META_URL = BASE_URL + "/webhooks/meta"
X_URL = BASE_URL + "/webhooks/x"

PAGE_ID = "104000000000001"  # the campaign's Page (as in messenger_message)
IG_ACCOUNT = "17841400000000001"  # the campaign's Instagram account (as in instagram_message)
POST_ID = f"{PAGE_ID}_122100000000000001"
POST_URL = f"https://www.facebook.com/permalink.php?story_fbid=pfbid02Xk9qLmNoPqRsTuVwXyZ&id={PAGE_ID}"
DANA = {"id": "7000000000000002", "name": "Dana Resident"}
SAM = {"id": "7000000000000003", "name": "Sam Neighbor"}
FIRST_COMMENT = "122100000000000001_1000000000000001"
REPLY_COMMENT = "122100000000000001_1000000000000002"
PAGE_COMMENT = "122100000000000001_1000000000000003"

X_SCREEN_NAME = "cityofexample"  # the account of x_dm_event
JORDAN = {"id": 3001969357, "id_str": "3001969357", "name": "Jordan", "screen_name": "jordan_res"}
CAMPAIGN_USER = {"id": int(X_ACCOUNT), "id_str": X_ACCOUNT, "name": "City of Example", "screen_name": X_SCREEN_NAME}
CAMPAIGN_TWEET = "1856000000000000100"
MENTION_TWEET = "1856000000000000201"


# -- Meta ---------------------------------------------------------------------------------
def meta_body(payload: dict[str, Any]) -> str:
    """Meta's wire form: compact, non-ASCII as \\uXXXX, and slashes escaped."""
    return json.dumps(payload, separators=(",", ":")).replace("/", "\\/")


def meta_sample(name: str, payload: dict[str, Any], expected: dict[str, Any], notes: str) -> dict[str, Any]:
    body = meta_body(payload)
    raw = body.encode("utf-8")
    sha1 = "sha1=" + hmac.new(META_SECRET.encode(), raw, hashlib.sha1).hexdigest()
    return {
        "name": name,
        "method": "POST",
        "url": META_URL,
        "headers": {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": hex_signature(META_SECRET, raw),
            "X-Hub-Signature": sha1,
        },
        "body": body,
        "secret": META_SECRET,
        "expected": {"status": 200, **expected},
        "notes": notes,
    }


def page(*changes: dict[str, Any], time: int = 1736937400) -> dict[str, Any]:
    return {"object": "page", "entry": [{"id": PAGE_ID, "time": time, "changes": list(changes)}]}


def feed(value: dict[str, Any]) -> dict[str, Any]:
    return {"value": value, "field": "feed"}


def post_object() -> dict[str, Any]:
    return {
        "status_type": "mobile_status_update",
        "is_published": True,
        "updated_time": "2025-01-15T10:36:38+0000",
        "permalink_url": POST_URL,
        "promotion_status": "inactive",
        "id": POST_ID,
    }


def comment(
    comment_id: str, author: dict[str, str], message: str | None, parent: str = POST_ID, verb: str = "add", **extra: Any
) -> dict[str, Any]:
    value: dict[str, Any] = {"from": author, "post": post_object()}
    if message is not None:
        value["message"] = message
    value |= {
        "post_id": POST_ID,
        "comment_id": comment_id,
        "created_time": 1736937398,
        "item": "comment",
        "parent_id": parent,
        "verb": verb,
        **extra,
    }
    return value


def fb(comment_id: str, verb: str = "add", parent: str | None = None, own: bool = False) -> dict[str, Any]:
    summary = {"platform": "facebook", "kind": "comment", "verb": verb, "comment_id": comment_id}
    return summary | {"post_id": POST_ID, "parent_id": parent, "is_own": own, "needs_fetch": False}


def ig(kind: str, comment_id: str, media_id: str, needs_fetch: bool = False) -> dict[str, Any]:
    summary = {"platform": "instagram", "kind": kind, "verb": "add", "comment_id": comment_id, "post_id": media_id}
    return summary | {"parent_id": None, "is_own": False, "needs_fetch": needs_fetch}


def facebook_comment_add() -> dict[str, Any]:
    payload = page(feed(comment(FIRST_COMMENT, DANA, "\u00bfWill the new bus line stop at Elm Street? I'm for it.")))
    return meta_sample(
        "facebook_comment_add",
        payload,
        {"public": [fb(FIRST_COMMENT)], "ignored": 0, "invalid": 0},
        "Page feed webhook (object page, changes[].field feed, value.item comment, value.verb add). "
        "A top-level comment names the post as its parent_id; created_time is Unix seconds; "
        "post.permalink_url links the post. Idempotency key: value.comment_id.",
    )


def facebook_comment_reply() -> dict[str, Any]:
    value = comment(REPLY_COMMENT, SAM, "Same question, and what about Sundays?", parent=FIRST_COMMENT)
    return meta_sample(
        "facebook_comment_reply",
        page(feed(value)),
        {"public": [fb(REPLY_COMMENT, parent=FIRST_COMMENT)], "ignored": 0, "invalid": 0},
        "A reply to a comment: parent_id is the parent comment's id (not the post). The context "
        "shown to a volunteer is the post (post_id, post.permalink_url) and the parent comment.",
    )


def facebook_comment_edited() -> dict[str, Any]:
    value = comment(FIRST_COMMENT, DANA, "Will the new bus line stop at Elm Street? Strongly for it!", verb="edited")
    return meta_sample(
        "facebook_comment_edited",
        page(feed(value)),
        {"public": [fb(FIRST_COMMENT, verb="edited")], "ignored": 0, "invalid": 0},
        "verb edited: same comment_id, the new text in message. Changes the stored text; opens no "
        "task and is not acknowledged.",
    )


def facebook_comment_remove() -> dict[str, Any]:
    value = comment(FIRST_COMMENT, DANA, None, verb="remove")
    del value["post"]
    return meta_sample(
        "facebook_comment_remove",
        page(feed(value)),
        {"public": [fb(FIRST_COMMENT, verb="remove")], "ignored": 0, "invalid": 0},
        "verb remove: no message. Marks the stored comment deleted; opens no task.",
    )


def facebook_comment_own() -> dict[str, Any]:
    campaign = {"id": PAGE_ID, "name": "Jane for Council"}
    value = comment(PAGE_COMMENT, campaign, "Yes, Elm Street is on the route.", parent=FIRST_COMMENT)
    return meta_sample(
        "facebook_comment_own",
        page(feed(value)),
        {"public": [fb(PAGE_COMMENT, parent=FIRST_COMMENT, own=True)], "ignored": 0, "invalid": 0},
        "The Page's own comment (from.id == entry.id): is_own. No task, no acknowledgement; shown in "
        "the thread it answers. Our own public replies come back this way.",
    )


def facebook_reaction() -> dict[str, Any]:
    value = {
        "from": DANA,
        "post_id": POST_ID,
        "created_time": 1736937450,
        "item": "reaction",
        "parent_id": POST_ID,
        "reaction_type": "like",
        "verb": "add",
    }
    return meta_sample(
        "facebook_reaction",
        page(feed(value)),
        {"public": [], "ignored": 1, "invalid": 0},
        "value.item reaction (reaction_type like, love, ...): ignored, like shares and the Page's own posts.",
    )


def instagram(*changes: dict[str, Any]) -> dict[str, Any]:
    return {"object": "instagram", "entry": [{"id": IG_ACCOUNT, "time": 1736937600, "changes": list(changes)}]}


def instagram_comment() -> dict[str, Any]:
    value = {
        "from": {"id": "1234567890123456", "username": "jordan.res"},
        "media": {"id": "17900000000000001", "media_product_type": "FEED"},
        "id": "17850000000000001",
        "text": "Love the park cleanup! When is the next one?",
    }
    return meta_sample(
        "instagram_comment",
        instagram({"field": "comments", "value": value}),
        {"public": [ig("comment", "17850000000000001", "17900000000000001")], "ignored": 0, "invalid": 0},
        "Instagram comments webhook (object instagram, changes[].field comments): value {id, text, from "
        "{id, username}, media {id, media_product_type}}, parent_id on a reply. No time, no permalink. "
        "Idempotency key: value.id.",
    )


def instagram_mention() -> dict[str, Any]:
    value = {"media_id": "17900000000000009", "comment_id": "17850000000000009"}
    return meta_sample(
        "instagram_mention",
        instagram({"field": "mentions", "value": value}),
        {
            "public": [ig("mention", "17850000000000009", "17900000000000009", needs_fetch=True)],
            "ignored": 0,
            "invalid": 0,
        },
        "Instagram mentions webhook: ids only (media_id, comment_id). The text and author come from "
        "GET /{ig-user-id}?fields=mentioned_comment.comment_id(...){...}; answer publicly with "
        "POST /{ig-user-id}/mentions.",
    )


def meta_mixed_batch() -> dict[str, Any]:
    dm = {
        "sender": {"id": "7000000000000001"},
        "recipient": {"id": PAGE_ID},
        "timestamp": 1736937699876,
        "message": {"mid": "m_MixedBatchDirectMessage0001", "text": "Do you have yard signs?"},
    }
    wa_status = {
        "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
            "statuses": [
                {
                    "id": "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJNSVhFRA==",
                    "status": "delivered",
                    "timestamp": "1736937700",
                    "recipient_id": "16505551234",
                }
            ],
        },
        "field": "messages",
    }
    first = comment("122100000000000001_1000000000000011", DANA, "Count me in for the town hall.")
    second = comment("122100000000000001_1000000000000012", SAM, "Is it wheelchair accessible?")
    payload = {
        "object": "page",
        "entry": [
            {"id": PAGE_ID, "time": 1736937700123, "messaging": [dm]},
            {"id": "102290129340398", "time": 1736937700, "changes": [wa_status]},
            {"id": PAGE_ID, "time": 1736937700, "changes": [feed(first), feed(second)]},
        ],
    }
    return meta_sample(
        "meta_mixed_batch",
        payload,
        {
            "public": [fb("122100000000000001_1000000000000011"), fb("122100000000000001_1000000000000012")],
            "ignored": 1,
            "invalid": 0,
            "direct_messages": 1,
        },
        "One POST, several entries: a Messenger DM (entry.messaging), a WhatsApp status change and two "
        "feed comments. The public parser reports the two comments, counts the WhatsApp change as "
        "ignored and leaves the DM to the direct-message parser.",
    )


# -- X ------------------------------------------------------------------------------------
def x_sample(name: str, payload: dict[str, Any], expected: dict[str, Any], notes: str) -> dict[str, Any]:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return {
        "name": name,
        "method": "POST",
        "url": X_URL,
        "headers": {
            "Content-Type": "application/json",
            "x-twitter-webhooks-signature": base64_signature(X_SECRET, body.encode("utf-8")),
        },
        "body": body,
        "secret": X_SECRET,
        "expected": {"status": 200, **expected},
        "notes": notes,
    }


def mention_of(user: dict[str, Any], start: int) -> dict[str, Any]:
    end = start + 1 + len(user["screen_name"])
    return {k: user[k] for k in ("screen_name", "name", "id", "id_str")} | {"indices": [start, end]}


def tweet(tweet_id: str, author: dict[str, Any], text: str, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "created_at": "Wed Jan 15 10:45:00 +0000 2025",
        "id": int(tweet_id),
        "id_str": tweet_id,
        "text": text,
        "source": '<a href="https://mobile.x.com" rel="nofollow">X Web App</a>',
        "truncated": False,
        "in_reply_to_status_id": None,
        "in_reply_to_status_id_str": None,
        "in_reply_to_user_id": None,
        "in_reply_to_user_id_str": None,
        "in_reply_to_screen_name": None,
        "user": author | {"protected": False, "verified": False, "followers_count": 120},
        "is_quote_status": False,
        "quote_count": 0,
        "reply_count": 0,
        "retweet_count": 0,
        "favorite_count": 0,
        "entities": {"hashtags": [], "urls": [], "user_mentions": [], "symbols": []},
        "favorited": False,
        "retweeted": False,
        "filter_level": "low",
        "lang": "en",
        "timestamp_ms": "1736937900000",
    }
    return base | extra


def reply_fields(to_tweet: str, to_user: dict[str, Any]) -> dict[str, Any]:
    return {
        "in_reply_to_status_id": int(to_tweet),
        "in_reply_to_status_id_str": to_tweet,
        "in_reply_to_user_id": to_user["id"],
        "in_reply_to_user_id_str": to_user["id_str"],
        "in_reply_to_screen_name": to_user["screen_name"],
    }


def activity(*tweets: dict[str, Any], mention: bool = True) -> dict[str, Any]:
    head: dict[str, Any] = {"for_user_id": X_ACCOUNT}
    if mention:
        head["user_has_blocked"] = "false"
    return head | {"tweet_create_events": list(tweets)}


def tw(kind: str, tweet_id: str, in_reply_to: str | None = None, own: bool = False) -> dict[str, Any]:
    return {"platform": "x", "kind": kind, "tweet_id": tweet_id, "in_reply_to_tweet_id": in_reply_to, "is_own": own}


def x_mention() -> dict[str, Any]:
    full = (
        "@cityofexample When does early voting start at the main library, and will there be weekend "
        "hours this year? My whole block is asking and nobody seems to know. Thanks for keeping us posted!"
    )
    entities = {"hashtags": [], "urls": [], "user_mentions": [mention_of(CAMPAIGN_USER, 0)], "symbols": []}
    short = full[:116] + "\u2026 https://t.co/AbCdEf1234"
    payload = activity(
        tweet(
            MENTION_TWEET,
            JORDAN,
            short,
            truncated=True,
            entities=entities,
            extended_tweet={"full_text": full, "display_text_range": [0, len(full)], "entities": entities},
        )
    )
    return x_sample(
        "x_mention",
        payload,
        {"public": [tw("mention", MENTION_TWEET)], "ignored": 0, "invalid": 0},
        "Account Activity tweet_create_events, an @mention of for_user_id (entities.user_mentions[].id_str). "
        "Longer than 140 characters: text is truncated and the whole text is extended_tweet.full_text. "
        "user_has_blocked is a string. Permalink: https://x.com/jordan_res/status/1856000000000000201.",
    )


def x_reply() -> dict[str, Any]:
    text = "@cityofexample I support the park levy, count my vote!"
    entities = {"hashtags": [], "urls": [], "user_mentions": [mention_of(CAMPAIGN_USER, 0)], "symbols": []}
    payload = activity(
        tweet(
            "1856000000000000202",
            JORDAN,
            text,
            entities=entities,
            display_text_range=[15, len(text)],
            **reply_fields(CAMPAIGN_TWEET, CAMPAIGN_USER),
        )
    )
    return x_sample(
        "x_reply",
        payload,
        {"public": [tw("reply", "1856000000000000202", CAMPAIGN_TWEET)], "ignored": 0, "invalid": 0},
        "A reply to the campaign's post: in_reply_to_user_id_str == for_user_id, in_reply_to_status_id_str "
        "is the post answered (its parent in the thread).",
    )


def x_retweet() -> dict[str, Any]:
    original = tweet(CAMPAIGN_TWEET, CAMPAIGN_USER, "Join us Saturday for the park cleanup!")
    entities = {"hashtags": [], "urls": [], "user_mentions": [mention_of(CAMPAIGN_USER, 3)], "symbols": []}
    rt = tweet(
        "1856000000000000203",
        JORDAN,
        "RT @cityofexample: Join us Saturday for the park cleanup!",
        entities=entities,
        retweeted_status=original,
    )
    return x_sample(
        "x_retweet",
        activity(rt, mention=False),
        {"public": [], "ignored": 1, "invalid": 0},
        "A retweet of the campaign's post (retweeted_status present): ignored even though it names the "
        "account in entities.user_mentions.",
    )


def x_own_reply() -> dict[str, Any]:
    text = "@jordan_res Early voting starts Oct 20 at the main library, weekends 10-4."
    entities = {"hashtags": [], "urls": [], "user_mentions": [mention_of(JORDAN, 0)], "symbols": []}
    payload = activity(
        tweet("1856000000000000204", CAMPAIGN_USER, text, entities=entities, **reply_fields(MENTION_TWEET, JORDAN)),
        mention=False,
    )
    return x_sample(
        "x_own_reply",
        payload,
        {"public": [tw("reply", "1856000000000000204", MENTION_TWEET, own=True)], "ignored": 0, "invalid": 0},
        "The campaign's own post (user.id_str == for_user_id), answering a mention: is_own. No task, no "
        "acknowledgement; shown in that thread. Our own public replies come back this way. The account's "
        "posts that answer nobody are ignored.",
    )


SAMPLES: tuple[Callable[[], dict[str, Any]], ...] = (
    facebook_comment_add,
    facebook_comment_reply,
    facebook_comment_edited,
    facebook_comment_remove,
    facebook_comment_own,
    facebook_reaction,
    instagram_comment,
    instagram_mention,
    meta_mixed_batch,
    x_mention,
    x_reply,
    x_retweet,
    x_own_reply,
)
NAMES = tuple(build.__name__ for build in SAMPLES)
META_NAMES = tuple(n for n in NAMES if not n.startswith("x_"))
X_NAMES = tuple(n for n in NAMES if n.startswith("x_"))


def render(sample: dict[str, Any]) -> str:
    return json.dumps(sample, indent=2, ensure_ascii=False) + "\n"


def write_all(folder: Path = EVENTS) -> list[Path]:
    """Build, sign and write every sample; returns the files written."""
    written = []
    for build in SAMPLES:
        sample = build()
        path = folder / f"{sample['name']}.json"
        path.write_text(render(sample), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_all():
        print(path.relative_to(EVENTS.parent.parent))
