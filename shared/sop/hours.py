"""Office hours as an office writes them, and its time zone.

`mon-thu 07:30-12:00,13:00-16:00; fri 07:30-11:30,13:30-16:30`: parts separated by `;`, each a
weekday or a range of weekdays and one or more opening periods separated by `,`, so the lunch break
and Friday prayer are not office time. A part with one period (`mon-thu 07:30-16:00`) is today's
format and reads as before; a later part for the same day replaces an earlier one.
"""

from __future__ import annotations

import re
from datetime import time
from itertools import pairwise
from zoneinfo import ZoneInfo

from shared.runtime.errors import ConfigError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Indonesian civil service hours, five-day week: Monday-Thursday 07:30-16:00, Friday 07:30-16:30.
DEFAULT_HOURS = "mon-thu 07:30-16:00; fri 07:30-16:30"
# Indonesia's three time zones by the names offices use, and the IANA zone each stands for.
ZONES = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}

Period = tuple[time, time]
WeekHours = dict[int, tuple[Period, ...]]

_PART = re.compile(r"^(\w{3})(?:\s*-\s*(\w{3}))?\s+(\S.*)$")
_PERIOD = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


def parse_hours(text: str) -> WeekHours:
    """`"mon-thu 07:30-12:00,13:00-16:00; fri 07:30-16:30"` -> {weekday: ((open, close), ...)};
    ConfigError saying which part is wrong and how to write it."""
    hours: WeekHours = {}
    for part in filter(str.strip, text.split(";")):
        first, last, periods = _read_part(part.strip())
        for day in range(first, last + 1):
            hours[day] = periods
    if not hours:
        raise ConfigError("office hours: no working day given")
    return hours


def _read_part(part: str) -> tuple[int, int, tuple[Period, ...]]:
    m = _PART.match(part.lower())
    if not m or m.group(1) not in DAYS or (m.group(2) and m.group(2) not in DAYS):
        raise ConfigError(f"office hours: cannot read '{part}'; write e.g. '{DEFAULT_HOURS}'")
    first = DAYS.index(m.group(1))
    last = DAYS.index(m.group(2)) if m.group(2) else first
    if last < first:
        raise ConfigError(f"office hours: '{part}' ends its days before it starts them")
    periods = tuple(_read_period(part, p.strip()) for p in m.group(3).split(","))
    for (_, closes), (opens, _) in pairwise(periods):
        if opens < closes:
            raise ConfigError(f"office hours: '{part}' has periods out of order or overlapping")
    return first, last, periods


def _read_period(part: str, text: str) -> Period:
    m = _PERIOD.match(text)
    if not m:
        raise ConfigError(f"office hours: cannot read '{part}'; write e.g. '{DEFAULT_HOURS}'")
    try:
        opens, closes = time(int(m.group(1)), int(m.group(2))), time(int(m.group(3)), int(m.group(4)))
    except ValueError:
        raise ConfigError(f"office hours: '{part}' is not a time of day") from None
    if closes <= opens:
        raise ConfigError(f"office hours: '{part}' closes before it opens")
    return opens, closes


def zone_named(name: str) -> ZoneInfo:
    """`WIB`, `WITA`, `WIT` or an IANA name (`Asia/Makassar`); ConfigError if no such zone is known."""
    try:
        return ZoneInfo(ZONES.get(name.upper(), name))
    except (KeyError, ValueError) as e:
        raise ConfigError(f"unknown time zone '{name}'") from e
