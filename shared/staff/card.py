"""A case's control card as staff read it: its handovers in order, the citizen notices sent, and
what the card says beyond the times (notes, steps handed over outside office hours, the step where
the delay happened). The console shows the rows as a table; the terminal prints `lines()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from shared.runtime.storage import handovers, inquiries, notices
from shared.sop.rules import STEP_NAMES
from shared.staff.actions import Refused, office_time

# The citizen notices as the card names them (their text is not kept).
NOTICE_NAMES = {
    "acknowledged": "tanda terima",
    "status": "jawaban cek status",
    "survey": "survei kepuasan",
    "thanks": "terima kasih atas penilaian",
    "unknown_ticket": "tiket tidak dikenal",
}


def find_case(db: Connection, case_task_or_ticket: str) -> tuple[str, str | None] | None:
    """The case (its id and ticket) a case id, a task id or a ticket number names."""
    i, h = inquiries.c, handovers.c
    given = case_task_or_ticket.strip()
    by_task = sa.select(h.inquiry_id).where(h.task_id == given).scalar_subquery()
    found = db.execute(
        sa.select(i.inquiry_id, i.ticket).where(
            sa.or_(i.inquiry_id == given, i.ticket == given.upper(), i.inquiry_id == by_task)
        )
    ).first()
    return (found.inquiry_id, found.ticket) if found else None


def _over(row: Any, now: datetime) -> float:
    """Seconds past the standard; a step still open counts the time past its due moment so far
    (the laporan does the same)."""
    if row.duration_seconds is not None:
        done: float = row.duration_seconds - row.standard_seconds
        return done
    so_far: float = (now - row.due_at).total_seconds()
    return so_far


@dataclass(frozen=True)
class ControlCard:
    """A case's card: `rows` are its handovers (rows of the `handovers` table) in order; `worst`
    the breached row most over its standard (where the delay happened), if any."""

    inquiry_id: str
    ticket: str | None
    rows: list[Any]
    sent: list[tuple[str, datetime]]  # the citizen notices: (kind, sent at)
    worst: Any | None
    worst_over: float
    zone: ZoneInfo

    def notes(self) -> list[str]:
        """What the card says beyond the times, as sentences."""
        zone, rows = self.zone, self.rows
        # E.g. a reply sent as a WhatsApp template.
        out = [f"Catatan langkah {r.step}: {r.note}" for r in rows if r.note]
        if self.sent:
            told = ", ".join(
                f"{NOTICE_NAMES.get(kind, kind)} {office_time(at, zone)}" for kind, at in self.sent
            )
            out.append(f"Pemberitahuan ke pemohon: {told}.")
        # The office calendar paused the clock: handed over at night, on a weekend or holiday.
        paused = [str(r.step) for r in rows if (r.due_at - r.handed_at).total_seconds() > r.standard_seconds]
        if paused:
            out.append(
                f"Diserahkan di luar jam kerja: langkah {', '.join(paused)}; waktu baku dihitung sejak jam "
                "kerja berikutnya (lihat kolom batas)."
            )
        r = self.worst
        if r is None:
            done = all(row.done_at for row in rows)
            out.append(
                "Semua langkah selesai dalam waktu baku."
                if done
                else "Belum ada langkah yang melewati waktu baku."
            )
            return out
        holder = f"{r.officer} ({r.to_role})" if r.officer else r.to_role
        late = f"lewat {self.worst_over / 60:.1f} menit"
        if r.duration_seconds is None:
            late = f"masih terbuka, {late}"
        out.append(
            f"Keterlambatan terjadi pada langkah {r.step} ({STEP_NAMES[r.step]}), dipegang {holder}, "
            f"{late} dari baku {r.standard_seconds // 60} menit."
        )
        return out

    def lines(self) -> list[str]:
        """The card as a printed table, then its notes (`bamsos staff kartu`)."""
        zone = self.zone
        lines = [
            f"KARTU KENDALI  kasus {self.inquiry_id}" + (f"  tiket {self.ticket}" if self.ticket else ""),
            f"{'langkah':<40} {'dari -> ke':<36} {'petugas':<18} {'diserahkan':<19} {'diterima':<19} "
            f"{'batas':<19} {'selesai':<19} {'waktu/baku':>12}",
        ]
        for r in self.rows:
            code = r.bidang if r.to_role == "kabid" else r.seksi
            unit = f" ({code})" if code else ""
            minutes = f"{r.duration_seconds / 60:.1f}" if r.duration_seconds is not None else "…"
            mark = "  TERLAMBAT" if r.breached else ""
            lines.append(
                f"{r.step}. {STEP_NAMES[r.step]:<37} {r.from_role + ' -> ' + r.to_role + unit:<36} "
                f"{(r.officer or '-')[:18]:<18} {office_time(r.handed_at, zone):<19} "
                f"{office_time(r.taken_at, zone):<19} {office_time(r.due_at, zone):<19} "
                f"{office_time(r.done_at, zone):<19} "
                f"{minutes + '/' + str(r.standard_seconds // 60) + ' mnt':>12}{mark}"
            )
        return lines + self.notes()


def control_card(engine: Engine, case_or_task_id: str, zone: ZoneInfo) -> ControlCard:
    """A case's control card, times on the office's clock (`zone`). The case may be named by its
    id, a task's id or its ticket; Refused if none has it."""
    h = handovers.c
    with engine.connect() as db:
        found = find_case(db, case_or_task_id)
        if found is None:
            raise Refused(f"kasus, tugas atau tiket {case_or_task_id} tidak ditemukan")
        inquiry_id, ticket = found
        rows = db.execute(sa.select(handovers).where(h.inquiry_id == inquiry_id).order_by(h.id)).all()
        sent = db.execute(
            sa.select(notices.c.kind, notices.c.created_at)
            .where(notices.c.inquiry_id == inquiry_id)
            .order_by(notices.c.created_at)
        ).all()
    if not rows:
        raise Refused(f"kasus atau tugas {case_or_task_id} tidak ditemukan")
    now = datetime.now(UTC)
    breached = [(_over(r, now), r) for r in rows if r.breached]
    # The first of equals, as the card always named it.
    worst = max(breached, key=lambda pair: pair[0], default=None)
    return ControlCard(
        inquiry_id=inquiry_id,
        ticket=ticket,
        rows=list(rows),
        sent=[(n.kind, n.created_at) for n in sent],
        worst=worst[1] if worst else None,
        worst_over=worst[0] if worst else 0.0,
        zone=zone,
    )
