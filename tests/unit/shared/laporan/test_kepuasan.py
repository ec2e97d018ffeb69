"""The laporan's satisfaction survey (SKM) and the register's ticket and rating say what the cases
hold: every figure is worked out by hand from the rows (`feed.survey_figures`) and found in the PDF
and the XLSX."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from shared.laporan import Period
from shared.laporan.bahasa import CHANNELS, DASH, SERVICES, count_text, decimal_text, percent_text
from shared.runtime.storage import inquiries
from tests.unit.shared.laporan.feed import (
    PERIOD,
    WIB,
    Ratings,
    Step,
    SurveyFigures,
    add_case,
    fed_database,
    survey_figures,
    wib,
)
from tests.unit.shared.laporan.test_laporan import csv_rows, labelled, pdf_text, sheet_rows, write

pytestmark = pytest.mark.integration

NO_RATINGS = "Belum ada penilaian kepuasan pada periode ini."
GRADE_WORDS = {"A": "Sangat Baik", "B": "Baik", "C": "Kurang Baik", "D": "Tidak Baik"}
# The survey's own words, PermenPANRB 14/2017's, and those of the old 1-5 survey.
SCORE_WORDS = {1: "Tidak baik", 2: "Kurang baik", 3: "Baik", 4: "Sangat baik"}
OLD_WORDS = {1: "Tidak baik", 2: "Kurang baik", 3: "Cukup", 4: "Baik", 5: "Sangat baik"}
HOLDERS = {"admin": "Admin/Petugas BAMSOS", "kasi": "Kepala Seksi", "kabid": "Kepala Bidang"}
# 3 November alone: case c surveyed and not rated, case d still open.
UNRATED = Period(date(2026, 11, 3), date(2026, 11, 3), WIB)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = fed_database(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def survey(engine: Engine) -> SurveyFigures:
    return survey_figures(engine)


def grade(r: Ratings) -> str:
    assert r.grade is not None
    return f"{r.grade} ({GRADE_WORDS[r.grade]})"


def scored(r: Ratings) -> str:
    """A row's figures as the PDF prints them: responses, mean, index."""
    return f"{count_text(r.responses)} {decimal_text(r.mean, 2)} {decimal_text(r.index, 2)}"


def test_the_feed_s_ratings_are_what_the_tests_believe(survey: SurveyFigures) -> None:
    """Three answers of four surveys in the period, one on the old 1-5 scale; the two ratings of 1
    outside it do not count. Sangat baik (old 5, new 4) is 4 points, kurang baik 2: 10/3 x 25."""
    s = survey.overall
    assert (s.surveys_sent, sorted(s.rated)) == (4, [(2, 4), (4, 4), (5, 5)])
    assert s.mean == pytest.approx(10 / 3) and s.index == pytest.approx(83.33, abs=0.01) and s.grade == "B"
    assert {k: r.rated for k, r in survey.by_officer.items()} == {
        ("Sari", "admin"): [(5, 5)],
        ("Rina", "kabid"): [(4, 4)],  # the last step before the reply, not Budi's step 3 before it
        ("Budi", "kasi"): [(2, 4)],
    }
    assert {k: r.rated for k, r in survey.by_channel.items()} == {
        "whatsapp": [(5, 5), (2, 4)],
        "instagram": [(4, 4)],
    }


