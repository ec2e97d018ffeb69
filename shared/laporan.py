"""The laporan (report of the requests received), compiled in SQL from the read-model.

Days are office days in WIB (Asia/Jakarta), as staff and the head of office read them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from shared.storage import report_cases

WIB = ZoneInfo("Asia/Jakarta")
CSV_HEADER = ("tanggal", "kanal", "topik", "jalur_sop", "diterima", "dijawab")


def office_day(moment: datetime) -> date:
    return moment.astimezone(WIB).date()


@dataclass(frozen=True)
class CountRow:
    day: date
    channel: str
    topic: str
    path: str
    received: int
    replied: int


def daily_counts(engine: Engine, first: date, last: date) -> list[CountRow]:
    """Inquiries received and answered per day, channel, topic and SOP path, `first`..`last`."""
    c = report_cases.c
    topic = sa.func.coalesce(c.topic, "belum_diklasifikasi")
    path = sa.func.coalesce(c.path, "belum_selesai")
    stmt = (
        sa.select(
            c.day,
            c.channel,
            topic.label("topic"),
            path.label("path"),
            sa.func.count().label("received"),
            sa.func.count(c.replied_at).label("replied"),
        )
        .where(c.day.between(first, last))
        .group_by(c.day, c.channel, topic, path)
        .order_by(c.day, c.channel, topic, path)
    )
    with engine.connect() as db:
        return [CountRow(*row) for row in db.execute(stmt)]


def write_csv(rows: list[CountRow], out: Path) -> None:
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_HEADER)
        for r in rows:
            writer.writerow((r.day.isoformat(), r.channel, r.topic, r.path, r.received, r.replied))
