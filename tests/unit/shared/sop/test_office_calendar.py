"""The office calendar: standards count in office hours on working days, WIB, Indonesian holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.runtime.errors import ConfigError
from shared.runtime.settings import Settings
from shared.sop.clock import SopClock
from shared.sop.hours import DEFAULT_HOURS, parse_hours
from shared.sop.office_calendar import OfficeCalendar, make_clock, office_zone

WIB = ZoneInfo("Asia/Jakarta")
OFFICE = OfficeCalendar(parse_hours(DEFAULT_HOURS), WIB)


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB).astimezone(UTC)


def test_a_case_that_arrives_at_night_is_due_the_next_working_morning() -> None:
    # Tuesday 24 November 2026, 22:00 WIB: five minutes of office time end Wednesday 07:35.
    assert OFFICE.add(wib(2026, 11, 24, 22, 0), 300) == wib(2026, 11, 25, 7, 35)
    assert OFFICE.next_opening(wib(2026, 11, 24, 22, 0)) == wib(2026, 11, 25, 7, 30)


def test_friday_afternoon_runs_on_into_monday_morning() -> None:
    # Friday closes at 16:30: two minutes on Friday, three on Monday.
    assert OFFICE.add(wib(2026, 11, 27, 16, 28), 300) == wib(2026, 11, 30, 7, 33)


def test_a_national_holiday_is_skipped() -> None:
    # Monday 17 August 2026 is Independence Day: from Friday 16:29, the rest runs on Tuesday.
    assert not OFFICE.is_working_day(date(2026, 8, 17))
    assert OFFICE.add(wib(2026, 8, 14, 16, 29), 300) == wib(2026, 8, 18, 7, 34)


def test_an_offices_own_closed_day_is_skipped() -> None:
    cuti = OfficeCalendar(parse_hours(DEFAULT_HOURS), WIB, closed=frozenset({date(2026, 11, 25)}))
    assert cuti.add(wib(2026, 11, 24, 15, 58), 300) == wib(2026, 11, 26, 7, 33)


def test_open_time_over_a_weekend_counts_only_office_hours() -> None:
    # Friday 16:00 to Monday 08:00: 30 minutes on Friday and 30 on Monday.
    assert OFFICE.open_seconds(wib(2026, 11, 27, 16, 0), wib(2026, 11, 30, 8, 0)) == 3600
    assert OFFICE.open_seconds(wib(2026, 11, 28, 9, 0), wib(2026, 11, 29, 9, 0)) == 0


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    seconds=st.floats(min_value=0, max_value=5 * 86400),
)
def test_adding_open_time_and_measuring_it_are_inverses(start: datetime, seconds: float) -> None:
    end = OFFICE.add(start, seconds)
    assert end >= start
    assert OFFICE.open_seconds(start, end) == pytest.approx(seconds, abs=1e-3)


def test_the_time_scale_still_divides_the_standard_on_the_office_calendar() -> None:
    clock = SopClock(time_scale=60, calendar=OFFICE)
    handed = wib(2026, 11, 24, 10, 0)
    assert clock.due_at(handed, 300) == handed + timedelta(seconds=5)
    assert clock.sop_seconds(handed, handed + timedelta(seconds=5)) == 300


def test_night_time_does_not_count_toward_a_steps_duration() -> None:
    clock = SopClock(calendar=OFFICE)
    assert clock.sop_seconds(wib(2026, 11, 24, 15, 58), wib(2026, 11, 25, 7, 33)) == 300


@pytest.mark.parametrize(
    "hours", ["mon-thu 8-16", "someday 07:30-16:00", "fri 16:00-08:00", "mon 25:00-26:00", ""]
)
def test_office_hours_that_cannot_work_are_refused_clearly(hours: str) -> None:
    with pytest.raises(ConfigError, match="office hours"):
        parse_hours(hours)


def test_the_office_calendar_is_the_default_and_24x7_can_be_chosen() -> None:
    assert isinstance(make_clock(Settings()).calendar, OfficeCalendar)
    assert not isinstance(make_clock(Settings(calendar="24x7")).calendar, OfficeCalendar)


def test_an_office_in_another_time_zone_keeps_its_own_hours_and_days() -> None:
    # Makassar (WITA) is an hour ahead of Pekanbaru (WIB): the same 07:30 opening is an hour earlier.
    settings = Settings(timezone="Asia/Makassar")
    clock = make_clock(settings)
    assert clock.zone == office_zone(settings) == ZoneInfo("Asia/Makassar")
    assert isinstance(clock.calendar, OfficeCalendar)
    assert clock.calendar.periods(date(2026, 11, 24)) == [
        (datetime(2026, 11, 23, 23, 30, tzinfo=UTC), datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
    ]
    assert OFFICE.periods(date(2026, 11, 24)) == [
        (datetime(2026, 11, 24, 0, 30, tzinfo=UTC), datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    ]
    # 16:30 UTC on Monday is 23:30 Monday in Pekanbaru but 00:30 Tuesday in Makassar.
    late = datetime(2026, 11, 23, 16, 30, tzinfo=UTC)
    assert (SopClock().office_day(late), clock.office_day(late)) == (date(2026, 11, 23), date(2026, 11, 24))
    assert clock.local(late).strftime("%d-%m-%Y %H:%M %Z") == "24-11-2026 00:30 WITA"
    # Arriving then, five minutes of office time end at 07:35 WITA, which is 06:35 in Pekanbaru.
    assert clock.due_at(late, 300) == datetime(2026, 11, 23, 23, 35, tzinfo=UTC)


def test_an_unknown_time_zone_is_refused_clearly() -> None:
    with pytest.raises(ConfigError, match="unknown time zone 'Asia/Pekanbaru'"):
        office_zone(Settings(timezone="Asia/Pekanbaru"))
    with pytest.raises(ConfigError, match="unknown time zone"):
        make_clock(Settings(timezone="Asia/Pekanbaru", calendar="24x7"))


# --- office hours with breaks ------------------------------------------------------------------

BREAKS = OfficeCalendar(parse_hours("mon-thu 07:30-12:00,13:00-16:00; fri 07:30-11:30,13:30-16:30"), WIB)
instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
standards = st.floats(min_value=0, max_value=3 * 86400)


def test_a_five_minute_standard_started_just_before_lunch_is_due_after_it() -> None:
    # Monday 30 November 2026, 11:58 WIB: two minutes before the break, three after it.
    assert BREAKS.add(wib(2026, 11, 30, 11, 58), 300) == wib(2026, 11, 30, 13, 3)
    assert BREAKS.open_seconds(wib(2026, 11, 30, 11, 58), wib(2026, 11, 30, 13, 3)) == 300


def test_friday_prayer_does_not_count() -> None:
    # Friday 27 November 2026: 11:30-13:30 is closed; a case arriving at 12:00 starts at 13:30.
    assert not BREAKS.is_open(wib(2026, 11, 27, 12, 0))
    assert BREAKS.next_opening(wib(2026, 11, 27, 12, 0)) == wib(2026, 11, 27, 13, 30)
    assert BREAKS.open_seconds(wib(2026, 11, 27, 11, 0), wib(2026, 11, 27, 14, 0)) == 3600


def test_a_standard_runs_across_the_break_and_the_night_into_the_next_day() -> None:
    # Thursday 15:50: ten minutes on Thursday, then Friday from 07:30 — 4h30 of open time ends 13:30
    # on Friday only because the morning (4h) and the break are skipped: 10m + 4h + 20m.
    assert BREAKS.add(wib(2026, 11, 26, 15, 50), (10 + 240 + 20) * 60) == wib(2026, 11, 27, 13, 50)


@settings(max_examples=300, deadline=None)
@given(start=instants, seconds=standards)
def test_with_breaks_adding_open_time_and_measuring_it_are_inverses(start: datetime, seconds: float) -> None:
    end = BREAKS.add(start, seconds)
    assert end >= start
    assert BREAKS.open_seconds(start, end) == pytest.approx(seconds, abs=1e-3)


@settings(max_examples=300, deadline=None)
@given(start=instants, later=st.floats(min_value=0, max_value=3 * 86400), seconds=standards)
def test_a_due_time_never_comes_earlier_for_a_later_start(
    start: datetime, later: float, seconds: float
) -> None:
    assert BREAKS.add(start + timedelta(seconds=later), seconds) >= BREAKS.add(start, seconds)


@settings(max_examples=300, deadline=None)
@given(a=instants, gaps=st.tuples(st.floats(0, 3 * 86400), st.floats(0, 3 * 86400)))
def test_open_time_from_a_to_b_and_b_to_c_is_the_open_time_from_a_to_c(
    a: datetime, gaps: tuple[float, float]
) -> None:
    b = a + timedelta(seconds=gaps[0])
    c = b + timedelta(seconds=gaps[1])
    whole = BREAKS.open_seconds(a, c)
    assert BREAKS.open_seconds(a, b) + BREAKS.open_seconds(b, c) == pytest.approx(whole, abs=1e-6)


@settings(max_examples=300, deadline=None)
@given(start=instants, first=standards, second=standards)
def test_adding_two_standards_one_after_the_other_is_adding_their_sum(
    start: datetime, first: float, second: float
) -> None:
    # Equal up to the rounding of each addition to whole microseconds.
    stepwise = BREAKS.add(BREAKS.add(start, first), second)
    assert abs(stepwise - BREAKS.add(start, first + second)) <= timedelta(microseconds=2)


@settings(max_examples=300, deadline=None)
@given(moment=instants)
def test_the_clock_never_starts_in_a_break_or_at_night(moment: datetime) -> None:
    assert BREAKS.is_open(BREAKS.next_opening(moment))
    local = BREAKS.next_opening(moment).astimezone(WIB)
    assert not (local.weekday() < 4 and time(12) <= local.time() < time(13))
