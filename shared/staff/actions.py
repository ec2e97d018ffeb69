"""The staff's work, as plain functions the terminal (`bamsos staff`) calls.

An officer takes the next case of their unit's queue — the oldest, as the SOP asks ("berdasarkan
urutan jam permohonan") — which records `taken_at` and their name on the control card (the SOP's
initialled receipt) and removes the task from the queue at once: nobody holds a delivery open while
working. The answer, escalation or finish is a `bamsos.task-result/1`, like any staff tool's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from shared.runtime import topology
from shared.runtime.errors import BamsosError
from shared.runtime.storage import handovers, inquiries, notices
from shared.runtime.worker import amqp, message_properties, to_json
from shared.sop.contracts import Outcome, Service, Task, TaskResult, Topic
from shared.sop.controlcard import mark_taken
from shared.sop.orgchart import OrgChart
from shared.sop.rules import STEP_NAMES

# The citizen notices as the card names them (their text is not kept).
NOTICE_NAMES = {
    "acknowledged": "tanda terima",
    "status": "jawaban cek status",
    "survey": "survei kepuasan",
    "thanks": "terima kasih atas penilaian",
    "unknown_ticket": "tiket tidak dikenal",
}


class Refused(BamsosError):
    """What an officer asked for can't be done (an unknown unit or task, a finished task, an empty
    answer): nothing was sent, and the message says why in Bahasa Indonesia. Not a dead letter."""


def office_time(moment: datetime | None, zone: ZoneInfo, *, named: bool = False) -> str:
    """A time on the office's clock as staff read it, "27-11-2026 22:10:00" ("-" if none); `named`
    adds the zone as staff name it ("… WIB")."""
    if moment is None:
        return "-"
    return moment.astimezone(zone).strftime("%d-%m-%Y %H:%M:%S" + (" %Z" if named else ""))


def unit_queue(unit: str, chart: OrgChart) -> str:
    """The queue of a unit (`admin`, `kasi.<seksi>`, …); Refused naming the valid units if unknown."""
    units = chart.unit_keys()
    if unit not in units:
        raise Refused(f"unit '{unit}' tidak dikenal; unit yang ada: {', '.join(units)}")
    return topology.TASK_QUEUE_PREFIX + unit


def _unit_filter(unit: str) -> sa.ColumnElement[bool]:
    role, _, code = unit.partition(".")
    h = handovers.c
    if role == "kasi":
        return sa.and_(h.to_role == role, h.seksi == code)
    if role == "kabid":
        return sa.and_(h.to_role == role, h.bidang == code)
    return h.to_role == role


@dataclass(frozen=True)
class QueueView:
    waiting: int
    oldest_handed_at: datetime | None
    oldest_standard_seconds: int | None
    held: list[tuple[str, str, datetime]]  # (task id, officer, taken at)


def queue_view(engine: Engine, amqp_url: str, unit: str, chart: OrgChart) -> QueueView:
    queue = unit_queue(unit, chart)
    connection = amqp.connect(amqp_url)
    try:
        waiting = int(connection.channel().queue_declare(queue, passive=True).method.message_count)
    finally:
        connection.close()
    h = handovers.c
    open_here = sa.and_(_unit_filter(unit), h.task_id.is_not(None), h.done_at.is_(None))
    with engine.connect() as db:
        oldest = db.execute(
            sa.select(h.handed_at, h.standard_seconds)
            .where(open_here, h.taken_at.is_(None))
            .order_by(h.handed_at)
            .limit(1)
        ).one_or_none()
        held = db.execute(
            sa.select(h.task_id, h.officer, h.taken_at).where(open_here, h.taken_at.is_not(None))
        ).all()
    return QueueView(
        waiting=waiting,
        oldest_handed_at=oldest.handed_at if oldest else None,
        oldest_standard_seconds=oldest.standard_seconds if oldest else None,
        held=[(r.task_id, r.officer or "-", r.taken_at) for r in held],
    )


@dataclass(frozen=True)
class StaffTask:
    """A task as an officer's screen shows it: its step on the control card and its case."""

    task_id: str
    inquiry_id: str
    step: int
    to_role: str
    seksi: str | None
    bidang: str | None
    handed_at: datetime
    due_at: datetime
    standard_seconds: int
    officer: str | None
    taken_at: datetime | None
    done_at: datetime | None
    ticket: str | None
    channel: str
    service: str | None
    topic: str | None
    name: str | None
    text: str

    @property
    def unit(self) -> str:
        """The unit (queue key) the task was handed to: `admin`, `kasi.<seksi>`, `kabid.<bidang>`…"""
        if self.to_role == "kasi":
            return f"kasi.{self.seksi}"
        if self.to_role == "kabid":
            return f"kabid.{self.bidang}"
        return self.to_role


