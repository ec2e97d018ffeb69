"""The office calendar: the SOP's standards count in office hours on working days only.

A case that arrives at night, on a weekend, on a public holiday or in a break (lunch, Friday
prayer) starts counting at the next opening, so it is due the next working morning or after the
break. Indonesian public holidays come from the `holidays` library (country ID); an office adds its
own closed days (cuti bersama). Times are taken and given in UTC; the hours are read in the office's
time zone. The hours, zone and closed days are the office's (shared/sop/office.py).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays

from shared.runtime.errors import ConfigError
from shared.runtime.settings import Settings
from shared.sop.clock import AlwaysOpen, Calendar, SopClock
from shared.sop.hours import WeekHours
from shared.sop.office import Office
from shared.sop.offices import the_office

_MAX_DAYS = 800  # no office is closed longer; bounds every loop below


@dataclass(frozen=True)
class OfficeCalendar:
    """Open time is the office's opening periods on working days that are not holidays or closed dates."""

    hours: WeekHours
    zone: ZoneInfo
    closed: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.hours and day not in self.closed and day not in _holidays(day.year)

    def periods(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's opening periods (opening, closing), in UTC, in order; none on a closed day."""
        if not self.is_working_day(day):
            return []
        return [
            (
                datetime.combine(day, opens, self.zone).astimezone(UTC),
                datetime.combine(day, closes, self.zone).astimezone(UTC),
            )
            for opens, closes in self.hours[day.weekday()]
        ]

    def add(self, start: datetime, seconds: float) -> datetime:
        left = max(0.0, seconds)
        moment = start.astimezone(UTC)
        day = moment.astimezone(self.zone).date()
        for _ in range(_MAX_DAYS):
            for opens, closes in self.periods(day):
                if moment < closes:
                    moment = max(moment, opens)
                    available = (closes - moment).total_seconds()
                    if left <= available:
                        return moment + timedelta(seconds=left)
                    left -= available
                    moment = closes
            day += timedelta(days=1)
        raise ConfigError(f"the office calendar has no open time in {_MAX_DAYS} days")

    def open_seconds(self, start: datetime, end: datetime) -> float:
        if end <= start:
            return 0.0
        total = 0.0
        day = start.astimezone(self.zone).date()
        last = end.astimezone(self.zone).date()
        while day <= last:
            for opens, closes in self.periods(day):
                total += max(0.0, (min(end, closes) - max(start, opens)).total_seconds())
            day += timedelta(days=1)
        return total

    def is_open(self, moment: datetime) -> bool:
        day = moment.astimezone(self.zone).date()
        return any(opens <= moment < closes for opens, closes in self.periods(day))

    def next_opening(self, moment: datetime) -> datetime:
        """When the clock starts for something arriving at `moment` (itself, if open)."""
        return self.add(moment, 0)


@functools.cache
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("ID", years=year))


def office_zone(settings: Settings) -> ZoneInfo:
    """The office's time zone (`BAMSOS_TIMEZONE`, or its file's); ConfigError if no such zone is known."""
    return the_office(settings).zone


def make_calendar(settings: Settings, office: Office | None = None) -> Calendar:
    """The office's calendar, or every second counting with `BAMSOS_CALENDAR=24x7`."""
    office = office or the_office(settings)
    if settings.calendar == "24x7":
        return AlwaysOpen()
    return OfficeCalendar(office.hours, office.zone, office.closed)


def make_clock(settings: Settings, office: Office | None = None) -> SopClock:
    """The SOP clock of `office` (the one configured office if not given)."""
    office = office or the_office(settings)
    clock = SopClock(settings.time_scale, make_calendar(settings, office), zone=office.zone)
    frozen = settings.frozen_now
    if frozen is not None:  # the test and demo knob BAMSOS_FROZEN_NOW: the clock stands still
        return replace(clock, now=lambda: frozen)
    return clock
