"""The laporan's period: whole office days in WIB (Asia/Jakarta), as staff and the head read them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")
WIB_NAME = "Asia/Jakarta"  # the same zone, as PostgreSQL names it

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


def office_day(moment: datetime) -> date:
    return moment.astimezone(WIB).date()


def date_text(day: date) -> str:
    """A date as Indonesian letters write it: "1 Desember 2026"."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def time_text(moment: datetime) -> str:
    """A time of day in WIB as Indonesian letters write it: "08.15"."""
    return moment.astimezone(WIB).strftime("%H.%M")


@dataclass(frozen=True)
class Period:
    """From the first to the last office day, both included."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"the period ends ({self.last}) before it starts ({self.first})")

    @classmethod
    def month(cls, text: str) -> Period:
        """The calendar month written "YYYY-MM", e.g. "2026-11"."""
        return cls.month_of(datetime.strptime(text, "%Y-%m").date())

    @classmethod
    def month_of(cls, day: date) -> Period:
        """The calendar month `day` falls in."""
        first = day.replace(day=1)
        following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        return cls(first, following - timedelta(days=1))

    @classmethod
    def day(cls, day: date) -> Period:
        return cls(day, day)

    @property
    def start(self) -> datetime:
        """The first instant of the period (midnight WIB), in UTC."""
        return datetime.combine(self.first, time(), WIB).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The first instant after the period, in UTC."""
        return datetime.combine(self.last + timedelta(days=1), time(), WIB).astimezone(UTC)

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    @property
    def is_month(self) -> bool:
        return self == Period.month_of(self.first)

    def text(self) -> str:
        """How the laporan names its period: "Bulan November 2026", "1 s.d. 15 November 2026"."""
        if self.is_month:
            return f"Bulan {MONTHS[self.first.month - 1]} {self.first.year}"
        if self.first == self.last:
            return date_text(self.first)
        if (self.first.year, self.first.month) == (self.last.year, self.last.month):
            return f"{self.first.day} s.d. {date_text(self.last)}"
        if self.first.year == self.last.year:
            return f"{self.first.day} {MONTHS[self.first.month - 1]} s.d. {date_text(self.last)}"
        return f"{date_text(self.first)} s.d. {date_text(self.last)}"
