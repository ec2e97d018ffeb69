"""The laporan's period: whole office days in the office's time zone (`BAMSOS_TIMEZONE`, WIB by
default), as staff and the head read them. The zone travels with the period, so its bounds, its
days and the times the laporan prints are all read on the same clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.sop.dates import MONTHS, date_text, moment_text, time_text

__all__ = ["MONTHS", "Period", "date_text", "moment_text", "office_day", "time_text"]


def office_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


@dataclass(frozen=True)
class Period:
    """From the first to the last office day, both included, in the office's time zone."""

    first: date
    last: date
    zone: ZoneInfo

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"the period ends ({self.last}) before it starts ({self.first})")

    @classmethod
    def month(cls, text: str, zone: ZoneInfo) -> Period:
        """The calendar month written "YYYY-MM", e.g. "2026-11"."""
        return cls.month_of(datetime.strptime(text, "%Y-%m").date(), zone)

    @classmethod
    def month_of(cls, day: date, zone: ZoneInfo) -> Period:
        """The calendar month `day` falls in."""
        first = day.replace(day=1)
        following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        return cls(first, following - timedelta(days=1), zone)

    @classmethod
    def day(cls, day: date, zone: ZoneInfo) -> Period:
        return cls(day, day, zone)

    @property
    def start(self) -> datetime:
        """The first instant of the period (the office's midnight), in UTC."""
        return datetime.combine(self.first, time(), self.zone).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The first instant after the period, in UTC."""
        return datetime.combine(self.last + timedelta(days=1), time(), self.zone).astimezone(UTC)

    @property
    def zone_label(self) -> str:
        """The zone as staff name it, for headings: "WIB" for Asia/Jakarta, "WITA" for Asia/Makassar."""
        return self.start.astimezone(self.zone).strftime("%Z")

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    @property
    def is_month(self) -> bool:
        return self == Period.month_of(self.first, self.zone)

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
