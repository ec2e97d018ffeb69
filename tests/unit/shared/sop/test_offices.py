"""Offices as files: each checked with errors naming the file and the field, and a deployment
without office files keeps today's one office, built from today's settings."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from shared.laporan import Office as LaporanOffice
from shared.runtime.errors import ConfigError
from shared.runtime.settings import Settings
from shared.sop.citizen import DEFAULT_TEMPLATES
from shared.sop.hours import parse_hours
from shared.sop.office import DEFAULT_CODE, office_from_settings
from shared.sop.office_calendar import OfficeCalendar, make_clock
from shared.sop.offices import load_offices, the_office
from shared.sop.orgchart import load_chart

REPO = Path(__file__).resolve().parents[4]
EXAMPLE = REPO / "docs" / "offices"


def office(**changes: Any) -> dict[str, Any]:
    """The example office file as a mapping, with `changes` (None removes a field)."""
    spec: dict[str, Any] = yaml.safe_load((EXAMPLE / "pekanbaru.yaml").read_text(encoding="utf-8"))
    spec |= changes
    return {k: v for k, v in spec.items() if v is not None}


def write(directory: Path, name: str, spec: dict[str, Any]) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


def refused(directory: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_offices(directory)
    return str(caught.value)


def test_the_example_office_file_in_the_docs_is_valid() -> None:
    (pekanbaru,) = load_offices(EXAMPLE)
    assert pekanbaru.code == "pekanbaru"
    assert pekanbaru.name == "Dinas Kependudukan dan Pencatatan Sipil Kota Pekanbaru"
    assert pekanbaru.zone == ZoneInfo("Asia/Jakarta")
    assert pekanbaru.hours[4] == ((time(7, 30), time(11, 30)), (time(13, 30), time(16, 30)))
    assert pekanbaru.closed == {date(2026, 12, 24)}
    assert pekanbaru.channels.whatsapp_phone_number_id == "106540352242922"


def test_without_office_files_the_one_office_is_todays_settings() -> None:
    settings = Settings()
    one = the_office(settings)
    assert one == office_from_settings(settings)
    assert (one.code, one.source, one.ticket_prefix) == (DEFAULT_CODE, None, "BMS")
    assert one.chart == load_chart()
    assert one.hours == parse_hours(settings.office_hours)
    assert one.zone == ZoneInfo(settings.timezone)
    assert LaporanOffice.of(one) == LaporanOffice.from_settings(settings)
    assert LaporanOffice.of(one).government == settings.report_government


def test_todays_settings_still_shape_the_one_office() -> None:
    settings = Settings(
        timezone="Asia/Makassar",
        office_hours="mon-fri 08:00-12:00,13:00-15:00",
        closed_dates=[date(2026, 12, 24)],
        report_city="Makassar",
        whatsapp_phone_number_id="42",
    )
    one = the_office(settings)
    assert (one.zone.key, one.closed, one.letterhead.city) == (
        "Asia/Makassar",
        {date(2026, 12, 24)},
        "Makassar",
    )
    assert one.hours[4] == ((time(8), time(12)), (time(13), time(15)))
    assert one.channels.accounts() == {"whatsapp_phone_number_id": "42"}


def test_one_office_file_is_the_office_every_service_gets(tmp_path: Path) -> None:
    write(
        tmp_path,
        "makassar.yaml",
        office(nama="Disdukcapil Kota Makassar", zona_waktu="WITA", awalan_tiket="MKS"),
    )
    settings = Settings(offices_dir=tmp_path, office_hours="mon 01:00-02:00")  # the file wins
    makassar = the_office(settings)
    clock = make_clock(settings)
    assert (makassar.code, makassar.ticket_prefix, makassar.chart.kantor) == (
        "makassar",
        "MKS",
        "Disdukcapil Kota Makassar",
    )
    assert clock.zone == ZoneInfo("Asia/Makassar")
    assert isinstance(clock.calendar, OfficeCalendar) and clock.calendar.hours == makassar.hours


def test_an_office_in_a_folder_finds_its_chart_and_templates_beside_it(tmp_path: Path) -> None:
    folder = tmp_path / "dumai"
    folder.mkdir()
    (folder / "bagan.yaml").write_text(load_chart().model_dump_json(), encoding="utf-8")
    (folder / "pemberitahuan.yaml").write_text(
        DEFAULT_TEMPLATES.read_text(encoding="utf-8"), encoding="utf-8"
    )
    write(folder, "kantor.yaml", office(bagan="bagan.yaml", templat_pemberitahuan="pemberitahuan.yaml"))
    (dumai,) = load_offices(tmp_path)
    assert dumai.code == "dumai"
    assert dumai.notice_templates == folder / "pemberitahuan.yaml"
    assert dumai.chart.seksi == load_chart().seksi


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"alamat": "Jl. Jend. Sudirman"}, "alamat: Extra inputs are not permitted"),
        ({"kop": office()["kop"] | {"nomr_sop": "1"}}, "kop.nomr_sop: Extra inputs are not permitted"),
        ({"nama": None}, "nama: Field required"),
        ({"jam_kerja": "mon-thu 07:30-12:00,11:00-16:00"}, "jam_kerja: office hours: 'mon-thu"),
        ({"zona_waktu": "WITB"}, "zona_waktu: unknown time zone 'WITB'"),
        ({"awalan_tiket": "bms"}, "awalan_tiket: String should match pattern"),
        ({"tanggal_tutup": ["2026-02-30"]}, "tanggal_tutup.0: Input should be a valid date"),
        ({"kanal": {"whatsapp": "1"}}, "kanal.whatsapp: Extra inputs are not permitted"),
        ({"bagan": "bagan.yaml"}, "bagan: no such file"),
        ({"templat_jawaban": "/nowhere/answers.yaml"}, "templat_jawaban: no such file"),
    ],
)
def test_a_wrong_field_is_named_with_its_file(tmp_path: Path, changes: dict[str, Any], says: str) -> None:
    path = write(tmp_path, "pekanbaru.yaml", office(**changes))
    assert f"{path}: {says}" in refused(tmp_path)


def test_a_chart_that_is_not_valid_is_named_as_the_offices_bagan(tmp_path: Path) -> None:
    (tmp_path / "bagan.yaml").write_text("kantor: x\nbidang: {}\nseksi: {}\nlayanan: {}\n", encoding="utf-8")
    path = write(tmp_path / "siak", "kantor.yaml", office(bagan="../bagan.yaml"))
    says = refused(tmp_path)
    assert f"{path}: bagan: org chart" in says and "no seksi for the service codes" in says


def test_notice_templates_that_are_not_valid_are_named_as_the_offices(tmp_path: Path) -> None:
    (tmp_path / "siak").mkdir()
    (tmp_path / "siak" / "notices.yaml").write_text("acknowledgement: '{nik}'\n", encoding="utf-8")
    path = write(tmp_path / "siak", "kantor.yaml", office(templat_pemberitahuan="notices.yaml"))
    assert f"{path}: templat_pemberitahuan: notice templates" in refused(tmp_path)


def test_a_file_that_is_not_yaml_or_has_a_bad_code_is_named(tmp_path: Path) -> None:
    (tmp_path / "kampar.yaml").write_text("nama: [", encoding="utf-8")
    write(tmp_path, "Rokan-Hulu.yaml", office(awalan_tiket="RKH"))
    says = refused(tmp_path)
    assert f"{tmp_path / 'kampar.yaml'}: cannot read it" in says
    assert f"{tmp_path / 'Rokan-Hulu.yaml'}: the office code 'Rokan-Hulu'" in says


def test_two_offices_may_not_share_a_ticket_series_or_a_channel_account(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yaml", office())
    second = write(
        tmp_path, "b.yaml", office(kanal={"telegram_bot": "@lain_bot", "facebook_page": "100200300400500"})
    )
    says = refused(tmp_path)
    assert f"{first}: awalan_tiket: 'BMS' is also {second}'s" in says
    assert f"{first}: kanal.facebook_page: '100200300400500' is also {second}'s" in says
    assert "telegram_bot" not in says


def test_an_empty_or_missing_offices_directory_is_refused(tmp_path: Path) -> None:
    assert "no office file" in refused(tmp_path)
    assert "not a directory" in refused(tmp_path / "missing")


def test_several_offices_are_checked_but_not_yet_served(tmp_path: Path) -> None:
    write(tmp_path, "pekanbaru.yaml", office())
    write(tmp_path, "makassar.yaml", office(zona_waktu="WITA", awalan_tiket="MKS", kanal={}))
    assert [o.code for o in load_offices(tmp_path)] == ["makassar", "pekanbaru"]
    with pytest.raises(
        ConfigError, match=r"2 offices \(makassar, pekanbaru\); this version serves one office"
    ):
        the_office(Settings(offices_dir=tmp_path))
