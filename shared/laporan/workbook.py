"""A small streaming XLSX writer: sheets are written straight into the zip as their rows come, so a
register of a million cases costs one row of memory and a few microseconds a row.

Why not a library: openpyxl (write-only) took 6 minutes for a 1,000,000-case month, and XlsxWriter
in constant-memory mode spends some 60 µs a row in its per-cell bookkeeping, a minute for the
register alone; a row here is one f-string per cell. What the laporan needs is small and fixed:
text, numbers, dates, a handful of styles, column widths, a frozen header, a filter, one bar chart.

A value of None or "" leaves its cell empty; `Styled` gives a value one of the `Style`s.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import IntEnum
from pathlib import Path
from typing import IO, Any, NamedTuple
from xml.sax.saxutils import escape, quoteattr

_EPOCH = datetime(1899, 12, 30)  # Excel's day 0 (in the 1900 date system, from March 1900 on)
_FLUSH_ROWS = 500  # rows joined into one write to the zip
# XML 1.0 forbids these control characters; they are written as Excel's own escape, _xHHHH_.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Text that goes into the XML as it is: no markup characters, no control characters, no edge spaces.
_PLAIN_TEXT = re.compile(r"(?!\s)[^&<>\x00-\x1f\ufffe\uffff]+(?<!\s)")

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


class Style(IntEnum):
    """The cell styles the laporan uses; the value is the style's index in styles.xml."""

    PLAIN = 0
    BOLD = 1
    HEADER = 2  # bold, shaded, wrapped, centred vertically
    PERCENT = 3  # 0.0%
    MINUTES = 4  # 0.0
    SCORE = 5  # 0.00
    DATE = 6  # dd/mm/yyyy
    MOMENT = 7  # yyyy-mm-dd h:mm:ss


class Styled(NamedTuple):
    value: Any
    style: Style


_STYLES = f"""{_DECLARATION}<styleSheet xmlns="{_MAIN}">\
<numFmts count="4"><numFmt numFmtId="164" formatCode="0.0%"/>\
<numFmt numFmtId="165" formatCode="0.0"/><numFmt numFmtId="166" formatCode="dd/mm/yyyy"/>\
<numFmt numFmtId="167" formatCode="yyyy-mm-dd h:mm:ss"/></numFmts>\
<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>\
<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>\
<fills count="3"><fill><patternFill patternType="none"/></fill>\
<fill><patternFill patternType="gray125"/></fill><fill><patternFill patternType="solid">\
<fgColor rgb="FFD9E2EC"/><bgColor indexed="64"/></patternFill></fill></fills>\
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
<cellXfs count="8"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>\
<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" applyAlignment="1">\
<alignment vertical="center" wrapText="1"/></xf>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="167" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>\
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"""


def column_letter(n: int) -> str:
    """1 -> "A", 27 -> "AA"."""
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_LETTERS = [column_letter(n) for n in range(1, 65)]


def _text(value: str) -> str:
    """The <is> element of an inline string: escaped, control characters as _xHHHH_, edge spaces kept."""
    value = escape(value)
    if _ILLEGAL.search(value):
        value = _ILLEGAL.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    if value[:1].isspace() or value[-1:].isspace():
        return f'<is><t xml:space="preserve">{value}</t></is>'
    return f"<is><t>{value}</t></is>"


def _cell(ref: str, value: Any, style: int = 0) -> str:
    """One <c> element of any value (`row_xml` writes plain text and numbers itself)."""
    if type(value) is Styled:
        value, style = value
    s = f' s="{style}"' if style else ""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return f'<c r="{ref}"{s} t="inlineStr">{_text(value)}</c>'
    if isinstance(value, datetime):
        serial = (value - _EPOCH).total_seconds() / 86400
        return f'<c r="{ref}" s="{style or int(Style.MOMENT)}"><v>{serial!r}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="{style or int(Style.DATE)}"><v>{(value - _EPOCH.date()).days}</v></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    return f'<c r="{ref}"{s}><v>{value!r}</v></c>'


