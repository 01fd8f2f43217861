"""People as organizers manage them: masking, merging two records, deletion on request. Pure."""

from __future__ import annotations

import hashlib

from chalicelib.domain.model import EMAIL, PHONE, Address, Identity, Person
from chalicelib.domain.phones import mask
from chalicelib.domain.stance import Stance, is_newer

# What an organizer may edit (PATCH /api/people/{id}); everything else is the system's.
EDITABLE_FIELDS = ("first_name", "last_name", "email", "zip", "address", "city", "state", "van_id")


def suppression_hash(address: Address) -> str:
    """What is kept of a deleted person's address: enough to recognise it, not to read it."""
    return hashlib.sha256(str(address).encode()).hexdigest()


def suppression_hashes(person: Person) -> list[str]:
    refs = list(person.identities)
    if person.email:
        refs.append(Address(EMAIL, person.email.strip().lower()))
    return list(dict.fromkeys(suppression_hash(ref) for ref in refs))


def mask_address(kind: str, address: str) -> str:
    """What volunteers see of an address: enough to tell two apart, not to copy one."""
    if kind == PHONE:
        return mask(address)
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return address[:2] + "***" if len(address) > 4 else "***"


def identity_view(identity: Identity, masked: bool) -> dict[str, object]:
    return {
        "kind": identity.kind,
        "address": mask_address(identity.kind, identity.address) if masked else identity.address,
        "subscriptions": {ch: status.value for ch, status in sorted(identity.subscriptions.items())},
        "last_inbound": {ch: at.isoformat() for ch, at in sorted(identity.last_inbound.items())},
    }


def merged_profile(keep: Person, other: Person) -> Person:
    """``keep`` with ``other`` folded in: keep's values win, other's fill the blanks, every
    identity is kept, contact times span both. Open task: keep's, else other's."""
    merged = keep.model_copy(deep=True)
    for name in ("first_name", "last_name", "email", "zip", "address", "city", "state", "van_id"):
        if not getattr(merged, name) and getattr(other, name):
            setattr(merged, name, getattr(other, name))
    merged.identities = list(dict.fromkeys([*keep.identities, *other.identities]))
    merged.open_task_id = keep.open_task_id or other.open_task_id
    firsts = [t for t in (keep.first_contact_at, other.first_contact_at) if t]
    merged.first_contact_at = min(firsts) if firsts else None
    lasts = [(p.last_contact_at, p.last_contact_channel) for p in (keep, other) if p.last_contact_at]
    if lasts:
        merged.last_contact_at, merged.last_contact_channel = max(lasts, key=lambda pair: pair[0])
    merged.created_at = min(keep.created_at, other.created_at)
    return merged


def newest(a: Stance | None, b: Stance | None) -> Stance | None:
    if a is None or b is None:
        return a or b
    return b if is_newer(b, a) else a
