"""The SOP clock: the time scale shortens real waits and keeps durations in SOP seconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.sop.clock import SopClock

T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


def test_at_normal_speed_a_five_minute_standard_is_due_five_minutes_later() -> None:
    assert SopClock().due_at(T0, 300) == T0 + timedelta(minutes=5)


def test_a_time_scale_of_60_makes_five_minutes_pass_in_five_seconds() -> None:
    clock = SopClock(time_scale=60)
    assert clock.due_at(T0, 300) == T0 + timedelta(seconds=5)
    assert clock.sop_seconds(T0, T0 + timedelta(seconds=5)) == 300


def test_a_citizen_clock_ahead_of_ours_gives_zero_not_a_negative_duration() -> None:
    assert SopClock().sop_seconds(T0, T0 - timedelta(seconds=40)) == 0
