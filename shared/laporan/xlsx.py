"""The laporan as an XLSX workbook (openpyxl, write-only, so the register streams to disk):

- Ringkasan: kop, period, totals by channel, topic, SOP path and service, signature block;
- Kepatuhan SOP: per step, per role, per officer;
- Kepuasan: the satisfaction survey (SKM): sent, answered, mean, index and grade, the spread of the
  scores, per channel, service and the officer who answered;
- Harian: per day, with a chart;
- Keterlambatan: every breached case and where the delay happened;
- Register: one row per case (personal data, maskable).

Text from outside the office never starts a formula (`safe.neutralise`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from shared.laporan.bahasa import (
    CHANNELS,
    NO_OFFICER,
    NO_RATINGS,
    RATING_HEADER,
    RATING_WORDS,
    SERVICES,
    TIMING_HEADER,
    TOPICS,
    grade_text,
    label,
    path_label,
    skm_note,
    step_label,
)
from shared.laporan.figures import SCORES, Breach, Count, Figures, HolderTiming, Rated, Timing
from shared.laporan.office import Office
from shared.laporan.pdf import NO_INQUIRIES, SUBTITLE, TITLE
from shared.laporan.period import date_text, moment_text, office_day
from shared.laporan.register import Case
from shared.laporan.safe import neutralise

MAX_ROWS = 1_048_576  # an XLSX sheet's limit; a longer list goes on in "<name> 2", "<name> 3", ...
PERCENT = "0.0%"
MINUTES = "0.0"
SCORE = "0.00"
WHEN = "dd/mm/yyyy hh:mm"
_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="D9E2EC")


def write_xlsx(
    figures: Figures,
    office: Office,
    breaches: Iterable[Breach],
    cases: Iterable[Case],
    out: Path,
) -> None:
    wb = Workbook(write_only=True)
    zone, zone_label = figures.period.zone, figures.period.zone_label
    _summary_sheet(wb, figures, office)
    _compliance_sheet(wb, figures, office)
    _satisfaction_sheet(wb, figures, office)
    _daily_sheet(wb, figures)
    stream_sheets(
        wb,
        "Keterlambatan",
        breach_header(zone_label),
        BREACH_WIDTHS,
        (breach_row(n, b, office, zone) for n, b in enumerate(breaches, 1)),
    )
    stream_sheets(
        wb,
        "Register",
        register_header(zone_label),
        REGISTER_WIDTHS,
        (register_row(n, c, office, zone) for n, c in enumerate(cases, 1)),
    )
    wb.save(out)


def _cell(ws: Any, value: Any, *, bold: bool = False, fmt: str | None = None, header: bool = False) -> Any:
    cell = WriteOnlyCell(ws, value=value)
    if bold or header:
        cell.font = _BOLD
    if header:
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    if fmt:
        cell.number_format = fmt
    return cell


def _header(ws: Any, names: Sequence[str]) -> list[Any]:
    return [_cell(ws, n, header=True) for n in names]


def _widths(ws: Any, widths: Sequence[float]) -> None:
    for n, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(n)].width = width


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """Excel has no time zones: times are written as the office's wall-clock times."""
    return moment.astimezone(zone).replace(tzinfo=None) if moment is not None else None


def _kop_rows(ws: Any, f: Figures, office: Office) -> list[list[Any]]:
    compiled = moment_text(f.compiled_at, f.period.zone)
    rows: list[list[Any]] = [
        [_cell(ws, office.government, bold=True)],
        [_cell(ws, office.name, bold=True)],
    ]
    if office.address:
        rows.append([office.address])
    return [
        *rows,
        [],
        [_cell(ws, TITLE, bold=True)],
        [SUBTITLE],
        ["Nomor SOP", office.sop_number],
        ["Periode", f.period.text()],
        ["Keadaan data", compiled],
        [],
    ]


def _count_rows(ws: Any, title: str, counts: tuple[Count, ...], name: Any, total: Count) -> list[list[Any]]:
    rows: list[list[Any]] = [_header(ws, [title, "Diterima", "Dijawab", "Masih terbuka"])]
    rows += [[name(c.code), c.received, c.answered, c.open] for c in counts]
    rows.append([_cell(ws, v, bold=True) for v in ("Jumlah", total.received, total.answered, total.open)])
    return [*rows, []]


