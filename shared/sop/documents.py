"""The state of a citizen's document, not only of their case: issued, or not yet.

Many questions are "is my KTP / KK / akta done yet?", often with the registration number the office
gave at the counter ("nomor registrasi 1471-2026-000123"). By the SOP the answer's route depends on
the document's real state: not yet signed or issued goes to the section and division heads (step 6,
topic `belum_terbit`), issued goes to the pickup desk (step 7, `dokumen_terbit`). The router asks a
`DocumentRegistry`; the one BAMSOS has, `ExportRegistry`, reads the table `document_status`, filled
from the office's daily CSV export of issued and pending registration numbers by
`bamsos dokumen impor FILE` (`import_export`).

A registration number is four digits (the region), four (the year) and six (the sequence). Citizens
write it `1471-2026-000123`, `1471.2026.000123`, `1471 2026 000123`, `1471 - 2026 - 000123`, with an
en or em dash from a phone's keyboard, or run together as `14712026000123`; it always stands apart
from other digits, so a 16-digit NIK or KK number is never read as one. Its standard form is
`1471-2026-000123`.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection

from shared.runtime.storage import document_status
from shared.sop.classify import Classifier, classify
from shared.sop.contracts import Topic

DocumentState = Literal["issued", "pending"]

# The topics a document's state decides between: the classifier's guess of either (or no guess
# at all) gives way to the registry when the text names a number it knows.
DOCUMENT_TOPICS: frozenset[Topic] = frozenset({Topic.belum_terbit, Topic.dokumen_terbit})
TOPIC_OF_STATE: dict[DocumentState, Topic] = {"issued": Topic.dokumen_terbit, "pending": Topic.belum_terbit}

_SEPARATOR = r"\s*[-.\u2013\u2014]?\s*"
_NUMBER = re.compile(rf"(?<![0-9])([0-9]{{4}}){_SEPARATOR}([0-9]{{4}}){_SEPARATOR}([0-9]{{6}})(?![0-9])")


class DocumentRegistry(Protocol):
    """Where a registration number's document stands: "issued", "pending", or None if unknown."""

    def status(self, number: str) -> DocumentState | None: ...


def registration_numbers(text: str) -> list[str]:
    """The registration numbers a citizen's text names, in standard form, in order, each once."""
    found: list[str] = []
    for match in _NUMBER.finditer(text):
        number = "-".join(match.groups())
        if number not in found:
            found.append(number)
    return found


def registration_number(text: str) -> str | None:
    """The first registration number in `text`, in standard form; None if it names none."""
    numbers = registration_numbers(text)
    return numbers[0] if numbers else None


def standard_number(value: str) -> str | None:
    """`value` as a standard registration number if it is one and nothing else (a CSV cell)."""
    match = _NUMBER.fullmatch(value.strip())
    return "-".join(match.groups()) if match else None


def topic_by_status(registry: DocumentRegistry | None, text: str, classifier: Classifier) -> Topic | None:
    """The topic a document's real state gives a question, or None to route as the text says.

    Only a question whose likeliest reading (sure or not) is about a document's state, or that has
    no reading at all, is decided by the registry: a data-error or policy question that happens to
    cite a number is not. The first number of the text the registry knows counts.
    """
    numbers = registration_numbers(text) if registry is not None else []
    if registry is None or not numbers:
        return None
    guess = classify(text, classifier.rules).topic
    if guess is not None and guess not in DOCUMENT_TOPICS:
        return None
    for number in numbers:
        state = registry.status(number)
        if state is not None:
            return TOPIC_OF_STATE[state]
    return None


class ExportRegistry:
    """The registry as the office's export says, read through the handler's own transaction."""

    def __init__(self, db: Connection) -> None:
        self.db = db

    def status(self, number: str) -> DocumentState | None:
        number = standard_number(number) or number
        state = self.db.scalar(sa.select(document_status.c.status).where(document_status.c.number == number))
        if state == "issued":
            return "issued"
        if state == "pending":
            return "pending"
        return None