def test_the_pdf_s_satisfaction_section_is_the_cases_ratings(
    engine: Engine, survey: SurveyFigures, tmp_path: Path
) -> None:
    text = pdf_text(write(engine, "pdf", tmp_path / "laporan.pdf"))
    start = text.index("E. KEPUASAN MASYARAKAT TERHADAP PELAYANAN")
    assert text.index("D. KEPATUHAN MENURUT PELAKSANA") < start < text.index("F. GRAFIK HARIAN")
    section = text[start : text.index("F. GRAFIK HARIAN")]
    s = survey.overall
    rate = percent_text(s.responses / s.surveys_sent)
    assert (
        f"Dari {s.surveys_sent} survei kepuasan yang dikirim setelah jawaban diterima, {s.responses} "
        f"dijawab ({rate}). Nilai rata-rata {decimal_text(s.mean, 2)} dari 4, atau Indeks Kepuasan "
        f"Masyarakat {decimal_text(s.index, 2)}: mutu pelayanan {grade(s)}."
    ) in section
    assert (
        f"Survei kepuasan terkirim {s.surveys_sent} Penilaian diterima {s.responses} Tingkat tanggapan "
        f"{rate} Nilai rata-rata (1{DASH}4) {decimal_text(s.mean, 2)} Indeks Kepuasan Masyarakat "
        f"(25{DASH}100) {decimal_text(s.index, 2)} Mutu pelayanan {grade(s)}"
    ) in section
    for score, words in SCORE_WORDS.items():
        n = s.scores.count(score)
        assert f"{score} {words} {n} {percent_text(n / s.responses)}" in section, f"score {score}"
    for score, words in OLD_WORDS.items():
        n = s.legacy.count(score)
        assert f"{score} {words} (skala lama 1{DASH}5) {n} {percent_text(n / s.responses)}" in section, score
    assert f"Jumlah {s.responses} 100,0%" in section
    assert (
        "1 penilaian pada periode ini menjawab survei lama berskala 1\u20135. Nilainya tetap tersimpan apa "
        "adanya dan dihitung pada skala 1\u20134 menurut katanya: 1 (tidak baik) menjadi 1, 2 (kurang baik) "
        "menjadi 2, 3 (cukup) menjadi 2,5, 4 (baik) menjadi 3, 5 (sangat baik) menjadi 4"
    ) in section
    for channel, r in survey.by_channel.items():
        assert f"{CHANNELS[channel]} {scored(r)} {r.grade}" in section, channel
    for service, r in survey.by_service.items():
        assert service is not None
        assert f"{SERVICES[service]} {scored(r)} {r.grade}" in section, service
    for (officer, role), r in survey.by_officer.items():
        assert role is not None
        assert f"{officer} {HOLDERS[role]} {scored(r)} {grade(r)}" in section, officer
    assert "1 tidak baik, 2 kurang baik, 3 baik, 4 sangat baik" in section and "dikali 25" in section, (
        "the scale, stated"
    )
    assert (
        "Nomor 14 Tahun 2017 tentang Pedoman Penyusunan Survei Kepuasan Masyarakat Unit Penyelenggara "
        "Pelayanan Publik" in section
    )


def test_the_xlsx_s_satisfaction_sheet_is_the_cases_ratings(
    engine: Engine, survey: SurveyFigures, tmp_path: Path
) -> None:
    path = write(engine, "xlsx", tmp_path / "laporan.xlsx")
    rows = sheet_rows(path, "Kepuasan")
    s = survey.overall
    assert labelled(rows, "Survei kepuasan terkirim")[1] == s.surveys_sent
    assert labelled(rows, "Penilaian diterima")[1] == s.responses
    assert labelled(rows, "Tingkat tanggapan")[1] == pytest.approx(s.responses / s.surveys_sent)
    assert labelled(rows, "Nilai rata-rata (1-4)")[1] == pytest.approx(s.mean)
    assert labelled(rows, "Indeks Kepuasan Masyarakat (25-100)")[1] == pytest.approx(s.index)
    assert labelled(rows, "Mutu pelayanan")[1] == grade(s)
    spread = {r[0]: r[1:4] for r in rows if isinstance(r[0], int)}
    assert spread == {
        score: (words, s.scores.count(score), pytest.approx(s.scores.count(score) / s.responses))
        for score, words in SCORE_WORDS.items()
    }
    old = {r[0]: r[1:4] for r in rows if isinstance(r[0], str) and r[0].endswith("(1-5)")}
    assert old == {
        f"{score} (1-5)": (
            f"{words} (skala lama)",
            s.legacy.count(score),
            pytest.approx(s.legacy.count(score) / 3),
        )
        for score, words in OLD_WORDS.items()
    }
    assert any(
        isinstance(r[0], str) and r[0].startswith("1 penilaian pada periode ini menjawab survei lama")
        for r in rows
    )

    def table(title: str) -> list[tuple[Any, ...]]:
        """The rows under a table's header, to the blank row that ends it."""
        start = next(n for n, r in enumerate(rows) if r[0] == title) + 1
        end = next((n for n in range(start, len(rows)) if rows[n][0] is None), len(rows))
        return rows[start:end]

    def figures(r: Ratings) -> tuple[Any, ...]:
        return (r.responses, pytest.approx(r.mean), pytest.approx(r.index), grade(r))

    assert {row[0]: row[1:5] for row in table("Kanal media sosial")} == {
        CHANNELS[channel]: figures(r) for channel, r in survey.by_channel.items()
    }
    assert {row[0]: row[1:5] for row in table("Jenis layanan")} == {
        SERVICES[str(service)]: figures(r) for service, r in survey.by_service.items()
    }
    assert {row[:2]: row[2:6] for row in table("Petugas")} == {
        (officer, HOLDERS[str(role)]): figures(r) for (officer, role), r in survey.by_officer.items()
    }