def _summary_sheet(wb: Workbook, f: Figures, office: Office) -> None:
    ws = wb.create_sheet("Ringkasan")
    _widths(ws, [38, 14, 14, 44])
    rows = _kop_rows(ws, f, office)
    t = f.totals
    if t.received == 0:
        rows += [[NO_INQUIRIES], []]
    else:
        share = f.steps_within / f.steps_closed if f.steps_closed else None
        rows += [
            _header(ws, ["Uraian", "Jumlah"]),
            ["Permohonan diterima", t.received],
            ["Permohonan dijawab", t.answered],
            ["Permohonan masih terbuka", t.open],
            ["Langkah selesai", f.steps_closed],
            ["Langkah selesai dalam waktu baku", f.steps_within],
            ["Langkah selesai dalam waktu baku (%)", _cell(ws, share, fmt=PERCENT)],
            ["Kasus melewati waktu baku", f.breached_cases],
            [],
            *_count_rows(ws, "Kanal media sosial", f.by_channel, lambda c: label(CHANNELS, c), t),
            *_count_rows(ws, "Topik permohonan", f.by_topic, lambda c: label(TOPICS, c), t),
            *_count_rows(ws, "Jalur SOP yang ditempuh", f.by_path, path_label, t),
            *_count_rows(ws, "Jenis layanan", f.by_service, lambda c: label(SERVICES, c), t),
        ]
    signed_on = f"{office.city}, {date_text(office_day(f.compiled_at, f.period.zone))}"
    rows += [
        [None, None, None, signed_on],
        [None, None, None, office.head_title + ","],
        [],
        [],
        [],
        [None, None, None, _cell(ws, office.signer, bold=True)],
        [None, None, None, office.nip],
    ]
    for row in rows:
        ws.append(row)


def _timing_cells(ws: Any, t: Timing) -> list[Any]:
    return [
        t.closed,
        t.within,
        _cell(ws, t.share_within, fmt=PERCENT),
        _cell(ws, t.median_minutes, fmt=MINUTES),
        _cell(ws, t.p90_minutes, fmt=MINUTES),
        t.breached,
        t.open,
    ]


def _holder_rows(
    ws: Any, rows: tuple[HolderTiming, ...], office: Office, with_officer: bool
) -> list[list[Any]]:
    return [
        ([neutralise(r.officer or "")] if with_officer else [])
        + [office.holder(r.role, None), *_timing_cells(ws, r.timing)]
        for r in rows
    ]


def _compliance_sheet(wb: Workbook, f: Figures, office: Office) -> None:
    ws = wb.create_sheet("Kepatuhan SOP")
    _widths(ws, [40, 30, 12, 12, 12, 14, 12, 12, 12])
    rows: list[list[Any]] = [
        [_cell(ws, "Kepatuhan terhadap waktu baku SOP per langkah", bold=True)],
        _header(ws, ["Langkah SOP", "Baku (menit)", *TIMING_HEADER]),
        *([step_label(s.step), s.standard_minutes, *_timing_cells(ws, s.timing)] for s in f.steps),
        [],
        [_cell(ws, "Menurut pelaksana", bold=True)],
        _header(ws, ["Pelaksana", *TIMING_HEADER]),
        *_holder_rows(ws, f.roles, office, with_officer=False),
        [],
        [_cell(ws, "Menurut petugas", bold=True)],
        _header(ws, ["Petugas", "Pelaksana", *TIMING_HEADER]),
        *_holder_rows(ws, f.officers, office, with_officer=True),
    ]
    for row in rows:
        ws.append(row)


def _rated_cells(ws: Any, r: Rated) -> list[Any]:
    return [r.responses, _cell(ws, r.mean, fmt=SCORE), _cell(ws, r.index, fmt=SCORE), grade_text(r.grade)]


def _satisfaction_sheet(wb: Workbook, f: Figures, office: Office) -> None:
    ws = wb.create_sheet("Kepuasan")
    _widths(ws, [36, 30, 14, 16, 14, 18])
    s = f.satisfaction
    rows: list[list[Any]] = [
        [_cell(ws, "Kepuasan masyarakat terhadap pelayanan (SKM)", bold=True)],
        [skm_note()],
        [],
        _header(ws, ["Uraian", "Nilai"]),
        ["Survei kepuasan terkirim", s.surveys_sent],
        ["Penilaian diterima", s.responses],
    ]
    if not s.responses:
        rows += [[], [NO_RATINGS]]
    else:
        rows += [
            ["Tingkat tanggapan", _cell(ws, s.response_rate, fmt=PERCENT)],
            ["Nilai rata-rata (1-5)", _cell(ws, s.mean, fmt=SCORE)],
            ["Indeks Kepuasan Masyarakat (25-100)", _cell(ws, s.index, fmt=SCORE)],
            ["Mutu pelayanan", grade_text(s.grade)],
            [],
            [_cell(ws, "Sebaran nilai", bold=True)],
            _header(ws, ["Nilai", "Arti", "Penilaian", "% penilaian"]),
            *(
                [score, RATING_WORDS[score], n, _cell(ws, n / s.responses, fmt=PERCENT)]
                for score, n in zip(SCORES, s.distribution, strict=True)
            ),
            [],
            [_cell(ws, "Menurut kanal media sosial", bold=True)],
            _header(ws, ["Kanal media sosial", *RATING_HEADER]),
            *([label(CHANNELS, r.code), *_rated_cells(ws, r)] for r in s.by_channel),
            [],
            [_cell(ws, "Menurut jenis layanan", bold=True)],
            _header(ws, ["Jenis layanan", *RATING_HEADER]),
            *([label(SERVICES, r.code), *_rated_cells(ws, r)] for r in s.by_service),
            [],
            [_cell(ws, "Menurut petugas yang menjawab (langkah terakhir sebelum langkah 8)", bold=True)],
            _header(ws, ["Petugas", "Pelaksana", *RATING_HEADER]),
            *(
                [
                    neutralise(r.code) if r.code else NO_OFFICER,
                    office.holder(r.role, None) if r.role else None,
                    *_rated_cells(ws, r),
                ]
                for r in s.by_officer
            ),
        ]
    for row in rows:
        ws.append(row)


