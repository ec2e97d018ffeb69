"""The laporan's own XLSX writer: what a spreadsheet program reads back is what was written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from shared.laporan.workbook import Book, Style, Styled


def test_values_styles_and_layout_read_back_as_written(tmp_path: Path) -> None:
    path = tmp_path / "b.xlsx"
    with Book(path) as book:
        sheet = book.sheet("Daftar 'A'", [12, 30], freeze=(2, 1))
        sheet.append([Styled("No", Style.HEADER), Styled("Teks", Style.HEADER)])
        sheet.append([1, "a < b & c > d", datetime(2026, 11, 3, 10, 15), date(2026, 11, 3)])
        percent, bold = Styled(0.935, Style.PERCENT), Styled(7, Style.BOLD)
        sheet.append([2.5, "  spasi di tepi  ", percent, None, "", bold])
        sheet.add_filter(2)
        book.sheet("Kedua", [10]).append(["ok"])
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Daftar 'A'", "Kedua"]
    ws = wb["Daftar 'A'"]
    assert [[c.value for c in row] for row in ws.iter_rows()] == [
        ["No", "Teks", None, None, None, None],
        [1, "a < b & c > d", datetime(2026, 11, 3, 10, 15), datetime(2026, 11, 3), None, None],
        [2.5, "  spasi di tepi  ", 0.935, None, None, 7],
    ]
    assert ws["A1"].font.b and ws["A1"].fill.fgColor.rgb.endswith("D9E2EC") and ws["A1"].alignment.wrap_text
    assert (ws["C2"].number_format, ws["D2"].number_format) == ("yyyy-mm-dd h:mm:ss", "dd/mm/yyyy")
    assert ws["C3"].number_format == "0.0%" and ws["F3"].font.b
    assert ws.freeze_panes == "C2" and ws.auto_filter.ref == "A1:B3"
    assert ws.column_dimensions["B"].width == 30
    assert wb["Kedua"]["A1"].value == "ok"


def test_control_characters_from_a_chat_do_not_break_the_file(tmp_path: Path) -> None:
    path = tmp_path / "b.xlsx"
    with Book(path) as book:
        book.sheet("S", [10]).append(["bel\x07 dan\ttab\nbaris"])
    [[value]] = openpyxl.load_workbook(path)["S"].iter_rows(values_only=True)
    assert isinstance(value, str) and value.startswith("bel") and value.endswith("dan\ttab\nbaris")


def test_a_failure_while_writing_leaves_no_half_file(tmp_path: Path) -> None:
    path = tmp_path / "b.xlsx"

    def rows() -> Iterator[list[int]]:
        yield [1]
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError), Book(path) as book:
        book.sheet("S", [10]).extend(rows())
    assert not path.exists()


def test_a_chart_reads_back_on_its_sheet(tmp_path: Path) -> None:
    path = tmp_path / "b.xlsx"
    with Book(path) as book:
        sheet = book.sheet("Harian", [14, 12])
        sheet.extend([["Tanggal", "Diterima"], [date(2026, 11, 1), 3], [date(2026, 11, 2), 5]])
        sheet.add_bar_chart("Permohonan diterima per hari", column=2, anchor=(7, 1), size_cm=(24, 7.5))
    [chart] = openpyxl.load_workbook(path)["Harian"]._charts
    assert chart.tagname == "barChart"