def row_xml(number: int, values: Sequence[Any]) -> str:
    """Row `number` (from 1) as XML; empty values leave no cell. The hot path of a long register:
    plain text and numbers, most of its cells, are written here without a further call."""
    cells = []
    for letter, value in zip(_LETTERS, values, strict=False):
        kind = type(value)
        if kind is str:
            if _PLAIN_TEXT.fullmatch(value):
                cells.append(f'<c r="{letter}{number}" t="inlineStr"><is><t>{value}</t></is></c>')
            elif value:
                cells.append(f'<c r="{letter}{number}" t="inlineStr">{_text(value)}</c>')
        elif kind is int or kind is float:
            cells.append(f'<c r="{letter}{number}"><v>{value!r}</v></c>')
        elif value is not None:
            cells.append(_cell(f"{letter}{number}", value))
    return f'<row r="{number}">{"".join(cells)}</row>'


@dataclass
class _Chart:
    """A bar chart of one column of the sheet against its first column, as in Excel's "Column"."""

    title: str
    anchor: tuple[int, int]  # (column, row) of its top-left cell, from 0
    rows: int  # the data rows under the header
    column: int  # the values' column, from 1
    size_cm: tuple[float, float]  # width, height


@dataclass
class Sheet:
    """A sheet being written; rows go straight into the zip. Use `Book.sheet` to make one."""

    title: str
    number: int
    stream: IO[bytes]
    rows: int = 0
    filter_columns: int = 0
    chart: _Chart | None = None
    _pending: list[str] = field(default_factory=list)

    def append(self, values: Sequence[Any]) -> None:
        self.rows += 1
        self._pending.append(row_xml(self.rows, values))
        if len(self._pending) >= _FLUSH_ROWS:
            self._flush()

    def extend(self, rows: Iterable[Sequence[Any]]) -> None:
        for values in rows:
            self.append(values)

    def add_filter(self, columns: int) -> None:
        """A filter on the header row over the first `columns` columns, down to the last row."""
        self.filter_columns = columns

    def add_bar_chart(
        self, title: str, column: int, anchor: tuple[int, int], size_cm: tuple[float, float]
    ) -> None:
        """A bar chart of `column` (its header the series' name) over the rows below the header."""
        self.chart = _Chart(title, anchor, self.rows - 1, column, size_cm)

    @property
    def filter_ref(self) -> str:
        return f"A1:{column_letter(self.filter_columns)}{max(self.rows, 1)}"

    def _flush(self) -> None:
        self.stream.write("".join(self._pending).encode())
        self._pending.clear()

    def close(self) -> None:
        self._flush()
        tail = "</sheetData>"
        if self.filter_columns:
            tail += f'<autoFilter ref="{self.filter_ref}"/>'
        tail += '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
        if self.chart:
            tail += '<drawing r:id="rId1"/>'
        self.stream.write(f"{tail}</worksheet>".encode())
        self.stream.close()


