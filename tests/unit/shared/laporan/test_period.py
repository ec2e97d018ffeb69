"""The laporan's period and how it writes dates and numbers in Bahasa Indonesia."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from shared.laporan.bahasa import SERVICES, count_text, decimal_text, label, path_label, percent_text
from shared.laporan.period import Period, date_text, moment_text, office_day, time_text

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")


def test_a_month_runs_from_its_first_to_its_last_day() -> None:
    assert Period.month("2026-11", WIB) == Period(date(2026, 11, 1), date(2026, 11, 30), WIB)
    assert Period.month("2028-02", WIB).last == date(2028, 2, 29), "a leap year"
    assert Period.month("2026-12", WIB).last == date(2026, 12, 31)
    assert len(Period.month("2026-11", WIB).days) == 30


def test_a_period_starts_and_ends_at_midnight_wib() -> None:
    period = Period(date(2026, 11, 2), date(2026, 11, 3), WIB)
    assert period.start == datetime(2026, 11, 1, 17, 0, tzinfo=UTC)
    assert period.end == datetime(2026, 11, 3, 17, 0, tzinfo=UTC)
    assert office_day(datetime(2026, 11, 1, 17, 0, tzinfo=UTC), WIB) == date(2026, 11, 2)
    assert period.zone_label == "WIB"


def test_an_office_in_another_zone_has_its_own_midnights() -> None:
    period = Period(date(2026, 11, 2), date(2026, 11, 3), WITA)
    assert period.start == datetime(2026, 11, 1, 16, 0, tzinfo=UTC)
    assert period.end == datetime(2026, 11, 3, 16, 0, tzinfo=UTC)
    assert office_day(datetime(2026, 11, 1, 16, 30, tzinfo=UTC), WITA) == date(2026, 11, 2)
    assert period.zone_label == "WITA"


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError):
        Period(date(2026, 11, 3), date(2026, 11, 2), WIB)


@pytest.mark.parametrize(
    ("period", "text"),
    [
        (Period.month("2026-11", WIB), "Bulan November 2026"),
        (Period.day(date(2026, 11, 2), WIB), "2 November 2026"),
        (Period(date(2026, 11, 2), date(2026, 11, 15), WIB), "2 s.d. 15 November 2026"),
        (Period(date(2026, 10, 28), date(2026, 11, 3), WIB), "28 Oktober s.d. 3 November 2026"),
        (Period(date(2026, 12, 30), date(2027, 1, 2), WIB), "30 Desember 2026 s.d. 2 Januari 2027"),
    ],
)
def test_the_period_reads_as_an_indonesian_letter_writes_it(period: Period, text: str) -> None:
    assert period.text() == text


def test_dates_and_times_are_written_in_wib() -> None:
    moment = datetime(2026, 11, 30, 23, 15, tzinfo=UTC)
    assert (date_text(office_day(moment, WIB)), time_text(moment, WIB)) == ("1 Desember 2026", "06.15")
    assert moment_text(moment, WIB) == "1 Desember 2026 pukul 06.15 WIB"
    assert moment_text(moment, WITA) == "1 Desember 2026 pukul 07.15 WITA"


def test_numbers_group_thousands_with_a_dot_and_decimals_with_a_comma() -> None:
    assert count_text(1234567) == "1.234.567"
    assert decimal_text(1234.25, 1) == "1.234,2"
    assert decimal_text(None) == "\u2013"
    assert percent_text(0.935) == "93,5%"
    assert percent_text(None) == "\u2013", "no steps is not 0%"


def test_codes_read_as_indonesian_names() -> None:
    assert label(SERVICES, "kia") == "Kartu Identitas Anak"
    assert label(SERVICES, None) == "Belum diklasifikasi"
    assert label(SERVICES, "baru") == "baru"
    assert (path_label("3-4"), path_label(None)) == ("Langkah 3 lalu 4", "Belum selesai")
