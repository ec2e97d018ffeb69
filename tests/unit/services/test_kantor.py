"""`bamsos kantor daftar|periksa`: what an operator sees of the offices configured."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from services.cli import main

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "offices" / "pekanbaru.yaml"


def test_without_office_files_the_one_office_from_the_settings_is_listed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("BAMSOS_OFFICES_DIR", raising=False)
    monkeypatch.setenv("BAMSOS_OFFICE_HOURS", "mon-thu 07:30-12:00,13:00-16:00; fri 07:30-16:30")
    shown = CliRunner().invoke(main, ["kantor", "daftar"])
    assert shown.exit_code == 0, shown.output
    assert "utama\tDinas Kependudukan dan Pencatatan Sipil Kota Pekanbaru" in shown.output
    assert "pengaturan BAMSOS_*" in shown.output
    assert "jam kerja    mon 07:30-12:00,13:00-16:00; tue" in shown.output
    assert CliRunner().invoke(main, ["kantor", "periksa"]).output == "1 kantor baik: utama\n"


def test_office_files_are_listed_with_their_hours_zone_and_accounts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(EXAMPLE, tmp_path / "pekanbaru.yaml")
    monkeypatch.setenv("BAMSOS_OFFICES_DIR", str(tmp_path))
    shown = CliRunner().invoke(main, ["kantor", "daftar"])
    assert shown.exit_code == 0, shown.output
    assert "fri 07:30-11:30,13:30-16:30" in shown.output
    assert "zona waktu   Asia/Jakarta" in shown.output
    assert "telegram_bot=@disdukcapil_pku_bot" in shown.output


def test_periksa_fails_naming_the_file_and_field(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace("zona_waktu: WIB", "zona_waktu: WITB")
    (tmp_path / "pekanbaru.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "siak.yaml").write_text(
        EXAMPLE.read_text(encoding="utf-8")
        .replace("awalan_tiket: BMS", "awalan_tiket: SIK")
        .replace("kanal:", "kanal_lama:"),
        encoding="utf-8",
    )
    monkeypatch.setenv("BAMSOS_OFFICES_DIR", str(tmp_path))
    checked = CliRunner().invoke(main, ["kantor", "periksa"])
    assert checked.exit_code == 1
    assert f"{tmp_path / 'pekanbaru.yaml'}: zona_waktu: unknown time zone 'WITB'" in checked.output
    assert f"{tmp_path / 'siak.yaml'}: kanal_lama: Extra inputs are not permitted" in checked.output


def test_periksa_checks_the_answer_templates_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "# templat_jawaban: answers.yaml", "templat_jawaban: jawaban.yaml"
    )
    folder = tmp_path / "pekanbaru"  # an office's own files sit in its folder, beside kantor.yaml
    folder.mkdir()
    (folder / "kantor.yaml").write_text(text, encoding="utf-8")
    (folder / "jawaban.yaml").write_text("umum:\n  - judul: Salam\n", encoding="utf-8")
    monkeypatch.setenv("BAMSOS_OFFICES_DIR", str(tmp_path))
    checked = CliRunner().invoke(main, ["kantor", "periksa"])
    assert checked.exit_code == 1
    assert f"{folder / 'kantor.yaml'}: templat_jawaban: answer templates" in checked.output
    assert "umum.0.dasar" in checked.output