def _staff_tasks() -> sa.Select[tuple[object, ...]]:
    h, i = handovers.c, inquiries.c
    return sa.select(
        h.task_id,
        h.inquiry_id,
        h.step,
        h.to_role,
        h.seksi,
        h.bidang,
        h.handed_at,
        h.due_at,
        h.standard_seconds,
        h.officer,
        h.taken_at,
        h.done_at,
        i.ticket,
        i.channel,
        i.service,
        i.topic,
        i.name,
        i.text,
    ).join(inquiries, i.inquiry_id == h.inquiry_id)


def open_tasks(engine: Engine, unit: str, chart: OrgChart) -> list[StaffTask]:
    """The unit's tasks not yet done, waiting and held alike, oldest first, from the control card
    (a breach notice is not a task: it is not listed). Refused if the unit is unknown."""
    unit_queue(unit, chart)
    h = handovers.c
    with engine.connect() as db:
        rows = db.execute(
            _staff_tasks()
            .where(_unit_filter(unit), h.task_id.is_not(None), h.done_at.is_(None))
            .order_by(h.handed_at, h.id)
        ).all()
    return [StaffTask(**row._asdict()) for row in rows]


def find_task(engine: Engine, task_id: str) -> StaffTask | None:
    """A task by its id, done or not; None if no task has it."""
    with engine.connect() as db:
        row = db.execute(_staff_tasks().where(handovers.c.task_id == task_id)).one_or_none()
    return StaffTask(**row._asdict()) if row else None


def take_next(engine: Engine, amqp_url: str, unit: str, officer: str, chart: OrgChart) -> Task | None:
    """Take the oldest case of the unit (None when the queue is empty).

    A breach notice is returned as read. A task already taken or finished (a copy sent twice) is
    dropped and the next one taken. If the database can't record the receipt, the task stays queued.
    """
    queue = unit_queue(unit, chart)
    connection = amqp.connect(amqp_url)
    try:
        channel = connection.channel()
        while True:
            method, _props, body = channel.basic_get(queue, auto_ack=False)
            if method is None:
                return None
            task = Task.model_validate_json(body)
            if task.kind == "notice":
                channel.basic_ack(method.delivery_tag)
                return task
            with engine.begin() as db:
                taken = mark_taken(db, task.task_id, officer)
            channel.basic_ack(method.delivery_tag)
            if taken:
                return task
    finally:
        connection.close()


def send_result(
    engine: Engine,
    amqp_url: str,
    task_id: str,
    *,
    officer: str,
    outcome: Outcome,
    text: str | None = None,
    topic: Topic | None = None,
    service: Service | None = None,
    now: datetime,
    zone: ZoneInfo,
) -> TaskResult:
    """Publish an officer's result (confirmed, persistent); refused before publishing if it can't count."""
    with engine.connect() as db:
        row = db.execute(sa.select(handovers.c.done_at).where(handovers.c.task_id == task_id)).one_or_none()
    if row is None:
        raise Refused(f"tugas {task_id} tidak ditemukan")
    if row.done_at is not None:
        raise Refused(f"tugas {task_id} sudah selesai pada {office_time(row.done_at, zone)}")
    if outcome is not Outcome.escalated and not (text and text.strip()):
        raise Refused("jawaban untuk pemohon tidak boleh kosong")
    result = TaskResult(
        task_id=task_id, officer=officer, outcome=outcome, text=text, at=now, topic=topic, service=service
    )
    properties = message_properties(uuid.uuid4().hex, "bamsos.staff")
    # RabbitMQ refuses a user_id that is not the connection's user, so the router can trust it.
    properties.user_id = amqp.username(amqp_url)
    connection = amqp.connect(amqp_url)
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_publish(
            topology.EVENTS, topology.TASK_RESULT, to_json(result), properties, mandatory=True
        )
    finally:
        connection.close()
    return result


# `bamsos staff alihkan --ke`: where a case between the document steps goes, the topic the
# officer's escalation sets, and the step and roles that may send it there.
REROUTES: dict[str, tuple[Topic, int, tuple[str, ...]]] = {
    "loket": (Topic.dokumen_terbit, 6, ("kasi", "kabid")),  # found issued: the pickup desk (7)
    "kasi": (Topic.belum_terbit, 7, ("pickup",)),  # found not ready: back to the section head (6)
}


