"""The laporan as CSV: the register, one row per case, for anyone who works the data further.

Codes, not labels, so filters and pivot tables stay stable (`diterima_wib` and `dijawab_wib` keep
their names whatever `BAMSOS_TIMEZONE` says); times on the office's wall clock, in the period's
zone; UTF-8 with a byte-order mark so that Excel reads the names right. Text cells never start a
formula (`safe.neutralise`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from shared.laporan.register import Case
from shared.laporan.safe import neutralise

HEADER = (
    "id_kasus",
    "tiket",
    "diterima_wib",
    "kanal",
    "akun",
    "nama",
    "layanan",
    "topik",
    "jalur_sop",
    "pertanyaan",
    "status",
    "dijawab_wib",
    "nilai_kepuasan",
    "jumlah_langkah_terlambat",
    "langkah_keterlambatan",
    "pelaksana_keterlambatan",
    "unit_keterlambatan",
    "petugas_keterlambatan",
    "lewat_menit",
)


def _when(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if moment is not None else ""


def csv_row(case: Case, zone: ZoneInfo) -> list[str | int]:
    texts = (
        case.inquiry_id,
        case.ticket or "",
        _when(case.received_at, zone),
        case.channel,
        case.account,
        case.name or "",
        case.service or "",
        case.topic or "",
        case.path or "",
        case.text,
        case.status,
        _when(case.replied_at, zone),
    )
    late = (case.late_role or "", case.late_unit or "", case.late_officer or "")
    return [
        *(neutralise(t) for t in texts),
        case.rating if case.rating is not None else "",
        case.breached_steps,
        case.late_step or "",
        *(neutralise(t) for t in late),
        f"{case.over_minutes:.1f}" if case.over_minutes is not None else "",
    ]


def write_csv(cases: Iterable[Case], out: Path, zone: ZoneInfo) -> int:
    """Write the register; returns how many cases it holds."""
    written = 0
    with out.open("w", newline="", encoding="utf-8-sig") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for case in cases:
            writer.writerow(csv_row(case, zone))
            written += 1
    return written
