"""The laporan's PDF ends like a letter: the signature stands with the text above it, and the
sections flow from page to page without leaving half a page empty."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PageObject, PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from sqlalchemy.engine import Engine

from shared.laporan import Office, Period, write_laporan
from shared.laporan.pdf import CLOSING
from shared.runtime.settings import Settings
from tests.unit.shared.laporan.feed import COMPILED_AT, PERIOD, fed_database

pytestmark = pytest.mark.integration

OFFICE = Office.from_settings(Settings())
# The page's body runs from under the top margin down to the bottom margin; the footer is below it.
BODY_TOP: float = A4[1] - 1.5 * cm
BODY_BOTTOM: float = 2 * cm
FOOTER_TOP: float = 1.5 * cm


@dataclass(frozen=True)
class Page:
    number: int
    text: str  # the body's text, whitespace as single spaces
    lowest: float  # the baseline of the body's lowest text, in points from the page's foot

    @property
    def filled(self) -> float:
        """How much of the body's height the text reaches down to: 0 empty, 1 full."""
        return (BODY_TOP - self.lowest) / (BODY_TOP - BODY_BOTTOM)


def pages(path: Path) -> list[Page]:
    """Each page's body text and how far down it reaches, from where each string is drawn."""
    return [_page(number, page) for number, page in enumerate(PdfReader(path).pages, 1)]


def _page(number: int, page: PageObject) -> Page:
    drawn: list[tuple[float, str]] = []

    def visit(text: str, ctm: list[float], tm: list[float], *_: object) -> None:
        y = tm[4] * ctm[1] + tm[5] * ctm[3] + ctm[5]  # the text matrix, then the page's transform
        if text.strip() and y > FOOTER_TOP:
            drawn.append((y, text))

    page.extract_text(visitor_text=visit)
    text = " ".join(" ".join(t for _, t in drawn).split())
    return Page(number, text, min((y for y, _ in drawn), default=BODY_TOP))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = fed_database(database_url)
    yield engine
    engine.dispose()


def laporan_pages(engine: Engine, tmp_path: Path, period: Period = PERIOD) -> list[Page]:
    out = tmp_path / "laporan.pdf"
    write_laporan(engine, period, "pdf", out, office=OFFICE, now=COMPILED_AT)
    return pages(out)


def signed_page(found: list[Page]) -> Page:
    [page] = [p for p in found if "NIP." in p.text]
    return page


def test_the_signature_stands_on_one_page_with_the_closing_and_the_last_section(
    engine: Engine, tmp_path: Path
) -> None:
    found = laporan_pages(engine, tmp_path)
    page = signed_page(found)
    assert CLOSING in page.text
    assert "F. GRAFIK HARIAN PERMOHONAN DAN KEPATUHAN" in page.text
    assert "Menurut tanggal diterimanya permohonan" in page.text, (
        "the last section's text, not only its heading"
    )
    assert found[page.number].text.startswith("LAMPIRAN"), "the lampiran follows on the next page"


def test_no_page_of_the_letter_before_the_signature_is_left_half_empty(
    engine: Engine, tmp_path: Path
) -> None:
    found = laporan_pages(engine, tmp_path)
    letter = found[: signed_page(found).number - 1]
    assert letter, "the feed's laporan runs over more than one page"
    assert {p.number: round(p.filled, 2) for p in letter if p.filled < 0.5} == {}


def test_a_period_without_inquiries_is_one_signed_page(engine: Engine, tmp_path: Path) -> None:
    [page] = laporan_pages(engine, tmp_path, Period.month("2026-07", PERIOD.zone))
    assert "Tidak ada permohonan" in page.text and CLOSING in page.text and "NIP." in page.text
