"""The parts of an official Indonesian document, for the laporan's PDF (reportlab): the kop surat
with its double rule, the title block, ruled tables, the page footer and the signature block."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import HRFlowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from shared.laporan.office import Office
from shared.laporan.period import date_text

MARGIN_LEFT, MARGIN_RIGHT = 2.5 * cm, 2 * cm
WIDTH = A4[0] - MARGIN_LEFT - MARGIN_RIGHT
HEADER_FILL = colors.HexColor("#d9e2ec")
TOTAL_FILL = colors.HexColor("#f0f0f0")

BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=9.5, leading=13, alignment=TA_JUSTIFY)
CENTER = ParagraphStyle("center", parent=BODY, alignment=TA_CENTER)
HEADING = ParagraphStyle("heading", parent=BODY, fontName="Helvetica-Bold", spaceBefore=10, spaceAfter=4)
CAPTION = ParagraphStyle("caption", parent=BODY, fontName="Helvetica-Oblique", fontSize=8, leading=10)
_CELL = ParagraphStyle("cell", fontName="Helvetica", fontSize=7.5, leading=9)
_CELL_BOLD = ParagraphStyle("cell_bold", parent=_CELL, fontName="Helvetica-Bold")
_CELL_RIGHT = {
    s.name: ParagraphStyle(f"{s.name}_right", parent=s, alignment=TA_RIGHT) for s in (_CELL, _CELL_BOLD)
}


def kop(office: Office) -> list[Any]:
    """The letterhead: government and office centred, the address, then a thick and a thin rule."""
    government = ParagraphStyle("gov", parent=CENTER, fontName="Helvetica-Bold", fontSize=13, leading=16)
    name = ParagraphStyle("office", parent=CENTER, fontName="Helvetica-Bold", fontSize=15, leading=19)
    lines = [Paragraph(escape(office.government), government), Paragraph(escape(office.name), name)]
    if office.address:
        lines.append(Paragraph(escape(office.address), ParagraphStyle("addr", parent=CENTER, fontSize=8.5)))
    return [
        *lines,
        HRFlowable(width="100%", thickness=2.2, color=colors.black, spaceBefore=5, spaceAfter=1.5),
        HRFlowable(width="100%", thickness=0.6, color=colors.black, spaceAfter=12),
    ]


def title_block(title: str, subtitle: str, facts: Sequence[tuple[str, str]]) -> list[Any]:
    """The underlined title, its subtitle, and "label : value" lines (Nomor SOP, Periode, ...)."""
    style = ParagraphStyle("title", parent=CENTER, fontName="Helvetica-Bold", fontSize=12, leading=15)
    table = Table(
        [[label, ":", value] for label, value in facts],
        colWidths=[3 * cm, 0.4 * cm, WIDTH - 3.4 * cm],
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Helvetica", 9.5),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    return [
        Paragraph(f"<u>{escape(title)}</u>", style),
        Paragraph(escape(subtitle), CENTER),
        Spacer(1, 10),
        table,
    ]


def heading(text: str) -> Paragraph:
    return Paragraph(escape(text), HEADING)


def opening(title: str, *first: Any) -> KeepTogether:
    """A section's heading kept with its first piece (each bounded, well under a page): a heading
    never ends a page, and a section starts on a new page only when its opening does not fit."""
    return KeepTogether([heading(title), *first])


def ruled_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    numbers_from: int,
    total: bool = False,
) -> Table:
    """A ruled table: bold shaded header repeated on every page; text left, numbers (the columns
    from `numbers_from` on) right; with `total`, the last row is the sum, shaded."""

    def cell(text: str, column: int, bold: bool) -> Paragraph:
        style = _CELL_BOLD if bold else _CELL
        return Paragraph(escape(text), _CELL_RIGHT[style.name] if column >= numbers_from else style)

    cells = [[cell(h, n, True) for n, h in enumerate(header)]]
    last = len(rows) - 1
    cells += [[cell(c, n, total and r == last) for n, c in enumerate(row)] for r, row in enumerate(rows)]
    table = Table(cells, colWidths=list(widths), repeatRows=1, hAlign="LEFT")
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if total:
        style.append(("BACKGROUND", (0, -1), (-1, -1), TOTAL_FILL))
    table.setStyle(TableStyle(style))
    return table


def side_by_side(left: Any, right: Any) -> Table:
    """Two flowables in two columns of the page's width."""
    table = Table([[left, right]], colWidths=[WIDTH / 2, WIDTH / 2], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def signature(office: Office, signed_on: date) -> Table:
    """The signature block on the right: place and date, the head's title, room to sign, name, NIP."""
    name_style = ParagraphStyle("signer", parent=CENTER, fontName="Helvetica-Bold")
    block = [
        [Paragraph(escape(f"{office.city}, {date_text(signed_on)}"), CENTER)],
        [Paragraph(escape(office.head_title) + ",", CENTER)],
        [Spacer(1, 2.2 * cm)],
        [Paragraph(f"<u>{escape(office.signer)}</u>", name_style)],
        [Paragraph(escape(office.nip), CENTER)],
    ]
    inner = Table(block, colWidths=[8 * cm])
    inner.setStyle(TableStyle([("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    outer = Table([["", inner]], colWidths=[WIDTH - 8 * cm, 8 * cm])
    outer.setStyle(TableStyle([("TOPPADDING", (0, 0), (-1, -1), 18)]))
    return outer


def footer(text: str, total: int | None, seen: list[int]) -> Callable[[Any, Any], None]:
    """Draws "text ... Halaman n dari total" under every page, and notes the last page number."""

    def draw(canvas: Any, doc: Any) -> None:
        seen[0] = doc.page
        pages = f"Halaman {doc.page}" + (f" dari {total}" if total else "")
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setStrokeColor(colors.grey)
        canvas.line(MARGIN_LEFT, 1.5 * cm, A4[0] - MARGIN_RIGHT, 1.5 * cm)
        canvas.drawString(MARGIN_LEFT, 1.1 * cm, text)
        canvas.drawRightString(A4[0] - MARGIN_RIGHT, 1.1 * cm, pages)
        canvas.restoreState()

    return draw
