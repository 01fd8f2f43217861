"""The single table's layout: every key, index partition and shared condition lives here.

| item              | pk                               | sk                 | gsi1 (sparse)                       |
| ----------------- | -------------------------------- | ------------------ | ----------------------------------- |
| person            | PERSON#<id>                      | PROFILE            |                                     |
| identity          | IDENT#<kind>#<address>           | IDENT              |                                     |
| message           | PERSON#<id>                      | MSG#<iso>#<id>     |                                     |
| stance data point | PERSON#<id>                      | STANCE#<iso>#<id>  |                                     |
| task              | TASK#<id>                        | TASK               | TASKS#<status>#<shard> / <due>#<id> |
| dedupe marker     | PROVIDER#<channel>#<provider id> | DEDUP (TTL)        |                                     |
| provider pointer  | PROVIDER#<channel>#<provider id> | OUTMSG             |                                     |
| user              | USER#<id>                        | USER               |                                     |
| token             | TOKEN#<sha256>                   | TOKEN              |                                     |
| staff phone       | USERPHONE#<e164>                 | USERPHONE          | SHIFT#on / <last offer>#<e164>      |
| saved reply       | SAVED_REPLIES                    | REPLY#<id>         |                                     |
| suppression       | SUPPRESS#<sha256 of kind:addr>   | SUPPRESS           |                                     |
| deletion record   | DELETION#<person id>             | DELETION           |                                     |
| export job        | EXPORT#<id>                      | EXPORT             |                                     |
| stats snapshot    | STATS                            | LATEST             |                                     |

gsi2 (sparse): person items under PEOPLE#<shard> / <changed iso>#<id> (exports page through
people only, and ``since=`` is a key condition); staff phones under STAFF#<role> / <user id>
(organizers to notify, without a scan).

Nothing written for every message shares a partition key: the task index is sharded by task
id, the people index by person id, and there are no global counters on the hot path.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from chalicelib.domain.model import Address, Channel, Identity, Task, TaskStatus, iso
from chalicelib.domain.stance import Stance

Key = dict[str, Any]

PROFILE, IDENT, TASK, DEDUP, OUTMSG, USER, TOKEN, STAFF = (
    "PROFILE", "IDENT", "TASK", "DEDUP", "OUTMSG", "USER", "TOKEN", "USERPHONE",
)  # fmt: skip
SHIFT_ON = "SHIFT#on"  # gsi1 partition of the staff phones on shift, least recently offered first
PEOPLE_SHARDS = 4  # fixed: changing it needs a re-index of person items

# Conditions every repository uses.
NEW = "attribute_not_exists(pk)"
EXISTS = "attribute_exists(pk)"


def key(pk: str, sk: str) -> Key:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def person_pk(person_id: str) -> str:
    return f"PERSON#{person_id}"


def person_key(person_id: str) -> Key:
    return key(person_pk(person_id), PROFILE)


def identity_key(address: Address) -> Key:
    return key(f"IDENT#{address.kind}#{address.value}", IDENT)


MESSAGE_PREFIX, STANCE_PREFIX = "MSG#", "STANCE#"


def message_sk(created_at: datetime, message_id: str) -> str:
    return f"{MESSAGE_PREFIX}{iso(created_at)}#{message_id}"


def message_key(person_id: str, created_at: datetime, message_id: str) -> Key:
    return key(person_pk(person_id), message_sk(created_at, message_id))


def stance_key(stance: Stance) -> Key:
    return key(person_pk(stance.person_id), f"{STANCE_PREFIX}{iso(stance.recorded_at)}#{stance.id}")


def task_key(task_id: str) -> Key:
    return key(f"TASK#{task_id}", TASK)


def dedupe_key(dedupe: str) -> Key:
    return key(f"PROVIDER#{dedupe}", DEDUP)


def provider_key(channel: Channel, provider_id: str) -> Key:
    return key(f"PROVIDER#{channel.value}#{provider_id}", OUTMSG)


def user_key(user_id: str) -> Key:
    return key(f"USER#{user_id}", USER)


def token_key(token_hash: str) -> Key:
    return key(f"TOKEN#{token_hash}", TOKEN)


def staff_key(phone: str) -> Key:
    return key(f"USERPHONE#{phone}", STAFF)


def saved_reply_key(reply_id: str) -> Key:
    return key(SAVED_REPLIES, f"REPLY#{reply_id}")


SAVED_REPLIES, SAVED_REPLY_PREFIX = "SAVED_REPLIES", "REPLY#"


def suppression_key(identity_hash: str) -> Key:
    return key(f"SUPPRESS#{identity_hash}", "SUPPRESS")


def deletion_key(person_id: str) -> Key:
    return key(f"DELETION#{person_id}", "DELETION")


def export_key(job_id: str) -> Key:
    return key(f"EXPORT#{job_id}", "EXPORT")


STATS_KEY = key("STATS", "LATEST")


# -- the task index (gsi1) ----------------------------------------------------------------
def task_shard(task_id: str, shards: int) -> int:
    return zlib.crc32(task_id.encode()) % shards


def task_partition(status: TaskStatus, shard: int) -> str:
    return f"TASKS#{status.value}#{shard}"


def task_sort(task: Task) -> str:
    return f"{iso(task.due_at)}#{task.id}"


# -- the people index (gsi2) --------------------------------------------------------------
def people_partition(shard: int) -> str:
    return f"PEOPLE#{shard}"


def people_index(person_id: str, changed: datetime) -> dict[str, str]:
    shard = zlib.crc32(person_id.encode()) % PEOPLE_SHARDS
    return {"gsi2pk": people_partition(shard), "gsi2sk": f"{iso(changed)}#{person_id}"}


def staff_role_partition(role: str) -> str:
    return f"STAFF#{role}"


# -- the person item's mirror of its identities -------------------------------------------
# The person item mirrors what exports need of its identities, so an export reads one item a
# person: an attribute "sub|<kind>:<address>|<channel>" holds each subscription status, and the
# set REACH_SEEN the "<kind>:<address>|<channel>" keys the person wrote on. Both are top-level, so
# an update sets them on any person item (a nested map would have to exist first). Every write of
# an identity's subscriptions or channels writes the mirror in the same transaction; a merge
# rebuilds it from the identities.
SUB_PREFIX, REACH_SEEN = "sub|", "reach_seen"


def reach_key(address: Address, channel: str) -> str:
    return f"{address}|{channel}"


def mirror_attrs(identities: Iterable[Identity]) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    seen: set[str] = set()
    for i in identities:
        attrs.update({SUB_PREFIX + reach_key(i.ref, ch): s.value for ch, s in i.subscriptions.items()})
        seen.update(reach_key(i.ref, ch) for ch in i.last_inbound)
    return {**attrs, REACH_SEEN: seen or None}  # DynamoDB has no empty sets
