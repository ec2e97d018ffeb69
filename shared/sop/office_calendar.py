"""The office calendar: the SOP's standards count in office hours on working days only.

A case that arrives at night, on a weekend or on a public holiday starts counting at the next
opening, so it is due the next working morning. Indonesian public holidays come from the `holidays`
library (country ID); an office adds its own closed days (cuti bersama) with `BAMSOS_CLOSED_DATES`.
Times are taken and given in UTC; the hours are read in the office's time zone (`BAMSOS_TIMEZONE`,
WIB by default), which `office_zone` reads from the settings for every part of BAMSOS.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from shared.runtime.errors import ConfigError
from shared.runtime.settings import Settings
from shared.sop.clock import AlwaysOpen, Calendar, SopClock

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Indonesian civil service hours, five-day week: Monday-Thursday 07:30-16:00, Friday 07:30-16:30.
DEFAULT_HOURS = "mon-thu 07:30-16:00; fri 07:30-16:30"
_MAX_DAYS = 800  # no office is closed longer; bounds every loop below

_PART = re.compile(r"^\s*(\w{3})(?:\s*-\s*(\w{3}))?\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_hours(text: str) -> dict[int, tuple[time, time]]:
    """`"mon-thu 07:30-16:00; fri 07:30-16:30"` -> {weekday: (open, close)}; ConfigError if bad."""
    hours: dict[int, tuple[time, time]] = {}
    for part in filter(str.strip, text.split(";")):
        m = _PART.match(part.lower())
        if not m or m.group(1) not in DAYS or (m.group(2) and m.group(2) not in DAYS):
            raise ConfigError(f"office hours: cannot read '{part.strip()}'; write e.g. '{DEFAULT_HOURS}'")
        first = DAYS.index(m.group(1))
        last = DAYS.index(m.group(2)) if m.group(2) else first
        try:
            opens = time(int(m.group(3)), int(m.group(4)))
            closes = time(int(m.group(5)), int(m.group(6)))
        except ValueError:
            raise ConfigError(f"office hours: '{part.strip()}' is not a time of day") from None
        if closes <= opens or last < first:
            raise ConfigError(f"office hours: '{part.strip()}' closes before it opens")
        for day in range(first, last + 1):
            hours[day] = (opens, closes)
    if not hours:
        raise ConfigError("office hours: no working day given")
    return hours


@dataclass(frozen=True)
class OfficeCalendar:
    """Open time is office hours on working days that are not holidays or closed dates."""

    hours: dict[int, tuple[time, time]]
    zone: ZoneInfo
    closed: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.hours and day not in self.closed and day not in _holidays(day.year)

    def opening_hours(self, day: date) -> tuple[datetime, datetime] | None:
        """The day's opening and closing, in UTC; None on a closed day."""
        if not self.is_working_day(day):
            return None
        opens, closes = self.hours[day.weekday()]
        return (
            datetime.combine(day, opens, self.zone).astimezone(UTC),
            datetime.combine(day, closes, self.zone).astimezone(UTC),
        )

    def add(self, start: datetime, seconds: float) -> datetime:
        left = max(0.0, seconds)
        moment = start.astimezone(UTC)
        day = moment.astimezone(self.zone).date()
        for _ in range(_MAX_DAYS):
            span = self.opening_hours(day)
            if span is not None and moment < span[1]:
                moment = max(moment, span[0])
                available = (span[1] - moment).total_seconds()
                if left <= available:
                    return moment + timedelta(seconds=left)
                left -= available
            day += timedelta(days=1)
        raise ConfigError(f"the office calendar has no open time in {_MAX_DAYS} days")

    def open_seconds(self, start: datetime, end: datetime) -> float:
        if end <= start:
            return 0.0
        total = 0.0
        day = start.astimezone(self.zone).date()
        last = end.astimezone(self.zone).date()
        while day <= last:
            span = self.opening_hours(day)
            if span is not None:
                overlap = (min(end, span[1]) - max(start, span[0])).total_seconds()
                total += max(0.0, overlap)
            day += timedelta(days=1)
        return total

    def is_open(self, moment: datetime) -> bool:
        span = self.opening_hours(moment.astimezone(self.zone).date())
        return span is not None and span[0] <= moment < span[1]

    def next_opening(self, moment: datetime) -> datetime:
        """When the clock starts for something arriving at `moment` (itself, if open)."""
        return self.add(moment, 0)


@functools.cache
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("ID", years=year))


def office_zone(settings: Settings) -> ZoneInfo:
    """The office's time zone (`BAMSOS_TIMEZONE`); ConfigError if no such zone is known."""
    try:
        return ZoneInfo(settings.timezone)
    except (KeyError, ValueError) as e:
        raise ConfigError(f"unknown time zone '{settings.timezone}'") from e


def make_calendar(settings: Settings) -> Calendar:
    if settings.calendar == "24x7":
        return AlwaysOpen()
    zone = office_zone(settings)
    return OfficeCalendar(parse_hours(settings.office_hours), zone, frozenset(settings.closed_dates))


def make_clock(settings: Settings) -> SopClock:
    clock = SopClock(settings.time_scale, make_calendar(settings), zone=office_zone(settings))
    frozen = settings.frozen_now
    if frozen is not None:  # the test and demo knob BAMSOS_FROZEN_NOW: the clock stands still
        return replace(clock, now=lambda: frozen)
    return clock
