"""The SOP clock: real time in UTC, with durations measured in SOP time on the office calendar.

`BAMSOS_TIME_SCALE=N` makes the SOP clock run N times faster, for demos and tests: a 5-minute
standard is due after 300/N seconds of open time, and a duration is recorded as open seconds * N,
so the standards, histogram buckets, breaches and reports keep their meaning. Open time is what
the calendar says counts: every second for `24x7`, office hours on working days for `office`.
The clock also knows the office's time zone (`BAMSOS_TIMEZONE`): the office day of an instant and
the wall-clock time staff read (`local`, `office_day`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from shared.runtime.settings import DEFAULT_TIMEZONE


class Calendar(Protocol):
    """Which time counts toward a standard."""

    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant at which `seconds` of open time have passed since `start`."""
        ...

    def open_seconds(self, start: datetime, end: datetime) -> float:
        """How many seconds of open time lie between `start` and `end` (0 if end <= start)."""
        ...


class AlwaysOpen:
    """The 24x7 calendar: every second counts."""

    def add(self, start: datetime, seconds: float) -> datetime:
        return start + timedelta(seconds=seconds)

    def open_seconds(self, start: datetime, end: datetime) -> float:
        return max(0.0, (end - start).total_seconds())


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _default_zone() -> ZoneInfo:
    return ZoneInfo(DEFAULT_TIMEZONE)


@dataclass(frozen=True)
class SopClock:
    time_scale: float = 1.0
    calendar: Calendar = field(default_factory=AlwaysOpen)
    now: Callable[[], datetime] = field(default=_utcnow)
    # The office's time zone: `make_clock` gives the settings' (`office_zone`); the default is theirs.
    zone: ZoneInfo = field(default_factory=_default_zone)

    def local(self, moment: datetime) -> datetime:
        """`moment` on the office's wall clock; `.strftime("%Z")` names the zone ("WIB")."""
        return moment.astimezone(self.zone)

    def office_day(self, moment: datetime) -> date:
        """The office's calendar day `moment` falls on."""
        return self.local(moment).date()

    def due_at(self, handed_at: datetime, standard_seconds: float) -> datetime:
        """When a step handed over at `handed_at` runs over its standard (real time)."""
        return self.calendar.add(handed_at, standard_seconds / self.time_scale)

    def sop_seconds(self, start: datetime, end: datetime) -> float:
        """How long from `start` to `end` took, in SOP seconds; never negative (clock skew)."""
        return self.calendar.open_seconds(start, end) * self.time_scale