def reroute(
    engine: Engine,
    amqp_url: str,
    task_id: str,
    *,
    officer: str,
    to: str,
    service: Service | None = None,
    now: datetime,
    zone: ZoneInfo,
) -> TaskResult:
    """Re-route a case by its document's real state: a kasi or kabid holding step 6 finds it issued
    (`to="loket"`, the pickup desk), the pickup desk finds it not ready (`to="kasi"`, back to the
    section head of the case's service). An escalated result with the topic set, like any other."""
    if to not in REROUTES:
        raise Refused(f"tujuan '{to}' tidak dikenal; pilih: {', '.join(REROUTES)}")
    topic, step, roles = REROUTES[to]
    h = handovers.c
    with engine.connect() as db:
        row = db.execute(
            sa.select(h.step, h.to_role, inquiries.c.service)
            .join(inquiries, inquiries.c.inquiry_id == h.inquiry_id)
            .where(h.task_id == task_id)
        ).one_or_none()
    if row is None:
        raise Refused(f"tugas {task_id} tidak ditemukan")
    if row.step != step or row.to_role not in roles:
        held = f"tugas {task_id} adalah langkah {row.step} ({row.to_role})"
        if to == "loket":
            raise Refused(
                f"{held}; hanya kasi atau kabid yang memegang langkah 6 (dokumen belum terbit) "
                "dapat mengalihkannya ke loket pengambilan"
            )
        raise Refused(f"{held}; hanya loket pengambilan (langkah 7) yang dapat mengembalikannya ke kasi")
    if to == "kasi" and service is None and row.service is None:
        raise Refused("layanan kasus belum diketahui; sebutkan --layanan agar kasus sampai ke kasi terkait")
    return send_result(
        engine,
        amqp_url,
        task_id,
        officer=officer,
        outcome=Outcome.escalated,
        topic=topic,
        service=service,
        now=now,
        zone=zone,
    )


def case_text(engine: Engine, inquiry_id: str) -> str:
    with engine.connect() as db:
        return str(db.scalar(sa.select(inquiries.c.text).where(inquiries.c.inquiry_id == inquiry_id)) or "")


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


def control_card(engine: Engine, case_or_task_id: str, zone: ZoneInfo) -> list[str]:
    """A case's control card as lines of a table, times on the office's clock (`zone`), ending with
    where the delay happened. The case may be named by its id, a task's id or its ticket."""
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
    lines = [
        f"KARTU KENDALI  kasus {inquiry_id}" + (f"  tiket {ticket}" if ticket else ""),
        f"{'langkah':<40} {'dari -> ke':<36} {'petugas':<18} {'diserahkan':<19} {'diterima':<19} "
        f"{'batas':<19} {'selesai':<19} {'waktu/baku':>12}",
    ]
    worst = None
    paused: list[str] = []
    for r in rows:
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
        if (r.due_at - r.handed_at).total_seconds() > r.standard_seconds:
            # The office calendar paused the clock: handed over at night, on a weekend or holiday.
            paused.append(str(r.step))
        # A step still open counts the time past its due moment so far (the laporan does the same).
        if r.duration_seconds is not None:
            over = r.duration_seconds - r.standard_seconds
        else:
            over = (datetime.now(UTC) - r.due_at).total_seconds()
        if r.breached and (worst is None or over > worst[0]):
            worst = (over, r)
    # What the card says beyond the times (e.g. a reply sent as a WhatsApp template).
    lines += [f"Catatan langkah {r.step}: {r.note}" for r in rows if r.note]
    if sent:
        told = ", ".join(
            f"{NOTICE_NAMES.get(n.kind, n.kind)} {office_time(n.created_at, zone)}" for n in sent
        )
        lines.append(f"Pemberitahuan ke pemohon: {told}.")
    if paused:
        lines.append(
            f"Diserahkan di luar jam kerja: langkah {', '.join(paused)}; waktu baku dihitung sejak jam "
            "kerja berikutnya (lihat kolom batas)."
        )
    if worst is None:
        lines.append(
            "Semua langkah selesai dalam waktu baku."
            if all(r.done_at for r in rows)
            else "Belum ada langkah yang melewati waktu baku."
        )
    else:
        over, r = worst
        holder = f"{r.officer} ({r.to_role})" if r.officer else r.to_role
        late = f"lewat {over / 60:.1f} menit"
        if r.duration_seconds is None:
            late = f"masih terbuka, {late}"
        lines.append(
            f"Keterlambatan terjadi pada langkah {r.step} ({STEP_NAMES[r.step]}), dipegang {holder}, "
            f"{late} dari baku {r.standard_seconds // 60} menit."
        )
    return lines
