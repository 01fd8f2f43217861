"""Where a person stands: dated stance data points. Pure types and rules, no I/O.

Every recording is kept (who, when, on which channel, from what source, with which
messages as evidence); the newest by ``recorded_at`` is the person's current stance.
"""

from __future__ import annotations

import enum
import re
from datetime import datetime

from pydantic import Field, field_validator, model_validator

from chalicelib.domain.model import Channel, Model

SUPPORT_LABELS: dict[int, str] = {
    1: "strong_support",
    2: "lean_support",
    3: "undecided",
    4: "lean_oppose",
    5: "strong_oppose",
}
# What people read in spreadsheets and tags ("Support: 1 - Strong support").
SUPPORT_TITLES: dict[int, str] = {
    level: label.replace("_", " ").capitalize() for level, label in SUPPORT_LABELS.items()
}

SLUG = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
NOTE_MAX = 2000
EVIDENCE_MAX = 50


class StanceResponse(enum.StrEnum):
    NOT_VOTING = "not_voting"
    REFUSED = "refused"


class IssuePosition(enum.StrEnum):
    SUPPORT = "support"
    OPPOSE = "oppose"
    UNDECIDED = "undecided"
    MIXED = "mixed"


class StanceSource(enum.StrEnum):
    VOLUNTEER = "volunteer"
    SELF_REPORTED = "self_reported"
    IMPORTED = "imported"


class InvalidStanceError(ValueError):
    """A stance that breaks the rules (unknown issue, level out of range, ...)."""


class Stance(Model):
    """One dated data point. Never edited after it is recorded."""

    id: str
    person_id: str
    support_level: int | None = Field(default=None, ge=1, le=5)
    response: StanceResponse | None = None
    issues: dict[str, IssuePosition] = Field(default_factory=dict)
    note: str | None = Field(default=None, max_length=NOTE_MAX)
    source: StanceSource
    recorded_by: str | None = None  # user id; None for self-reported and imported points
    recorded_at: datetime
    channel: Channel | None = None
    evidence: list[str] = Field(default_factory=list, max_length=EVIDENCE_MAX)  # message ids

    @property
    def support_label(self) -> str | None:
        if self.support_level is not None:
            return SUPPORT_LABELS[self.support_level]
        return self.response.value if self.response else None

    @field_validator("issues")
    @classmethod
    def _slugs(cls, value: dict[str, IssuePosition]) -> dict[str, IssuePosition]:
        for slug in value:
            if not SLUG.match(slug):
                raise ValueError(f"bad issue slug {slug!r}: lower-case letters, digits and _")
        return value

    @model_validator(mode="after")
    def _level_or_response(self) -> Stance:
        if self.support_level is not None and self.response is not None:
            raise ValueError("support_level and response exclude each other (response means the level is null)")
        return self


def check_issues(issues: dict[str, IssuePosition], allowed: tuple[str, ...]) -> None:
    """Issue slugs must come from the campaign's configured list (CAMPAIGN_ISSUES)."""
    unknown = sorted(set(issues) - set(allowed))
    if unknown:
        raise InvalidStanceError(f"unknown issue(s): {', '.join(unknown)}; known: {', '.join(allowed)}")


def is_newer(candidate: Stance, current: Stance | None) -> bool:
    """Newest wins; ties go to the later id (ids sort by creation time)."""
    if current is None:
        return True
    return (candidate.recorded_at, candidate.id) >= (current.recorded_at, current.id)


def format_issues(issues: dict[str, IssuePosition]) -> str:
    """``slug=position;...`` in slug order (the export format)."""
    return ";".join(f"{slug}={issues[slug].value}" for slug in sorted(issues))


def parse_issues(text: str) -> dict[str, IssuePosition]:
    """The inverse of :func:`format_issues`; raises InvalidStanceError."""
    found: dict[str, IssuePosition] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        slug, sep, position = part.partition("=")
        try:
            if not sep or not SLUG.match(slug.strip()):
                raise ValueError
            found[slug.strip()] = IssuePosition(position.strip())
        except ValueError:
            expected = "slug=support|oppose|undecided|mixed"
            raise InvalidStanceError(f"bad issue position {part!r}: expected {expected}") from None
    return found