class Book:
    """An XLSX file written sheet by sheet: `with Book(out) as book:`, `book.sheet(...)` and its rows,
    the next `sheet(...)`, ...; the workbook's own parts are written when it closes."""

    def __init__(self, out: Path | IO[bytes]) -> None:
        # Deflate level 1: a third of the default level's time, for a file a fifth larger.
        self.out = out
        self.zip = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self.sheets: list[Sheet] = []
        self.current: Sheet | None = None

    def __enter__(self) -> Book:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        """Finish the file; after an error, close it as it stands and take it away (no half file)."""
        if kind is None:
            self.close()
            return
        if self.current is not None:
            self.current.stream.close()
        self.zip.close()
        if isinstance(self.out, Path):
            self.out.unlink(missing_ok=True)

    def sheet(self, title: str, widths: Sequence[float], *, freeze: tuple[int, int] | None = None) -> Sheet:
        """A new sheet, the previous one closed. `freeze`: how many (columns, rows) stay in view."""
        self.close_sheet()
        number = len(self.sheets) + 1
        stream = self.zip.open(f"xl/worksheets/sheet{number}.xml", "w", force_zip64=True)
        sheet = Sheet(title, number, stream)
        selected = ' tabSelected="1"' if number == 1 else ""
        head = f'{_DECLARATION}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
        head += f'<sheetViews><sheetView workbookViewId="0"{selected}>'
        if freeze:
            columns, rows = freeze
            corner = f"{column_letter(columns + 1)}{rows + 1}"
            head += (
                f'<pane xSplit="{columns}" ySplit="{rows}" topLeftCell="{corner}" activePane="bottomRight" '
                f'state="frozen"/><selection pane="bottomRight" activeCell="{corner}" sqref="{corner}"/>'
            )
        head += '</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
        if widths:
            cols = "".join(
                f'<col min="{n}" max="{n}" width="{w}" customWidth="1"/>' for n, w in enumerate(widths, 1)
            )
            head += f"<cols>{cols}</cols>"
        stream.write(f"{head}<sheetData>".encode())
        self.sheets.append(sheet)
        self.current = sheet
        return sheet

    def close_sheet(self) -> None:
        if self.current is not None:
            self.current.close()
            if self.current.chart:
                self._write_chart(self.current, self.current.chart)
            self.current = None

    def close(self) -> None:
        """Write the parts that name the sheets, and the zip's directory."""
        self.close_sheet()
        self.zip.writestr("[Content_Types].xml", _content_types(self.sheets))
        self.zip.writestr(
            "_rels/.rels",
            _relationships([("officeDocument", "xl/workbook.xml")]),
        )
        self.zip.writestr("xl/workbook.xml", _workbook(self.sheets))
        self.zip.writestr(
            "xl/_rels/workbook.xml.rels",
            _relationships(
                [("worksheet", f"worksheets/sheet{s.number}.xml") for s in self.sheets]
                + [("styles", "styles.xml")]
            ),
        )
        self.zip.writestr("xl/styles.xml", _STYLES)
        self.zip.close()

    def _write_chart(self, sheet: Sheet, chart: _Chart) -> None:
        n = sheet.number
        self.zip.writestr(
            f"xl/worksheets/_rels/sheet{n}.xml.rels",
            _relationships([("drawing", f"../drawings/drawing{n}.xml")]),
        )
        self.zip.writestr(f"xl/drawings/drawing{n}.xml", _drawing(chart))
        self.zip.writestr(
            f"xl/drawings/_rels/drawing{n}.xml.rels", _relationships([("chart", f"../charts/chart{n}.xml")])
        )
        self.zip.writestr(f"xl/charts/chart{n}.xml", _bar_chart(sheet.title, chart))


def _relationships(targets: list[tuple[str, str]]) -> str:
    rels = "".join(
        f'<Relationship Id="rId{n}" Type="{_REL}/{kind}" Target="{target}"/>'
        for n, (kind, target) in enumerate(targets, 1)
    )
    return f'{_DECLARATION}<Relationships xmlns="{_PKG_REL}">{rels}</Relationships>'


def _content_types(sheets: list[Sheet]) -> str:
    parts = [
        ("/xl/workbook.xml", f"{_CT}.spreadsheetml.sheet.main+xml"),
        ("/xl/styles.xml", f"{_CT}.spreadsheetml.styles+xml"),
    ]
    for s in sheets:
        parts.append((f"/xl/worksheets/sheet{s.number}.xml", f"{_CT}.spreadsheetml.worksheet+xml"))
        if s.chart:
            parts.append((f"/xl/drawings/drawing{s.number}.xml", f"{_CT}.drawing+xml"))
            parts.append((f"/xl/charts/chart{s.number}.xml", f"{_CT}.drawingml.chart+xml"))
    overrides = "".join(f'<Override PartName="{name}" ContentType="{kind}"/>' for name, kind in parts)
    return (
        f"{_DECLARATION}"
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Default Extension="xml" ContentType="application/xml"/>{overrides}</Types>'
    )