def test_the_register_has_each_case_s_ticket_and_rating_masked_or_not(engine: Engine, tmp_path: Path) -> None:
    with engine.connect() as db:
        held = {row.inquiry_id: (row.ticket, row.rating) for row in db.execute(sa.select(inquiries))}
    for mask in (False, True):
        rows = csv_rows(write(engine, "csv", tmp_path / "laporan.csv", mask=mask))
        found = {r["id_kasus"]: (r["tiket"], r["nilai_kepuasan"]) for r in rows}
        assert found == {
            case: (ticket, "" if rating is None else str(rating))
            for case, (ticket, rating) in held.items()
            if case in found
        }
        assert len(found) == 5 and found["case-a"] == ("BMS-261102-0002", "5")
        header, *register = sheet_rows(
            write(engine, "xlsx", tmp_path / "laporan.xlsx", mask=mask), "Register"
        )
        ticket, rating = header.index("Nomor tiket"), header.index("Nilai kepuasan (1-4; survei lama 1-5)")
        assert {r[1]: (r[ticket], r[rating]) for r in register} == {case: held[case] for case in found}


@pytest.mark.parametrize("fmt", ["pdf", "xlsx"])
def test_a_period_without_ratings_says_so(engine: Engine, tmp_path: Path, fmt: str) -> None:
    assert survey_figures(engine, UNRATED).overall.scores == []
    path = write(engine, "pdf" if fmt == "pdf" else "xlsx", tmp_path / f"laporan.{fmt}", period=UNRATED)
    if fmt == "pdf":
        text = pdf_text(path)
        section = text[text.index("E. KEPUASAN MASYARAKAT") : text.index("F. GRAFIK HARIAN")]
        assert (
            f"Survei kepuasan telah dikirim kepada 1 pemohon setelah jawaban diterima. {NO_RATINGS}"
            in section
        )
        assert "Indeks" not in section and "Mutu" not in section
    else:
        rows = sheet_rows(path, "Kepuasan")
        assert labelled(rows, "Survei kepuasan terkirim")[1] == 1
        assert labelled(rows, "Penilaian diterima")[1] == 0
        assert (NO_RATINGS,) in [r[:1] for r in rows]
        assert not any(r[0] == "Mutu pelayanan" for r in rows)


def test_a_period_without_inquiries_has_no_ratings_either(engine: Engine, tmp_path: Path) -> None:
    quiet = Period.month("2026-07", PERIOD.zone)
    rows = sheet_rows(write(engine, "xlsx", tmp_path / "kosong.xlsx", period=quiet), "Kepuasan")
    assert labelled(rows, "Survei kepuasan terkirim")[1] == 0
    assert (NO_RATINGS,) in [r[:1] for r in rows]


def test_the_officer_who_answered_is_the_holder_of_the_last_step_before_the_reply(
    engine: Engine, tmp_path: Path
) -> None:
    """A case answered by a step nobody signed counts under its role, without an officer."""
    with engine.begin() as db:
        add_case(
            db,
            "case-unsigned",
            wib(3, 14, 0),
            [Step(1, "admin", 1.0), Step(2, "admin", 0.5), Step(3, "admin", 2.0), Step(8, "pemohon", 1.0)],
            path="3",
            ticket="BMS-261103-0003",
            rating=3,
        )
    survey = survey_figures(engine)
    assert survey.by_officer[(None, "admin")].rated == [(3, 4)]
    rows = sheet_rows(write(engine, "xlsx", tmp_path / "laporan.xlsx"), "Kepuasan")
    assert labelled(rows, "Tanpa paraf petugas")[1:4] == ("Admin/Petugas BAMSOS", 1, 3.0)
    text = pdf_text(write(engine, "pdf", tmp_path / "laporan.pdf"))
    assert "Tanpa paraf petugas Admin/Petugas BAMSOS 1 3,00 75,00 C (Kurang Baik)" in text
    assert labelled(rows, "Penilaian diterima")[1] == survey.overall.responses == 4
