"""The laporan of a known feed, in every format, says what the control card holds."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from sqlalchemy.engine import Engine

from shared.laporan import Format, Office, Period, write_laporan
from shared.laporan.bahasa import count_text, decimal_text, percent_text, step_label
from shared.laporan.csv_out import HEADER
from shared.laporan.figures import case_totals, same_moment, snapshot, step_tables
from shared.laporan.safe import FORMULA_STARTS
from shared.runtime.settings import Settings
from shared.runtime.storage import handovers
from shared.sop.rules import STANDARD_MINUTES
from tests.unit.shared.laporan.feed import (
    COMPILED_AT,
    HOSTILE_ACCOUNT,
    HOSTILE_NAME,
    HOSTILE_TEXT,
    PERIOD,
    CardFigures,
    Step,
    add_case,
    card_figures,
    fed_database,
    wib,
)

pytestmark = pytest.mark.integration

OFFICE = Office.from_settings(
    Settings(report_head_name="Dra. Contoh Kepala, M.Si", report_head_nip="19700101 199001 2 001")
)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = fed_database(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def card(engine: Engine) -> CardFigures:
    return card_figures(engine)


def write(engine: Engine, fmt: Format, out: Path, period: Period = PERIOD, mask: bool = False) -> Path:
    write_laporan(engine, period, fmt, out, office=OFFICE, mask=mask, now=COMPILED_AT)
    return out


def pdf_text(path: Path) -> str:
    """The PDF's text with all whitespace as single spaces: table cells follow each other in rows."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def sheet_rows(path: Path, sheet: str) -> list[tuple[Any, ...]]:
    return list(openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True))


def labelled(rows: list[tuple[Any, ...]], first_cell: str) -> tuple[Any, ...]:
    [row] = [r for r in rows if r and r[0] == first_cell]
    return row


def test_the_known_feed_is_what_the_tests_believe_it_is(card: CardFigures) -> None:
    """The cases one second outside the period, on either side of WIB midnight, are not in it."""
    assert (card.received, card.answered, card.open) == (5, 4, 1)
    assert card.delays == {
        "case-b": (4, "Rina (kabid)", 7.0),
        "case-c": (1, "admin", 1.0),
        "case-e": (8, "pemohon", 1.0),
    }
    assert card.steps[7].open == 1 and card.steps[6].within == 1, "exactly at the standard is within it"


def test_the_pdf_says_what_the_control_card_holds(engine: Engine, card: CardFigures, tmp_path: Path) -> None:
    text = pdf_text(write(engine, "pdf", tmp_path / "laporan.pdf"))
    assert "LAPORAN PELAYANAN INFORMASI MELALUI MEDIA SOSIAL" in text
    assert "Periode : 2 s.d. 3 November 2026" in text
    assert "Keadaan data : 4 November 2026 pukul 08.00 WIB" in text
    assert (
        f"Permohonan diterima {card.received} Permohonan dijawab {card.answered} "
        f"Permohonan masih terbuka {card.open}"
    ) in text
    assert f"Kasus melewati waktu baku {len(card.delays)}" in text
    for step, s in card.steps.items():
        share = percent_text(s.within / s.closed if s.closed else None)
        row = (
            f"{step_label(step)} {STANDARD_MINUTES[step]} {count_text(s.closed)} {count_text(s.within)} "
            f"{share} {decimal_text(s.median)} {decimal_text(s.p90)} {s.closed - s.within} {s.open}"
        )
        assert row in text, f"step {step}"
    assert "WhatsApp 2 2 0" in text and "X (Twitter) 1 0 1" in text
    assert "Jumlah 5 4 1" in text
    assert "Budi Kepala Seksi 2 1 50,0% 6,0 6,8 1 0" in text, "per officer"
    assert "Kepala Dinas Kependudukan dan Pencatatan Sipil Kota Pekanbaru" in text
    assert "Dra. Contoh Kepala, M.Si NIP. 19700101 199001 2 001" in text


def test_the_pdf_lists_each_breached_case_with_the_step_and_who_held_it(
    engine: Engine, card: CardFigures, tmp_path: Path
) -> None:
    text = pdf_text(write(engine, "pdf", tmp_path / "laporan.pdf"))
    lampiran = text[text.index("LAMPIRAN") :]
    case_b = "1 case-b 02/11/2026 09.30 4. Konsultasi kepala bidang"
    assert f"{case_b} Kepala Bidang Pelayanan Pencatatan Sipil Rina 7,0" in lampiran
    assert "case-c 03/11/2026 10.00 1. Pengajuan permohonan Admin/Petugas BAMSOS 1,0" in lampiran
    assert "case-e 02/11/2026 00.10 8. Jawaban kepada pemohon" in lampiran
    assert "case-a" not in lampiran and "case-d" not in lampiran
    assert "case-after" not in text and "case-before" not in text
    assert HOSTILE_ACCOUNT not in text, "no citizen's personal data in the signed document"


