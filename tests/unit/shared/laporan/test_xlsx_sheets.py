"""A list longer than an XLSX sheet holds goes on in the next sheet, and no sheet is left empty."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from shared.laporan import xlsx
from shared.laporan.workbook import Book


@pytest.mark.parametrize(
    ("rows", "sheets"),
    [(0, ["Register"]), (4, ["Register", "Register 2"]), (5, ["Register", "Register 2", "Register 3"])],
)
def test_rows_past_a_sheets_limit_go_on_in_the_next_sheet(
    rows: int, sheets: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx, "MAX_ROWS", 3)  # a header and two rows per sheet
    with Book(tmp_path / "r.xlsx") as wb:
        xlsx.stream_sheets(wb, "Register", ["No"], [8], iter([[n] for n in range(1, rows + 1)]))
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert book.sheetnames == sheets
    values = [v for ws in book for (v,) in ws.iter_rows(values_only=True)]
    assert values == [
        v for n in range(len(sheets)) for v in ["No", *range(2 * n + 1, min(2 * n + 3, rows + 1))]
    ]
