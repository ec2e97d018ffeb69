"""The laporan as an XLSX workbook (`workbook`, which streams the register into the file):

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

from shared.laporan.bahasa import (
    CHANNELS,
    LEGACY_RATING_WORDS,
    NO_OFFICER,
    NO_RATINGS,
    RATING_HEADER,
    RATING_WORDS,
    SERVICES,
    TIMING_HEADER,
    TOPICS,
    grade_text,
    label,
    legacy_note,
    path_label,
    skm_note,
    step_label,
)
from shared.laporan.figures import LEGACY_SCORES, SCORES, Breach, Count, Figures, HolderTiming, Rated, Timing
from shared.laporan.office import Office
from shared.laporan.pdf import NO_INQUIRIES, SUBTITLE, TITLE
from shared.laporan.period import date_text, moment_text, office_day
from shared.laporan.register import Case
from shared.laporan.safe import neutralise
from shared.laporan.workbook import Book, Style, Styled
from shared.sop.citizen import SKM_SCALE

MAX_ROWS = 1_048_576  # an XLSX sheet's limit; a longer list goes on in "<name> 2", "<name> 3", ...


def write_xlsx(
    figures: Figures,
    office: Office,
    breaches: Iterable[Breach],
    cases: Iterable[Case],
    out: Path,
) -> None:
    with Book(out) as wb:
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


def _bold(value: Any) -> Styled:
    return Styled(value, Style.BOLD)


def _header(names: Sequence[str]) -> list[Styled]:
    return [Styled(n, Style.HEADER) for n in names]


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """Excel has no time zones: times are written as the office's wall-clock times."""
    return moment.astimezone(zone).replace(tzinfo=None) if moment is not None else None


def _kop_rows(f: Figures, office: Office) -> list[list[Any]]:
    compiled = moment_text(f.compiled_at, f.period.zone)
    rows: list[list[Any]] = [
        [_bold(office.government)],
        [_bold(office.name)],
    ]
    if office.address:
        rows.append([office.address])
    return [
        *rows,
        [],
        [_bold(TITLE)],
        [SUBTITLE],
        ["Nomor SOP", office.sop_number],
        ["Periode", f.period.text()],
        ["Keadaan data", compiled],
        [],
    ]


def _count_rows(
    title: str,
    counts: tuple[Count, ...],
    name: Any,
    total: Count,
    templates: dict[str | None, int] | None = None,
) -> list[list[Any]]:
    """Received, answered and open per code; with `templates`, the answers with a template too."""
    extra = templates is not None
    used = templates or {}
    header = [title, "Diterima", "Dijawab", "Masih terbuka"] + (["Dengan templat"] if extra else [])
    rows: list[list[Any]] = [_header(header)]
    rows += [
        [name(c.code), c.received, c.answered, c.open] + ([used.get(c.code, 0)] if extra else [])
        for c in counts
    ]
    last = ("Jumlah", total.received, total.answered, total.open) + ((sum(used.values()),) if extra else ())
    rows.append([_bold(v) for v in last])
    return [*rows, []]


def _summary_sheet(wb: Book, f: Figures, office: Office) -> None:
    ws = wb.sheet("Ringkasan", [38, 14, 14, 44])
    rows = _kop_rows(f, office)
    t = f.totals
    if t.received == 0:
        rows += [[NO_INQUIRIES], []]
    else:
        share = f.steps_within / f.steps_closed if f.steps_closed else None
        rows += [
            _header(["Uraian", "Jumlah"]),
            ["Permohonan diterima", t.received],
            ["Permohonan dijawab", t.answered],
            ["Permohonan masih terbuka", t.open],
            ["Langkah selesai", f.steps_closed],
            ["Langkah selesai dalam waktu baku", f.steps_within],
            ["Langkah selesai dalam waktu baku (%)", Styled(share, Style.PERCENT)],
            ["Kasus melewati waktu baku", f.breached_cases],
            [],
            *_count_rows("Kanal media sosial", f.by_channel, lambda c: label(CHANNELS, c), t),
            *_count_rows("Topik permohonan", f.by_topic, lambda c: label(TOPICS, c), t),
            *_count_rows("Jalur SOP yang ditempuh", f.by_path, path_label, t),
            *_count_rows("Jenis layanan", f.by_service, lambda c: label(SERVICES, c), t, f.templates_used),
        ]
    signed_on = f"{office.city}, {date_text(office_day(f.compiled_at, f.period.zone))}"
    rows += [
        [None, None, None, signed_on],
        [None, None, None, office.head_title + ","],
        [],
        [],
        [],
        [None, None, None, _bold(office.signer)],
        [None, None, None, office.nip],
    ]
    ws.extend(rows)


def _timing_cells(t: Timing) -> list[Any]:
    return [
        t.closed,
        t.within,
        Styled(t.share_within, Style.PERCENT),
        Styled(t.median_minutes, Style.MINUTES),
        Styled(t.p90_minutes, Style.MINUTES),
        t.breached,
        t.open,
    ]


def _holder_rows(rows: tuple[HolderTiming, ...], office: Office, with_officer: bool) -> list[list[Any]]:
    return [
        ([neutralise(r.officer or "")] if with_officer else [])
        + [office.holder(r.role, None), *_timing_cells(r.timing)]
        for r in rows
    ]