def _daily_sheet(wb: Workbook, f: Figures) -> None:
    ws = wb.create_sheet("Harian")
    _widths(ws, [14, 12, 12, 16, 16, 14])
    header = ["Tanggal", "Diterima", "Dijawab", "Langkah selesai", "Dalam baku", "% dalam baku"]
    ws.append(_header(ws, header))
    for d in f.days:
        share = _cell(ws, d.share_within, fmt=PERCENT)
        ws.append(
            [
                _cell(ws, d.day, fmt="dd/mm/yyyy"),
                d.received,
                d.answered,
                d.steps_closed,
                d.steps_within,
                share,
            ]
        )
    if f.days:
        chart = BarChart()
        chart.title = "Permohonan diterima per hari"
        chart.legend = None
        chart.height, chart.width = 7.5, 24
        chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=len(f.days) + 1), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=len(f.days) + 1))
        ws.add_chart(chart, "H2")


def breach_header(zone_label: str) -> tuple[str, ...]:
    return (
        "No",
        "ID kasus",
        f"Diterima ({zone_label})",
        "Kanal",
        "Layanan",
        "Topik",
        "Langkah keterlambatan",
        "Pelaksana",
        "Petugas",
        "Baku (menit)",
        "Lewat (menit)",
        "Jumlah langkah terlambat",
    )


BREACH_WIDTHS = (7, 34, 17, 14, 20, 20, 36, 40, 18, 12, 12, 14)


def breach_row(n: int, b: Breach, office: Office, zone: ZoneInfo) -> list[Any]:
    return [
        n,
        b.inquiry_id,
        _local(b.received_at, zone),
        label(CHANNELS, b.channel),
        label(SERVICES, b.service),
        label(TOPICS, b.topic),
        step_label(b.step),
        office.holder(b.role, b.unit),
        neutralise(b.officer or ""),
        b.standard_minutes,
        round(b.over_minutes, 1),
        b.breached_steps,
    ]


def register_header(zone_label: str) -> tuple[str, ...]:
    return (
        "No",
        "ID kasus",
        "Nomor tiket",
        f"Diterima ({zone_label})",
        "Kanal",
        "Akun",
        "Nama",
        "Layanan",
        "Topik",
        "Jalur SOP",
        "Pertanyaan",
        "Status",
        f"Dijawab ({zone_label})",
        "Nilai kepuasan (1-5)",
        "Jumlah langkah terlambat",
        "Langkah keterlambatan",
        "Pelaksana",
        "Petugas",
        "Lewat (menit)",
    )


REGISTER_WIDTHS = (9, 34, 17, 17, 14, 20, 22, 20, 20, 16, 60, 10, 17, 11, 12, 36, 40, 18, 12)


def register_row(n: int, c: Case, office: Office, zone: ZoneInfo) -> list[Any]:
    return [
        n,
        c.inquiry_id,
        c.ticket,
        _local(c.received_at, zone),
        label(CHANNELS, c.channel),
        neutralise(c.account),
        neutralise(c.name or ""),
        label(SERVICES, c.service),
        label(TOPICS, c.topic),
        path_label(c.path),
        neutralise(c.text),
        c.status,
        _local(c.replied_at, zone),
        c.rating,
        c.breached_steps,
        step_label(c.late_step) if c.late_step else None,
        office.holder(c.late_role, c.late_unit) if c.late_role else None,
        neutralise(c.late_officer or ""),
        round(c.over_minutes, 1) if c.over_minutes is not None else None,
    ]


def stream_sheets(
    wb: Workbook, title: str, header: Sequence[str], widths: Sequence[float], rows: Iterator[list[Any]]
) -> None:
    """Stream rows into a sheet with a frozen, filterable header; past a sheet's limit into the next."""
    pending = next(rows, None)
    part = 1
    while True:
        ws = wb.create_sheet(title if part == 1 else f"{title} {part}")
        _widths(ws, widths)
        ws.freeze_panes = "C2"
        ws.append(_header(ws, header))
        written = 0
        while pending is not None and written < MAX_ROWS - 1:
            ws.append(pending)
            written += 1
            pending = next(rows, None)
        ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{written + 1}"
        if pending is None:
            return
        part += 1