def _sheet_ref(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _workbook(sheets: list[Sheet]) -> str:
    listed = "".join(
        f'<sheet name={quoteattr(s.title)} sheetId="{s.number}" r:id="rId{s.number}"/>' for s in sheets
    )
    # Excel keeps a sheet's filter range as this hidden name.
    names = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{s.number - 1}" hidden="1">'
        f"{escape(_sheet_ref(s.title))}!{_absolute(s.filter_ref)}</definedName>"
        for s in sheets
        if s.filter_columns
    )
    return (
        f'{_DECLARATION}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
        f'<bookViews><workbookView activeTab="0"/></bookViews><sheets>{listed}</sheets>'
        + (f"<definedNames>{names}</definedNames>" if names else "")
        + "</workbook>"
    )


def _absolute(ref: str) -> str:
    """ "A1:L78" -> "$A$1:$L$78"."""
    return ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", part) for part in ref.split(":"))


_EMU_PER_CM = 360_000


def _drawing(chart: _Chart) -> str:
    col, row = chart.anchor
    width, height = (round(x * _EMU_PER_CM) for x in chart.size_cm)
    return (
        f"{_DECLARATION}"
        '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        f"<xdr:oneCellAnchor><xdr:from><xdr:col>{col}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{row}</xdr:row>"
        f'<xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:ext cx="{width}" cy="{height}"/>'
        '<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="2" name="Chart 1"/>'
        "<xdr:cNvGraphicFramePr/>"
        '</xdr:nvGraphicFramePr><xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm><a:graphic>'
        '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
        '<c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
        f'xmlns:r="{_REL}" r:id="rId1"/>'
        "</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:oneCellAnchor></xdr:wsDr>"
    )


def _bar_chart(title: str, chart: _Chart) -> str:
    sheet = escape(_sheet_ref(title))
    col = column_letter(chart.column)
    last = chart.rows + 1
    return (
        f"{_DECLARATION}"
        '<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
        f'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="{_REL}"><c:chart>'
        f"<c:title><c:tx><c:rich><a:bodyPr/><a:p><a:r><a:t>{escape(chart.title)}</a:t></a:r></a:p></c:rich></c:tx>"
        '<c:overlay val="0"/></c:title><c:autoTitleDeleted val="0"/><c:plotArea><c:barChart>'
        '<c:barDir val="col"/>'
        '<c:grouping val="clustered"/><c:varyColors val="0"/><c:ser><c:idx val="0"/><c:order val="0"/>'
        f"<c:tx><c:strRef><c:f>{sheet}!${col}$1</c:f></c:strRef></c:tx>"
        f"<c:cat><c:numRef><c:f>{sheet}!$A$2:$A${last}</c:f></c:numRef></c:cat>"
        f"<c:val><c:numRef><c:f>{sheet}!${col}$2:${col}${last}</c:f></c:numRef></c:val></c:ser>"
        '<c:gapWidth val="150"/><c:axId val="10"/><c:axId val="100"/></c:barChart>'
        '<c:catAx><c:axId val="10"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/>'
        '<c:axPos val="b"/><c:numFmt formatCode="dd/mm" sourceLinked="0"/><c:majorTickMark val="none"/>'
        '<c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/><c:crossAx val="100"/>'
        '<c:crosses val="autoZero"/>'
        '<c:auto val="1"/><c:lblAlgn val="ctr"/><c:lblOffset val="100"/></c:catAx>'
        '<c:valAx><c:axId val="100"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/>'
        '<c:axPos val="l"/><c:majorGridlines/><c:numFmt formatCode="General" sourceLinked="1"/>'
        '<c:majorTickMark val="none"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
        '<c:crossAx val="10"/>'
        '<c:crosses val="autoZero"/><c:crossBetween val="between"/></c:valAx></c:plotArea>'
        '<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart></c:chartSpace>'
    )
