"""Sending hours and the recipient's time zone: pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.hours import SendingHours, is_immediate_answer, next_send_time, zone_for

HOURS = SendingHours()  # 09:00-20:00


@pytest.mark.parametrize(
    ("now", "zone", "expected"),
    [
        # 15:00 UTC is 10:00 in Boston: inside the hours, now.
        (datetime(2026, 11, 26, 15, 0, tzinfo=UTC), "America/New_York", datetime(2026, 11, 26, 15, 0, tzinfo=UTC)),
        # 03:00 UTC is 22:00 in Boston: tomorrow 09:00 local = 14:00 UTC.
        (datetime(2026, 11, 27, 3, 0, tzinfo=UTC), "America/New_York", datetime(2026, 11, 27, 14, 0, tzinfo=UTC)),
        # 12:00 UTC is 04:00 in San Francisco: today 09:00 local = 17:00 UTC.
        (datetime(2026, 11, 26, 12, 0, tzinfo=UTC), "America/Los_Angeles",
         datetime(2026, 11, 26, 17, 0, tzinfo=UTC)),
        # 20:00 sharp is closed (the window is [start, end)).
        (datetime(2026, 11, 27, 1, 0, tzinfo=UTC), "America/New_York", datetime(2026, 11, 27, 14, 0, tzinfo=UTC)),
        # Across the spring DST change: 09:00 EDT is 13:00 UTC.
        (datetime(2026, 3, 8, 4, 0, tzinfo=UTC), "America/New_York", datetime(2026, 3, 8, 13, 0, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_next_send_time(now: datetime, zone: str, expected: datetime) -> None:
    assert next_send_time(now, zone, HOURS) == expected


@pytest.mark.parametrize(
    ("phone", "zip_code", "zone"),
    [
        ("+16175550123", None, "America/New_York"),  # Boston area code
        ("+14155550123", None, "America/Los_Angeles"),  # San Francisco
        ("+13125550123", None, "America/Chicago"),  # Chicago
        ("+18005550123", None, "America/Denver"),  # toll-free says nothing: the default
        ("+16175550123", "94110", "America/Los_Angeles"),  # ZIP wins over a carried-over number
        (None, "85004", "America/Phoenix"),
        (None, "99501", "America/Anchorage"),
        (None, "96813", "Pacific/Honolulu"),
        (None, "77001", "America/Chicago"),
        (None, "79901", "America/Denver"),  # El Paso
        (None, "00901", "America/Puerto_Rico"),
        (None, "abc", "America/Denver"),
        ("messenger-psid-123", None, "America/Denver"),
    ],
)
def test_zone_from_zip_then_area_code(phone: str | None, zip_code: str | None, zone: str) -> None:
    assert zone_for(phone, zip_code, default="America/Denver") == zone


def test_immediate_answer_is_within_ten_minutes_of_the_last_message() -> None:
    last = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    assert is_immediate_answer(last + timedelta(minutes=10), last)
    assert not is_immediate_answer(last + timedelta(minutes=11), last)
    assert not is_immediate_answer(last, None)


def test_custom_hours_parse() -> None:
    hours = SendingHours.parse("10:30", "18:00")
    now = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # 10:00 in Boston
    assert next_send_time(now, "America/New_York", hours) == datetime(2026, 11, 26, 15, 30, tzinfo=UTC)
