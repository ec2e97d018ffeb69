"""The laporan as the PDF the head of office signs (reportlab), in Bahasa Indonesia:

kop surat and title; A. summary; B. inquiries by channel, topic, SOP path and service; C. each SOP
step against its standard; D. per role and per officer; E. the citizens' satisfaction (SKM) with the
service, by channel, service and the officer who answered; F. the daily chart; the closing and the
signature block; then the lampiran: the cases that ran over a standard and where the delay happened.

No personal data of citizens: cases go by their id, which `bamsos staff kartu` opens.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.platypus import KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer

from shared.laporan.bahasa import (
    CHANNELS,
    DASH,
    LEGACY_RATING_WORDS,
    NO_OFFICER,
    NO_RATINGS,
    RATING_WORDS,
    SERVICES,
    TIMING_HEADER,
    TOPICS,
    count_text,
    decimal_text,
    grade_text,
    label,
    legacy_note,
    path_label,
    percent_text,
    skm_note,
    step_label,
)
from shared.laporan.chart import daily_chart
from shared.laporan.figures import LEGACY_SCORES, SCORES, Count, Figures, HolderTiming, Rated, Timing
from shared.laporan.office import Office
from shared.laporan.pdf_parts import (
    BODY,
    CAPTION,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    WIDTH,
    footer,
    heading,
    kop,
    opening,
    ruled_table,
    side_by_side,
    signature,
    title_block,
)
from shared.laporan.period import moment_text, office_day
from shared.sop.citizen import SKM_SCALE

TITLE = "LAPORAN PELAYANAN INFORMASI MELALUI MEDIA SOSIAL"
SUBTITLE = "Bantuan Informasi dan Penggunaan Media Layanan Melalui Media Sosial (BAMSOS)"
NO_INQUIRIES = "Tidak ada permohonan yang diterima pada periode ini."
CLOSING = "Demikian laporan ini dibuat dengan sebenarnya untuk dapat dipergunakan sebagaimana mestinya."

_TIMING_WIDTHS = [1.5 * cm, 1.6 * cm, 1.6 * cm, 1.6 * cm, 1.5 * cm, 1.6 * cm, 1.5 * cm]


def write_pdf(figures: Figures, office: Office, out: Path) -> None:
    """Render twice: the first pass counts the pages, so each footer can say "Halaman 2 dari 3"."""
    pages = _render(figures, office, io.BytesIO(), total=None)
    with out.open("wb") as f:
        _render(figures, office, f, total=pages)


def _render(figures: Figures, office: Office, target: Any, total: int | None) -> int:
    doc = SimpleDocTemplate(
        target,
        pagesize=A4,
        leftMargin=MARGIN_LEFT,
        rightMargin=MARGIN_RIGHT,
        topMargin=1.5 * cm,
        bottomMargin=2 * cm,
        title=f"{TITLE} - {figures.period.text()}",
        author=office.name.title(),
        subject=f"SOP {office.sop_number}",
    )
    seen = [0]
    draw = footer(f"Laporan BAMSOS {figures.period.text()}", total, seen)
    doc.build(_story(figures, office), onFirstPage=draw, onLaterPages=draw)
    return seen[0]


def _story(f: Figures, office: Office) -> list[Any]:
    compiled = moment_text(f.compiled_at, f.period.zone)
    facts = [("Nomor SOP", office.sop_number), ("Periode", f.period.text()), ("Keadaan data", compiled)]
    story: list[Any] = [*kop(office), *title_block(TITLE, SUBTITLE, facts)]
    if f.totals.received == 0:
        last = [heading("A. RINGKASAN"), Paragraph(NO_INQUIRIES, BODY)]
    else:
        story += [
            *_summary(f),
            *_volumes(f),
            *_compliance(f),
            *_holders(f, office),
            *_satisfaction(f, office),
        ]
        last = _chart(f)
    # As in any official letter, the signature goes with the text above it: the closing and the
    # signature block move to a new page only together with the last section (short, by design).
    signed_on = office_day(f.compiled_at, f.period.zone)
    story.append(KeepTogether([*last, Spacer(1, 10), Paragraph(CLOSING, BODY), signature(office, signed_on)]))
    if f.breached_cases:
        story += _lampiran(f, office)
    return story


def _summary(f: Figures) -> list[Any]:
    t = f.totals
    share = f.steps_within / f.steps_closed if f.steps_closed else None
    text = (
        f"Pada periode ini diterima <b>{count_text(t.received)}</b> permohonan informasi melalui media "
        f"sosial; <b>{count_text(t.answered)}</b> telah dijawab dan <b>{count_text(t.open)}</b> masih "
        f"terbuka. Dari {count_text(f.steps_closed)} langkah yang telah selesai, "
        f"<b>{percent_text(share)}</b> selesai dalam waktu baku SOP; "
        f"<b>{count_text(f.breached_cases)}</b> kasus melewati waktu baku pada salah satu langkahnya"
        + (" (rincian pada Lampiran)." if f.breached_cases else ".")
    )
    rows = [
        ["Permohonan diterima", count_text(t.received)],
        ["Permohonan dijawab", count_text(t.answered)],
        ["Permohonan masih terbuka", count_text(t.open)],
        ["Langkah selesai", count_text(f.steps_closed)],
        ["Langkah selesai dalam waktu baku", count_text(f.steps_within)],
        ["Kasus melewati waktu baku", count_text(f.breached_cases)],
    ]
    table = ruled_table(["Uraian", "Jumlah"], rows, [9 * cm, 3 * cm], numbers_from=1)
    return [opening("A. RINGKASAN", Paragraph(text, BODY)), Spacer(1, 6), table]


def _count_table(
    title: str,
    counts: tuple[Count, ...],
    name: Callable[[str | None], str],
    total: Count,
    templates: dict[str | None, int] | None = None,
) -> Any:
    """Received, answered and open per code; with `templates`, also the answers sent with a
    template inserted (the service table)."""
    extra = templates is not None
    rows = [
        [name(c.code), count_text(c.received), count_text(c.answered), count_text(c.open)]
        + ([count_text((templates or {}).get(c.code, 0))] if extra else [])
        for c in counts
    ]
    rows.append(
        ["Jumlah", count_text(total.received), count_text(total.answered), count_text(total.open)]
        + ([count_text(sum((templates or {}).values()))] if extra else [])
    )
    numbers = [1.6 * cm] * (4 if extra else 3)
    widths = [WIDTH / 2 - 0.3 * cm - sum(numbers), *numbers]
    header = [title, "Diterima", "Dijawab", "Terbuka"] + (["Templat"] if extra else [])
    return ruled_table(header, rows, widths, numbers_from=1, total=True)


def _volumes(f: Figures) -> list[Any]:
    channel = _count_table("Kanal media sosial", f.by_channel, lambda c: label(CHANNELS, c), f.totals)
    topic = _count_table("Topik permohonan", f.by_topic, lambda c: label(TOPICS, c), f.totals)
    path = _count_table("Jalur SOP yang ditempuh", f.by_path, path_label, f.totals)
    service = _count_table(
        "Jenis layanan", f.by_service, lambda c: label(SERVICES, c), f.totals, f.templates_used
    )
    return [
        opening("B. PERMOHONAN MENURUT KANAL, TOPIK, JALUR SOP DAN LAYANAN", side_by_side(channel, topic)),
        Spacer(1, 8),
        side_by_side(path, service),
    ]


def _timing_cells(t: Timing) -> list[str]:
    return [
        count_text(t.closed),
        count_text(t.within),
        percent_text(t.share_within),
        decimal_text(t.median_minutes),
        decimal_text(t.p90_minutes),
        count_text(t.breached),
        count_text(t.open),
    ]


def _compliance(f: Figures) -> list[Any]:
    rows = [
        [step_label(s.step), decimal_text(s.standard_minutes, 0), *_timing_cells(s.timing)] for s in f.steps
    ]
    widths = [WIDTH - sum(_TIMING_WIDTHS) - 1.5 * cm, 1.5 * cm, *_TIMING_WIDTHS]
    table = ruled_table(["Langkah SOP", "Baku (menit)", *TIMING_HEADER], rows, widths, numbers_from=1)
    note = (
        "Waktu tiap langkah dihitung dari serah terima sampai selesai menurut kartu kendali, dalam waktu "
        "kerja kantor. Median: separuh langkah selesai dalam waktu ini atau kurang; P90: 90% langkah "
        "selesai dalam waktu ini atau kurang."
    )
    return [
        opening(
            "C. KEPATUHAN TERHADAP WAKTU BAKU SOP PER LANGKAH", table, Spacer(1, 3), Paragraph(note, CAPTION)
        )
    ]


def _holder_rows(rows: tuple[HolderTiming, ...], office: Office, with_officer: bool) -> list[list[str]]:
    return [
        ([r.officer or ""] if with_officer else []) + [office.holder(r.role, None), *_timing_cells(r.timing)]
        for r in rows
    ]


def _holders(f: Figures, office: Office) -> list[Any]:
    role_widths = [WIDTH - sum(_TIMING_WIDTHS), *_TIMING_WIDTHS]
    roles = ruled_table(
        ["Pelaksana", *TIMING_HEADER], _holder_rows(f.roles, office, False), role_widths, numbers_from=1
    )
    story: list[Any] = [opening("D. KEPATUHAN MENURUT PELAKSANA DAN PETUGAS", roles)]
    story.append(Spacer(1, 8))
    if f.officers:
        widths = [3.2 * cm, WIDTH - sum(_TIMING_WIDTHS) - 3.2 * cm, *_TIMING_WIDTHS]
        header = ["Petugas", "Pelaksana", *TIMING_HEADER]
        story.append(ruled_table(header, _holder_rows(f.officers, office, True), widths, numbers_from=2))
    else:
        story.append(Paragraph("Tidak ada langkah yang diparaf petugas pada periode ini.", BODY))
    return story


def _score_cells(r: Rated, words: bool) -> list[str]:
    grade = grade_text(r.grade) if words else (r.grade[0] if r.grade else DASH)
    return [count_text(r.responses), decimal_text(r.mean, 2), decimal_text(r.index, 2), grade]


def _rated_table(title: str, rows: tuple[Rated, ...], name: Callable[[str | None], str]) -> Any:
    cells = [[name(r.code), *_score_cells(r, words=False)] for r in rows]
    widths = [WIDTH / 2 - 0.3 * cm - 5.2 * cm, 1.4 * cm, 1.4 * cm, 1.4 * cm, 1.0 * cm]
    header = [title, "Penilaian", "Rata-rata", "Indeks", "Mutu"]
    return ruled_table(header, cells, widths, numbers_from=1)


def _satisfaction(f: Figures, office: Office) -> list[Any]:
    s = f.satisfaction
    title = "E. KEPUASAN MASYARAKAT TERHADAP PELAYANAN"
    if not s.responses:
        sent = (
            f"Survei kepuasan telah dikirim kepada {count_text(s.surveys_sent)} pemohon setelah "
            "jawaban diterima. "
            if s.surveys_sent
            else ""
        )
        return [opening(title, Paragraph(sent + NO_RATINGS, BODY))]
    text = (
        f"Dari <b>{count_text(s.surveys_sent)}</b> survei kepuasan yang dikirim setelah jawaban diterima, "
        f"<b>{count_text(s.responses)}</b> dijawab (<b>{percent_text(s.response_rate)}</b>). Nilai "
        f"rata-rata <b>{decimal_text(s.mean, 2)}</b> dari {SKM_SCALE[1]}, atau Indeks Kepuasan Masyarakat "
        f"<b>{decimal_text(s.index, 2)}</b>: mutu pelayanan <b>{grade_text(s.grade)}</b>."
    )
    summary = ruled_table(
        ["Uraian", "Nilai"],
        [
            ["Survei kepuasan terkirim", count_text(s.surveys_sent)],
            ["Penilaian diterima", count_text(s.responses)],
            ["Tingkat tanggapan", percent_text(s.response_rate)],
            [f"Nilai rata-rata (1{DASH}{SKM_SCALE[1]})", decimal_text(s.mean, 2)],
            [f"Indeks Kepuasan Masyarakat (25{DASH}100)", decimal_text(s.index, 2)],
            ["Mutu pelayanan", grade_text(s.grade)],
        ],
        [WIDTH / 2 - 0.3 * cm - 2.6 * cm, 2.6 * cm],
        numbers_from=1,
    )
    spread = [
        [str(score), RATING_WORDS[score], count_text(n), percent_text(n / s.responses)]
        for score, n in zip(SCORES, s.distribution, strict=True)
    ]
    spread += [
        [
            str(score),
            f"{LEGACY_RATING_WORDS[score]} (skala lama 1{DASH}5)",
            count_text(n),
            percent_text(n / s.responses),
        ]
        for score, n in zip(LEGACY_SCORES, s.legacy, strict=True)
        if s.legacy_responses
    ]
    spread.append(["", "Jumlah", count_text(s.responses), percent_text(1.0)])
    distribution = ruled_table(
        ["Nilai", "Arti", "Penilaian", "%"],
        spread,
        [1.0 * cm, WIDTH / 2 - 0.3 * cm - 4.2 * cm, 1.6 * cm, 1.6 * cm],
        numbers_from=2,
        total=True,
    )
    channel = _rated_table("Kanal media sosial", s.by_channel, lambda c: label(CHANNELS, c))
    service = _rated_table("Jenis layanan", s.by_service, lambda c: label(SERVICES, c))
    officers = [
        [r.code or NO_OFFICER, office.holder(r.role, None) if r.role else DASH, *_score_cells(r, words=True)]
        for r in s.by_officer
    ]
    number_widths = [1.6 * cm, 1.8 * cm, 1.6 * cm, 2.4 * cm]
    officer_widths = [3.2 * cm, WIDTH - 3.2 * cm - sum(number_widths), *number_widths]
    officer_header = [
        "Petugas yang menjawab",
        "Pelaksana",
        "Penilaian",
        f"Rata-rata (1{DASH}{SKM_SCALE[1]})",
        "Indeks SKM",
        "Mutu",
    ]
    officer_note = (
        "Petugas yang menjawab: pemegang langkah terakhir sebelum jawaban dikirim (langkah 8) menurut "
        "kartu kendali, yang hasilnya menjadi jawaban."
    )
    return [
        opening(
            title,
            Paragraph(text, BODY),
            Spacer(1, 3),
            Paragraph(skm_note(), CAPTION),
            *([Paragraph(legacy_note(s.legacy_responses), CAPTION)] if s.legacy_responses else []),
            Spacer(1, 6),
            side_by_side(summary, distribution),
        ),
        Spacer(1, 8),
        side_by_side(channel, service),
        Spacer(1, 8),
        KeepTogether(
            [
                ruled_table(officer_header, officers, officer_widths, numbers_from=2),
                Spacer(1, 3),
                Paragraph(officer_note, CAPTION),
            ]
        ),
    ]


def _chart(f: Figures) -> list[Any]:
    caption = f"Menurut tanggal diterimanya permohonan ({f.period.zone_label})."
    return [
        heading("F. GRAFIK HARIAN PERMOHONAN DAN KEPATUHAN"),
        daily_chart(f.days, WIDTH),
        Paragraph(caption, CAPTION),
    ]


def _lampiran(f: Figures, office: Office) -> list[Any]:
    intro = (
        f"Sebanyak {count_text(f.breached_cases)} kasus melewati waktu baku. Untuk tiap kasus disebut "
        "langkah dengan kelebihan waktu terbesar menurut kartu kendali (letak keterlambatan), siapa yang "
        "memegangnya, dan berapa menit melewati waktu baku; urut dari yang terbesar."
    )
    if f.breached_cases > len(f.worst):
        intro += (
            f" Ditampilkan {count_text(len(f.worst))} kasus teratas; daftar lengkap ada pada laporan "
            "format XLSX (lembar Keterlambatan) atau CSV."
        )
    rows = [
        [
            str(n),
            b.inquiry_id,
            b.received_at.astimezone(f.period.zone).strftime("%d/%m/%Y %H.%M"),
            step_label(b.step),
            office.holder(b.role, b.unit),
            b.officer or "",
            decimal_text(b.over_minutes),
        ]
        for n, b in enumerate(f.worst, 1)
    ]
    header = [
        "No",
        "ID kasus",
        f"Diterima ({f.period.zone_label})",
        "Langkah",
        "Pelaksana",
        "Petugas",
        "Lewat (mnt)",
    ]
    widths = [0.8 * cm, 5.1 * cm, 1.9 * cm, 3.0 * cm, 3.1 * cm, 1.5 * cm, 1.1 * cm]
    return [
        PageBreak(),
        heading("LAMPIRAN: KASUS YANG MELEWATI WAKTU BAKU SOP"),
        Paragraph(f"Periode: {f.period.text()}", BODY),
        Spacer(1, 4),
        Paragraph(intro, BODY),
        Spacer(1, 6),
        ruled_table(header, rows, widths, numbers_from=6),
    ]