def test_the_xlsx_says_what_the_control_card_holds(engine: Engine, card: CardFigures, tmp_path: Path) -> None:
    path = write(engine, "xlsx", tmp_path / "laporan.xlsx")
    assert openpyxl.load_workbook(path).sheetnames == [
        "Ringkasan",
        "Kepatuhan SOP",
        "Kepuasan",
        "Harian",
        "Keterlambatan",
        "Register",
    ]
    summary = sheet_rows(path, "Ringkasan")
    assert labelled(summary, "Permohonan diterima")[1] == card.received
    assert labelled(summary, "Permohonan dijawab")[1] == card.answered
    assert labelled(summary, "Permohonan masih terbuka")[1] == card.open
    assert labelled(summary, "Kasus melewati waktu baku")[1] == len(card.delays)
    compliance = sheet_rows(path, "Kepatuhan SOP")
    for step, s in card.steps.items():
        row = labelled(compliance, step_label(step))
        assert row[1:5] == (
            STANDARD_MINUTES[step],
            s.closed,
            s.within,
            s.within / s.closed if s.closed else None,
        )
        assert row[5:7] == (pytest.approx(s.median), pytest.approx(s.p90))
        assert row[7:9] == (s.closed - s.within, s.open)
    daily = sheet_rows(path, "Harian")[1:]
    assert [(d[0].date(), d[1], d[2]) for d in daily] == [(PERIOD.first, 3, 3), (PERIOD.last, 2, 1)]
    header, *register = sheet_rows(path, "Register")
    assert len(register) == card.received
    status = header.index("Status")
    assert Counter(r[status] for r in register) == {"dijawab": card.answered, "terbuka": card.open}


def test_the_xlsx_lists_every_breached_case_with_the_step_and_officer(
    engine: Engine, card: CardFigures, tmp_path: Path
) -> None:
    path = write(engine, "xlsx", tmp_path / "laporan.xlsx")
    header, *rows = sheet_rows(path, "Keterlambatan")
    assert header[6:9] == ("Langkah keterlambatan", "Pelaksana", "Petugas")
    found = {r[1]: (r[6], r[7], r[8], r[10]) for r in rows}
    assert found == {
        "case-b": (step_label(4), "Kepala Bidang Pelayanan Pencatatan Sipil", "Rina", 7.0),
        "case-c": (step_label(1), "Admin/Petugas BAMSOS", None, 1.0),
        "case-e": (step_label(8), "Pemohon (penerimaan jawaban)", None, 1.0),
    }
    assert {case: step for case, (step, _, _) in card.delays.items()} == {
        case: int(s.split(".")[0]) for case, (s, *_) in found.items()
    }


def test_the_csv_register_has_one_row_per_case_and_the_card_s_delays(
    engine: Engine, card: CardFigures, tmp_path: Path
) -> None:
    rows = csv_rows(write(engine, "csv", tmp_path / "laporan.csv"))
    assert list(rows[0]) == list(HEADER)
    assert [r["id_kasus"] for r in rows] == ["case-e", "case-a", "case-b", "case-c", "case-d"], (
        "order received"
    )
    assert rows[0]["diterima_wib"] == "2026-11-02 00:10:00"
    assert Counter(r["status"] for r in rows) == {"dijawab": card.answered, "terbuka": card.open}
    assert Counter(r["kanal"] for r in rows) == {"whatsapp": 2, "instagram": 1, "facebook": 1, "x": 1}
    delays = {
        r["id_kasus"]: (
            int(r["langkah_keterlambatan"]),
            r["petugas_keterlambatan"],
            r["pelaksana_keterlambatan"],
        )
        for r in rows
        if r["langkah_keterlambatan"]
    }
    assert delays == {
        "case-b": (4, "Rina", "kabid"),
        "case-c": (1, "", "admin"),
        "case-e": (8, "", "pemohon"),
    }
    assert {r["id_kasus"]: float(r["lewat_menit"]) for r in rows if r["lewat_menit"]} == {
        case: over for case, (_, _, over) in card.delays.items()
    }
    assert rows[2]["jumlah_langkah_terlambat"] == "2", "case b ran over in steps 3 and 4"