# --- the office's export: `bamsos dokumen impor FILE` -----------------------------------------

COLUMNS = ("nomor_registrasi", "status", "jenis_dokumen")
STATES: dict[str, DocumentState] = {"terbit": "issued", "belum_terbit": "pending"}
_BATCH = 1000  # rows per INSERT: PostgreSQL takes at most 65535 parameters a statement


class ExportError(ValueError):
    """The file can't be imported at all (not UTF-8, no header with the columns): nothing was."""


@dataclass(frozen=True)
class ExportRow:
    line: int
    number: str
    state: DocumentState
    document: str


@dataclass
class ImportReport:
    """What an import did: the numbers stored, by state, and the rows refused with their line."""

    issued: int = 0
    pending: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.issued + self.pending

    def summary(self) -> str:
        return (
            f"{self.imported} nomor registrasi diimpor (terbit: {self.issued}, belum terbit: "
            f"{self.pending}); {len(self.rejected)} baris ditolak"
        )


def read_export(data: bytes) -> tuple[list[ExportRow], list[tuple[int, str]]]:
    """The rows of an export (UTF-8, with or without BOM; comma or semicolon separated; a header
    naming the columns in any order, other columns ignored) and the refused rows (line, reason)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ExportError(f"berkas bukan UTF-8 (byte {e.start})") from None
    header_line = text.split("\n", 1)[0]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    names = [name.strip().lower() for name in header or []]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise ExportError(f"baris judul tanpa kolom {', '.join(missing)} (perlu: {', '.join(COLUMNS)})")
    at = {c: names.index(c) for c in COLUMNS}
    rows: list[ExportRow] = []
    rejected: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    last_line = reader.line_num
    for cells in reader:
        # A record starts on the line after the previous one ended (a quoted cell may span lines).
        line, last_line = last_line + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) <= max(at.values()):
            rejected.append((line, f"{len(cells)} kolom, seharusnya {len(names)}"))
            continue
        raw_number, raw_state, document = (cells[at[c]].strip() for c in COLUMNS)
        number = standard_number(raw_number)
        state = STATES.get(raw_state.lower().replace(" ", "_"))
        if number is None:
            rejected.append((line, f"nomor registrasi '{raw_number}' tidak sah (contoh: 1471-2026-000123)"))
        elif state is None:
            rejected.append((line, f"status '{raw_state}' bukan terbit atau belum_terbit"))
        elif not document:
            rejected.append((line, "jenis_dokumen kosong"))
        elif number in seen:
            rejected.append((line, f"nomor registrasi {number} sudah ada di baris {seen[number]}"))
        else:
            seen[number] = line
            rows.append(ExportRow(line, number, state, document))
    return rows, rejected


def import_export(db: Connection, data: bytes, now: datetime) -> ImportReport:
    """Store an export's good rows in `db`'s transaction (upsert: importing it again changes
    nothing, and `updated_at` moves only for a number whose state or document changed)."""
    rows, rejected = read_export(data)
    report = ImportReport(rejected=rejected)
    current = document_status.c
    for first in range(0, len(rows), _BATCH):
        batch = rows[first : first + _BATCH]
        statement = insert(document_status).values(
            [
                {"number": r.number, "status": r.state, "document": r.document, "updated_at": now}
                for r in batch
            ]
        )
        db.execute(
            statement.on_conflict_do_update(
                index_elements=[current.number],
                set_={
                    "status": statement.excluded.status,
                    "document": statement.excluded.document,
                    "updated_at": statement.excluded.updated_at,
                },
                where=sa.or_(
                    current.status.is_distinct_from(statement.excluded.status),
                    current.document.is_distinct_from(statement.excluded.document),
                ),
            )
        )
    report.issued = sum(r.state == "issued" for r in rows)
    report.pending = len(rows) - report.issued
    return report
