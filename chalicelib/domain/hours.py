"""Sending hours: anything that is not an immediate answer waits for the recipient's daytime.

Pure rules. The recipient's time zone comes from their ZIP code (a coarse built-in table of
US 3-digit prefixes) or, failing that, their number's area code (phonenumbers' time zone
data); numbers that span several zones (toll-free, non-geographic) fall back to the
campaign's default zone.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

# A message sent within this long of the person's last message is an immediate answer.
IMMEDIATE_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class SendingHours:
    start: time = time(9, 0)
    end: time = time(20, 0)

    @classmethod
    def parse(cls, start: str, end: str) -> SendingHours:
        """``HH:MM`` each; an end of ``24:00`` means through midnight (00:00-24:00: any time)."""
        return cls(time.fromisoformat(start), time.max if end.strip() == "24:00" else time.fromisoformat(end))

    def allows(self, local: time) -> bool:
        return self.start <= local < self.end or (self.end == time.max and local >= self.start)


def next_send_time(now: datetime, zone: str, hours: SendingHours) -> datetime:
    """The earliest moment at or after ``now`` inside the recipient's sending hours (UTC-aware)."""
    tz = _zone(zone)
    local = now.astimezone(tz)
    if hours.allows(local.time().replace(tzinfo=None)):
        return now
    day = local.date() if local.time().replace(tzinfo=None) < hours.start else local.date() + timedelta(days=1)
    opening = datetime.combine(day, hours.start, tzinfo=tz)
    return opening.astimezone(now.tzinfo)


def is_immediate_answer(now: datetime, last_inbound: datetime | None) -> bool:
    return last_inbound is not None and now - last_inbound <= IMMEDIATE_WINDOW


def zone_for(phone: str | None, zip_code: str | None, default: str) -> str:
    """The recipient's time zone: ZIP first (where they live), then the area code."""
    if zip_code:
        found = zone_for_zip(zip_code)
        if found:
            return found
    if phone:
        found = zone_for_phone(phone)
        if found:
            return found
    return default


def zone_for_phone(e164: str) -> str | None:
    # The time zone tables load here, not at import: only outbound messages need them.
    from phonenumbers import timezone as phone_timezones

    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    zones = phone_timezones.time_zones_for_number(parsed)
    # Several zones means the number says nothing about where its owner is.
    if len(zones) != 1 or zones[0] == phone_timezones.UNKNOWN_TIMEZONE:
        return None
    return str(zones[0])


# (last 3-digit ZIP prefix of a run, zone), sorted. Coarse on purpose: a state's minority
# zone is kept only where whole prefixes fall in it (FL panhandle, west TN, west KY, El Paso...).
_EASTERN, _CENTRAL, _MOUNTAIN, _PACIFIC = "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"
_ZIP_RUNS: list[tuple[int, str]] = [
    (5, _EASTERN), (9, "America/Puerto_Rico"), (323, _EASTERN), (325, _CENTRAL), (349, _EASTERN),
    (369, _CENTRAL), (375, _CENTRAL), (379, _EASTERN), (397, _CENTRAL), (419, _EASTERN), (427, _CENTRAL),
    (499, _EASTERN), (576, _CENTRAL), (577, _MOUNTAIN), (588, _CENTRAL), (599, _MOUNTAIN), (689, _CENTRAL),
    (693, _MOUNTAIN), (797, _CENTRAL), (799, _MOUNTAIN), (834, _MOUNTAIN), (838, _PACIFIC), (847, _MOUNTAIN),
    (865, "America/Phoenix"), (884, _MOUNTAIN), (888, _MOUNTAIN), (898, _PACIFIC), (966, _PACIFIC),
    (968, "Pacific/Honolulu"), (969, "Pacific/Guam"), (994, _PACIFIC), (999, "America/Anchorage"),
]  # fmt: skip
_ZIP_BOUNDS = [upper for upper, _ in _ZIP_RUNS]


def zone_for_zip(zip_code: str) -> str | None:
    digits = zip_code.strip()[:3]
    if len(digits) != 3 or not digits.isdigit():
        return None
    return _ZIP_RUNS[bisect.bisect_left(_ZIP_BOUNDS, int(digits))][1]


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
