"""Scheduled handlers fire on their interval with EventBridge's event shape."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from chalice import Chalice, Cron, Rate

from chalicelib.local.workers import Scheduler, schedule_interval


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("rate(1 minute)", 60),
        ("rate(5 minutes)", 300),
        ("rate(1 hour)", 3600),
        ("rate(2 hours)", 7200),
        ("rate(1 day)", 86400),
        ("rate(3 days)", 3 * 86400),
        ("  rate( 10  Minutes )  ", 600),
        ("cron(0 9 * * ? *)", 60),
        (Rate(15, unit=Rate.MINUTES), 900),
        (Rate(1, unit=Rate.HOURS), 3600),
        (Cron(0, 18, "?", "*", "MON-FRI", "*"), 60),
    ],
)
def test_schedule_expressions_become_intervals(expression: Any, seconds: float) -> None:
    assert schedule_interval(expression) == seconds


UNSUPPORTED = ["rate(0 minutes)", "rate(1 week)", "rate(minute)", "every 5 minutes", ""]


@pytest.mark.parametrize("expression", UNSUPPORTED)
def test_unsupported_expressions_are_refused(expression: str) -> None:
    with pytest.raises(ValueError):
        schedule_interval(expression)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def scheduled_app(calls: list[tuple[str, dict[str, Any]]]) -> Chalice:
    app = Chalice(app_name="sched-test")

    @app.schedule("rate(1 minute)")
    def every_minute(event: Any) -> None:
        calls.append(("every_minute", event.to_dict()))

    @app.schedule("rate(5 minutes)")
    def every_five(event: Any) -> None:
        calls.append(("every_five", event.to_dict()))

    @app.schedule(Cron(0, 9, "*", "*", "?", "*"))
    def broken_cron(event: Any) -> None:
        calls.append(("broken_cron", event.to_dict()))
        raise RuntimeError("a message that might quote +15555550123")

    return app


def test_jobs_run_once_their_interval_has_passed() -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    clock = FakeClock()
    scheduler = Scheduler.for_app(scheduled_app(calls), region="us-east-1", clock=clock)

    assert scheduler.run_due() == []
    clock.now += 60
    assert set(scheduler.run_due()) == {"every_minute", "broken_cron"}
    clock.now += 59
    assert scheduler.run_due() == []
    clock.now += 241
    assert set(scheduler.run_due()) == {"every_minute", "every_five", "broken_cron"}


def test_the_event_is_an_eventbridge_scheduled_event() -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    clock = FakeClock()
    scheduler = Scheduler.for_app(scheduled_app(calls), region="eu-west-1", clock=clock)
    clock.now += 60
    scheduler.run_due()

    event = dict(calls)["every_minute"]
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["region"] == "eu-west-1"
    assert event["detail"] == {}
    rule = "arn:aws:events:eu-west-1:123456789012:rule/sched-test-dev-every_minute"
    assert event["resources"] == [rule]
    assert event["time"].endswith("Z") and event["id"] and event["version"] == "0"


def test_scale_speeds_the_schedules_up() -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    clock = FakeClock()
    scheduler = Scheduler.for_app(scheduled_app(calls), region="us-east-1", clock=clock, scale=60)
    clock.now += 1
    assert "every_minute" in scheduler.run_due()


def test_a_failing_job_is_logged_without_its_message_and_the_others_go_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    clock = FakeClock()
    scheduler = Scheduler.for_app(scheduled_app(calls), region="us-east-1", clock=clock)
    with caplog.at_level(logging.ERROR):
        for _ in range(2):
            clock.now += 60
            scheduler.run_due()

    assert [name for name, _ in calls].count("every_minute") == 2
    assert "RuntimeError" in caplog.text
    assert "broken_cron" in caplog.text
    assert "+15555550123" not in caplog.text


def test_the_scheduler_thread_fires_and_stops() -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    scheduler = Scheduler.for_app(scheduled_app(calls), region="us-east-1", scale=600)
    scheduler.start()
    try:
        deadline = time.monotonic() + 5
        while len([c for c in calls if c[0] == "every_minute"]) < 3:
            assert time.monotonic() < deadline, "rate(1 minute) / 600 should fire every 0.1 s"
            time.sleep(0.02)
    finally:
        started = time.monotonic()
        scheduler.stop()
    assert time.monotonic() - started < 1
    assert not scheduler.running


def test_a_non_positive_scale_is_refused() -> None:
    with pytest.raises(ValueError):
        Scheduler.for_app(Chalice(app_name="x"), region="us-east-1", scale=0)