def test_citizen_text_never_starts_a_formula_in_the_csv_or_the_xlsx(engine: Engine, tmp_path: Path) -> None:
    [case_d] = [
        r for r in csv_rows(write(engine, "csv", tmp_path / "laporan.csv")) if r["id_kasus"] == "case-d"
    ]
    assert (case_d["akun"], case_d["nama"], case_d["pertanyaan"]) == (
        "'" + HOSTILE_ACCOUNT,
        "'" + HOSTILE_NAME,
        "'" + HOSTILE_TEXT,
    )
    workbook = openpyxl.load_workbook(write(engine, "xlsx", tmp_path / "laporan.xlsx"))
    for sheet in workbook:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
                if isinstance(cell.value, str):
                    assert cell.value[:1] not in FORMULA_STARTS, f"{sheet.title}!{cell.coordinate}"


def test_masking_hides_the_citizens_identity_and_keeps_the_figures(engine: Engine, tmp_path: Path) -> None:
    rows = csv_rows(write(engine, "csv", tmp_path / "masked.csv", mask=True))
    [case_d] = [r for r in rows if r["id_kasus"] == "case-d"]
    assert "HYPERLINK" not in case_d["akun"] and "SUM" not in case_d["nama"]
    assert "1471012345678901" not in case_d["pertanyaan"] and "0812" not in case_d["pertanyaan"]
    assert "budi@contoh.id" not in case_d["pertanyaan"] and "NIK saya" in case_d["pertanyaan"]
    assert {r["akun"] for r in rows if r["id_kasus"] != "case-d"} == {"wa****"}
    assert {r["nama"] for r in rows if r["id_kasus"] != "case-d"} == {"W*** K***"}
    assert len(rows) == 5 and Counter(r["status"] for r in rows)["dijawab"] == 4
    register = sheet_rows(write(engine, "xlsx", tmp_path / "masked.xlsx", mask=True), "Register")
    assert not any("Warga Kota" in str(cell) for row in register for cell in row)


@pytest.mark.parametrize("fmt", ["pdf", "xlsx", "csv"])
def test_a_period_without_inquiries_gives_a_clean_report(engine: Engine, tmp_path: Path, fmt: Format) -> None:
    quiet = Period.month("2026-07", PERIOD.zone)
    path = write(engine, fmt, tmp_path / f"kosong.{fmt}", period=quiet)
    if fmt == "pdf":
        text = pdf_text(path)
        assert "Periode : Bulan Juli 2026" in text
        assert "Tidak ada permohonan yang diterima pada periode ini." in text
        assert "NIP. 19700101 199001 2 001" in text and "LAMPIRAN" not in text
    elif fmt == "xlsx":
        assert ("Tidak ada permohonan yang diterima pada periode ini.",) in [
            r[:1] for r in sheet_rows(path, "Ringkasan")
        ]
        assert len(sheet_rows(path, "Register")) == 1, "the header only"
        assert [r[1] for r in sheet_rows(path, "Harian")[1:]] == [0] * 31
    else:
        assert csv_rows(path) == [] and path.read_text(encoding="utf-8-sig").startswith("id_kasus,")


def test_a_step_still_open_past_its_standard_is_listed_with_its_time_past_due(
    engine: Engine, tmp_path: Path
) -> None:
    # A reply that never reached the citizen: step 8 breached and still open when the laporan is made.
    with engine.begin() as db:
        add_case(
            db,
            "case-open",
            wib(3, 15, 0),
            [Step(1, "admin", 0.5), Step(2, "admin", 0.0), Step(3, "admin", 2.0), Step(8, "pemohon", None)],
            path="3",
        )
        db.execute(
            sa.update(handovers)
            .where(handovers.c.inquiry_id == "case-open", handovers.c.step == 8)
            .values(breached=True)
        )
    for fmt in ("pdf", "csv"):
        write(engine, fmt, tmp_path / f"laporan.{fmt}")
    _header, *rows = sheet_rows(write(engine, "xlsx", tmp_path / "laporan.xlsx"), "Keterlambatan")
    [open_row] = [r for r in rows if r[1] == "case-open"]
    assert open_row[6] == step_label(8)
    assert open_row[10] > 60  # minutes past due by now: days have passed since 3 November


def test_the_second_connection_of_a_laporan_sees_the_same_moment(engine: Engine) -> None:
    """The steps' tables run on a second connection: it must not see a case the first one does not."""
    with snapshot(engine) as db:
        counted = case_totals(db, PERIOD)
        with engine.begin() as other:
            add_case(other, "case-meanwhile", wib(3, 11, 0), [Step(1, "admin", 0.5)])
        with same_moment(engine, db) as beside:
            assert case_totals(beside, PERIOD) == counted
            assert sum(s.timing.closed for s in step_tables(beside, PERIOD).steps if s.step == 1) == 5
    with snapshot(engine) as db:
        assert case_totals(db, PERIOD).received == counted.received + 1
