"""Office hours as offices write them: one period a day as before, or several around the breaks."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

import pytest

from shared.runtime.errors import ConfigError
from shared.runtime.settings import Settings
from shared.sop.hours import DEFAULT_HOURS, parse_hours, zone_named


def test_todays_format_still_reads_as_one_period_a_day() -> None:
    hours = parse_hours(DEFAULT_HOURS)
    assert hours == {d: ((time(7, 30), time(16)),) for d in range(4)} | {4: ((time(7, 30), time(16, 30)),)}
    assert parse_hours(Settings().office_hours) == hours


def test_hours_with_a_lunch_break_and_friday_prayer_read_as_periods() -> None:
    hours = parse_hours("mon-thu 07:30-12:00,13:00-16:00; fri 07:30-11:30, 13:30-16:30")
    assert hours[0] == hours[3] == ((time(7, 30), time(12)), (time(13), time(16)))
    assert hours[4] == ((time(7, 30), time(11, 30)), (time(13, 30), time(16, 30)))
    assert 5 not in hours and 6 not in hours


def test_a_later_part_replaces_an_earlier_one_for_the_same_day() -> None:
    assert parse_hours("mon-fri 08:00-15:00; fri 08:00-11:00")[4] == ((time(8), time(11)),)


@pytest.mark.parametrize(
    ("hours", "says"),
    [
        ("mon-thu 07:30-12:00,11:00-16:00", "out of order or overlapping"),
        ("mon-thu 13:00-16:00,07:30-12:00", "out of order or overlapping"),
        ("mon-thu 07:30-12:00,", "cannot read"),
        ("mon-thu 07:30-12:00,13:00-12:30", "closes before it opens"),
        ("fri-mon 07:30-16:00", "ends its days before it starts them"),
        ("mon 07:30-24:00", "not a time of day"),
        (" ; ", "no working day"),
    ],
)
def test_hours_that_cannot_work_are_refused_saying_why(hours: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        parse_hours(hours)


def test_indonesias_three_zones_are_known_by_their_names_and_iana_names_still_work() -> None:
    assert zone_named("WIB") == ZoneInfo("Asia/Jakarta")
    assert zone_named("wita") == ZoneInfo("Asia/Makassar")
    assert zone_named("WIT") == ZoneInfo("Asia/Jayapura")
    assert zone_named("Asia/Pontianak") == ZoneInfo("Asia/Pontianak")
    with pytest.raises(ConfigError, match="unknown time zone 'WITB'"):
        zone_named("WITB")
