"""Dates and times as Indonesian letters write them, for citizens and staff alike:
"30 November 2026", "09.00", "30 November 2026 pukul 09.00 WIB"."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


def date_text(day: date) -> str:
    """A date as Indonesian letters write it: "1 Desember 2026"."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def time_text(moment: datetime, zone: ZoneInfo) -> str:
    """A time of day in `zone` as Indonesian letters write it: "08.15"."""
    return moment.astimezone(zone).strftime("%H.%M")


def moment_text(moment: datetime, zone: ZoneInfo) -> str:
    """A date and time in `zone`: "4 November 2026 pukul 08.00 WIB"."""
    local = moment.astimezone(zone)
    return f"{date_text(local.date())} pukul {time_text(local, zone)} {local.strftime('%Z')}"
