"""A document's state by its registration number: finding the number in a citizen's text, the
office's CSV export imported (good rows, bad rows by line, BOM, again), and the registry reading it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared.runtime.storage import document_status
from shared.sop.classify import Classifier, load_rules
from shared.sop.contracts import Topic
from shared.sop.documents import (
    DocumentState,
    ExportError,
    ExportRegistry,
    import_export,
    read_export,
    registration_number,
    registration_numbers,
    standard_number,
    topic_by_status,
)

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
HEADER = "nomor_registrasi,status,jenis_dokumen\n"


def stored(db: Connection) -> dict[str, tuple[str, str, datetime]]:
    rows = db.execute(sa.select(document_status)).all()
    return {r.number: (r.status, r.document, r.updated_at) for r in rows}


class Registry:
    """A registry that knows what a test tells it."""

    def __init__(self, known: dict[str, DocumentState]) -> None:
        self.known = known
        self.asked: list[str] = []

    def status(self, number: str) -> DocumentState | None:
        self.asked.append(number)
        return self.known.get(number)


# --- the number in a citizen's text -----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "nomor registrasi 1471-2026-000123",
        "no reg 1471.2026.000123 min",
        "noreg: 1471 2026 000123",
        "nomor 1471 - 2026 - 000123 ya kak",
        "nomor 1471\u20132026\u2013000123",  # en dashes, from a phone's keyboard
        "14712026000123",
        "(1471-2026-000123)",
        "reg#1471-2026-000123?",
    ],
)
def test_a_registration_number_is_found_however_it_is_written(text: str) -> None:
    assert registration_number(text) == "1471-2026-000123"


@pytest.mark.parametrize(
    "text",
    [
        "NIK saya 1471012345678901",  # 16 digits: a NIK or KK number is not one
        "KK 1471 0123 4567 8901",
        "1471-2026-00012",  # too short
        "1471-2026-0001234",  # too long
        "11471-2026-000123",
        "akta saya sudah jadi belum min?",
        "tanggal 30-11-2026",
    ],
)
def test_other_numbers_are_not_registration_numbers(text: str) -> None:
    assert registration_number(text) is None


def test_every_number_is_found_once_in_order() -> None:
    text = "KTP 1471-2026-000123, KK 1471.2026.000456, lagi KTP 1471 2026 000123"
    assert registration_numbers(text) == ["1471-2026-000123", "1471-2026-000456"]


def test_a_csv_cell_is_a_number_only_when_it_is_nothing_else() -> None:
    assert standard_number(" 1471.2026.000123 ") == "1471-2026-000123"
    assert standard_number("no 1471-2026-000123") is None
    assert standard_number("") is None


# --- which topic the document's state gives ---------------------------------------------------


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier(load_rules())


def test_the_state_decides_a_question_about_a_documents_state(classifier: Classifier) -> None:
    registry = Registry({"1471-2026-000123": "issued", "1471-2026-000456": "pending"})
    asked = "KTP saya sudah jadi belum min? nomor registrasi {}"
    assert topic_by_status(registry, asked.format("1471-2026-000123"), classifier) is Topic.dokumen_terbit
    assert topic_by_status(registry, asked.format("1471 2026 000456"), classifier) is Topic.belum_terbit
    assert topic_by_status(registry, asked.format("1471-2026-999999"), classifier) is None
    # Too short for the classifier to be sure (the admin would triage it), the number says it all.
    unsure = "nomor registrasi 1471-2026-000123 gmn min?"
    assert classifier.fill(unsure, None, None) == (None, None)
    assert topic_by_status(registry, unsure, classifier) is Topic.dokumen_terbit
    assert topic_by_status(registry, "1471-2026-000456", classifier) is Topic.belum_terbit


def test_the_first_number_the_registry_knows_counts(classifier: Classifier) -> None:
    registry = Registry({"1471-2026-000456": "pending"})
    text = "KK sudah jadi belum? nomor 1471-2026-000999 atau 1471-2026-000456"
    assert topic_by_status(registry, text, classifier) is Topic.belum_terbit
    assert registry.asked == ["1471-2026-000999", "1471-2026-000456"]


def test_other_questions_citing_a_number_and_texts_without_one_are_left_to_the_text(
    classifier: Classifier,
) -> None:
    registry = Registry({"1471-2026-000123": "issued"})
    assert (
        topic_by_status(registry, "KTP saya salah nama, nomor registrasi 1471-2026-000123", classifier)
        is None
    )
    assert topic_by_status(registry, "Min, syarat bikin KIA apa aja? 1471-2026-000123", classifier) is None
    assert topic_by_status(registry, "KTP saya sudah jadi belum min?", classifier) is None
    assert registry.asked == [], "no number, or not a question about the document's state: not asked"
    assert topic_by_status(None, "KTP sudah jadi? 1471-2026-000123", classifier) is None


# --- the office's export ----------------------------------------------------------------------


def test_an_export_is_imported_and_the_registry_reads_it(db: Connection) -> None:
    data = (
        HEADER + "1471-2026-000123,terbit,KTP-el\n"
        "1471.2026.000124,belum_terbit,Kartu Keluarga\n"
        "1471 2026 000125,Belum Terbit,Akta Kelahiran\n"
    ).encode()
    report = import_export(db, data, NOW)
    assert (report.imported, report.issued, report.pending, report.rejected) == (3, 1, 2, [])
    assert report.summary() == "3 nomor registrasi diimpor (terbit: 1, belum terbit: 2); 0 baris ditolak"
    assert stored(db) == {
        "1471-2026-000123": ("issued", "KTP-el", NOW),
        "1471-2026-000124": ("pending", "Kartu Keluarga", NOW),
        "1471-2026-000125": ("pending", "Akta Kelahiran", NOW),
    }
    registry = ExportRegistry(db)
    assert registry.status("1471-2026-000123") == "issued"
    assert registry.status("1471.2026.000124") == "pending"
    assert registry.status("1471-2026-999999") is None


def test_bad_rows_are_reported_by_line_and_skipped(db: Connection) -> None:
    data = (
        (
            HEADER + "1471-2026-000123,terbit,KTP-el\n"  # line 2
            "1471-2026-00012,terbit,KTP-el\n"  # 3: too short
            "1471-2026-000124,sudah,KK\n"  # 4: unknown state
            "\n"  # 5: blank, skipped silently
            "1471-2026-000125,terbit,\n"  # 6: no document
            "1471-2026-000126\n"  # 7: too few columns
            '1471-2026-000127,belum_terbit,"Akta\nKelahiran"\n'  # 8-9: a quoted cell over two lines
            "1471-2026-000123,belum_terbit,KTP-el\n"  # 10: the same number again
            "1471-2026-000128,terbit,KIA\n"  # 11
        ).encode()
    )
    report = import_export(db, data, NOW)
    assert report.rejected == [
        (3, "nomor registrasi '1471-2026-00012' tidak sah (contoh: 1471-2026-000123)"),
        (4, "status 'sudah' bukan terbit atau belum_terbit"),
        (6, "jenis_dokumen kosong"),
        (7, "1 kolom, seharusnya 3"),
        (10, "nomor registrasi 1471-2026-000123 sudah ada di baris 2"),
    ]
    assert report.summary() == "3 nomor registrasi diimpor (terbit: 2, belum terbit: 1); 5 baris ditolak"
    assert sorted(stored(db)) == ["1471-2026-000123", "1471-2026-000127", "1471-2026-000128"]
    assert stored(db)["1471-2026-000123"][0] == "issued", "the first row of a number counts"


def test_a_bom_a_semicolon_and_columns_in_any_order_are_read(db: Connection) -> None:
    data = "\ufeffJenis_Dokumen;Nomor_Registrasi;Status;Petugas\r\nKIA;1471-2026-000123;terbit;Rina\r\n"
    report = import_export(db, data.encode(), NOW)
    assert (report.imported, report.rejected) == (1, [])
    assert stored(db) == {"1471-2026-000123": ("issued", "KIA", NOW)}


def test_importing_again_changes_nothing_and_a_changed_state_is_updated(db: Connection) -> None:
    first = (HEADER + "1471-2026-000123,belum_terbit,KTP-el\n1471-2026-000124,terbit,KK\n").encode()
    import_export(db, first, NOW)
    later = NOW + timedelta(days=1)
    again = import_export(db, first, later)
    assert again.imported == 2
    assert {n: row[2] for n, row in stored(db).items()} == {"1471-2026-000123": NOW, "1471-2026-000124": NOW}
    issued = (HEADER + "1471-2026-000123,terbit,KTP-el\n").encode()
    import_export(db, issued, later)
    assert stored(db)["1471-2026-000123"] == ("issued", "KTP-el", later)
    assert stored(db)["1471-2026-000124"] == ("issued", "KK", NOW), "a number left out of an export stays"


def test_a_file_that_cannot_be_read_imports_nothing() -> None:
    with pytest.raises(ExportError, match="bukan UTF-8"):
        read_export((HEADER + "1471-2026-000123,terbit,Akta Kelahiran \xe9\n").encode("latin-1"))
    with pytest.raises(ExportError, match="tanpa kolom status"):
        read_export(b"nomor_registrasi,jenis_dokumen\n1471-2026-000123,KK\n")
    with pytest.raises(ExportError, match="tanpa kolom"):
        read_export(b"")