def _compliance_sheet(wb: Book, f: Figures, office: Office) -> None:
    ws = wb.sheet("Kepatuhan SOP", [40, 30, 12, 12, 12, 14, 12, 12, 12])
    rows: list[list[Any]] = [
        [_bold("Kepatuhan terhadap waktu baku SOP per langkah")],
        _header(["Langkah SOP", "Baku (menit)", *TIMING_HEADER]),
        *([step_label(s.step), s.standard_minutes, *_timing_cells(s.timing)] for s in f.steps),
        [],
        [_bold("Menurut pelaksana")],
        _header(["Pelaksana", *TIMING_HEADER]),
        *_holder_rows(f.roles, office, with_officer=False),
        [],
        [_bold("Menurut petugas")],
        _header(["Petugas", "Pelaksana", *TIMING_HEADER]),
        *_holder_rows(f.officers, office, with_officer=True),
    ]
    ws.extend(rows)


def _rated_cells(r: Rated) -> list[Any]:
    return [r.responses, Styled(r.mean, Style.SCORE), Styled(r.index, Style.SCORE), grade_text(r.grade)]


def _satisfaction_sheet(wb: Book, f: Figures, office: Office) -> None:
    ws = wb.sheet("Kepuasan", [36, 30, 14, 16, 14, 18])
    s = f.satisfaction
    rows: list[list[Any]] = [
        [_bold("Kepuasan masyarakat terhadap pelayanan (SKM)")],
        [skm_note()],
        [],
        _header(["Uraian", "Nilai"]),
        ["Survei kepuasan terkirim", s.surveys_sent],
        ["Penilaian diterima", s.responses],
    ]
    if not s.responses:
        rows += [[], [NO_RATINGS]]
    else:
        rows += [
            ["Tingkat tanggapan", Styled(s.response_rate, Style.PERCENT)],
            [f"Nilai rata-rata (1-{SKM_SCALE[1]})", Styled(s.mean, Style.SCORE)],
            ["Indeks Kepuasan Masyarakat (25-100)", Styled(s.index, Style.SCORE)],
            ["Mutu pelayanan", grade_text(s.grade)],
            [],
            [_bold("Sebaran nilai")],
            _header(["Nilai", "Arti", "Penilaian", "% penilaian"]),
            *(
                [score, RATING_WORDS[score], n, Styled(n / s.responses, Style.PERCENT)]
                for score, n in zip(SCORES, s.distribution, strict=True)
            ),
            *(
                [
                    f"{score} (1-5)",
                    f"{LEGACY_RATING_WORDS[score]} (skala lama)",
                    n,
                    Styled(n / s.responses, Style.PERCENT),
                ]
                for score, n in zip(LEGACY_SCORES, s.legacy, strict=True)
                if s.legacy_responses
            ),
            *([[legacy_note(s.legacy_responses)]] if s.legacy_responses else []),
            [],
            [_bold("Menurut kanal media sosial")],
            _header(["Kanal media sosial", *RATING_HEADER]),
            *([label(CHANNELS, r.code), *_rated_cells(r)] for r in s.by_channel),
            [],
            [_bold("Menurut jenis layanan")],
            _header(["Jenis layanan", *RATING_HEADER]),
            *([label(SERVICES, r.code), *_rated_cells(r)] for r in s.by_service),
            [],
            [_bold("Menurut petugas yang menjawab (langkah terakhir sebelum langkah 8)")],
            _header(["Petugas", "Pelaksana", *RATING_HEADER]),
            *(
                [
                    neutralise(r.code) if r.code else NO_OFFICER,
                    office.holder(r.role, None) if r.role else None,
                    *_rated_cells(r),
                ]
                for r in s.by_officer
            ),
        ]
    ws.extend(rows)


def _daily_sheet(wb: Book, f: Figures) -> None:
    ws = wb.sheet("Harian", [14, 12, 12, 16, 16, 14])
    header = ["Tanggal", "Diterima", "Dijawab", "Langkah selesai", "Dalam baku", "% dalam baku"]
    ws.append(_header(header))
    for d in f.days:
        share = Styled(d.share_within, Style.PERCENT)
        ws.append([d.day, d.received, d.answered, d.steps_closed, d.steps_within, share])
    if f.days:
        # Beside the table, from H2, 24 x 7.5 cm, the column "Diterima" over the days.
        ws.add_bar_chart("Permohonan diterima per hari", column=2, anchor=(7, 1), size_cm=(24, 7.5))


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
        "Nilai kepuasan (1-4; survei lama 1-5)",
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
    wb: Book, title: str, header: Sequence[str], widths: Sequence[float], rows: Iterator[list[Any]]
) -> None:
    """Stream rows into a sheet with a frozen, filterable header; past a sheet's limit into the next."""
    pending = next(rows, None)
    part = 1
    while True:
        # The first two columns (No, ID kasus) and the header stay in view.
        ws = wb.sheet(title if part == 1 else f"{title} {part}", widths, freeze=(2, 1))
        ws.append(_header(header))
        ws.add_filter(len(header))
        while pending is not None and ws.rows < MAX_ROWS:
            ws.append(pending)
            pending = next(rows, None)
        if pending is None:
            return
        part += 1
