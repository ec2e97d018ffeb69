"""The laporan: the report of the requests received, which the head of office signs and files.

Compiled from the registrations and the control card in one database snapshot (`figures`), written
as PDF (`pdf`), XLSX (`xlsx`) or CSV (`csv_out`). Days and times are in the period's zone, the
office's (`BAMSOS_TIMEZONE`, WIB by default).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from sqlalchemy.engine import Engine

from shared.laporan.bahasa import count_text
from shared.laporan.figures import Figures, breaches, compile_figures, same_moment, snapshot
from shared.laporan.office import Office
from shared.laporan.period import Period, office_day
from shared.laporan.register import cases

Format = Literal["pdf", "xlsx", "csv"]
FORMATS: tuple[Format, ...] = ("pdf", "xlsx", "csv")

__all__ = [
    "FORMATS",
    "Figures",
    "Format",
    "Office",
    "Period",
    "count_text",
    "office_day",
    "write_laporan",
]


def write_laporan(
    engine: Engine,
    period: Period,
    fmt: Format,
    out: Path,
    *,
    office: Office,
    mask: bool = True,
    now: datetime | None = None,
) -> int:
    """Write the laporan of `period` to `out`; returns how many inquiries it covers. The register
    is masked unless `mask=False` (the kadis's request, which the caller records in the access log)."""
    # Imported here: the command line and the reporter import this package for its names, and
    # should not load reportlab and the writers for that.
    from shared.laporan.csv_out import write_csv
    from shared.laporan.pdf import write_pdf
    from shared.laporan.xlsx import write_xlsx

    with snapshot(engine) as db:
        if fmt == "csv":
            return write_csv(cases(db, period, mask=mask), out, period.zone)
        with same_moment(engine, db) as beside:
            figures = compile_figures(db, period, now or datetime.now(UTC), beside)
        if fmt == "pdf":
            write_pdf(figures, office, out)
        else:
            write_xlsx(figures, office, breaches(db, period), cases(db, period, mask=mask), out)
        return figures.totals.received
