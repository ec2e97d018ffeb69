"""The staff's work, as plain functions both front ends call: the terminal (`bamsos staff`) and
the web console (`services/console`).

An officer takes the next case of their unit's queue — the oldest, as the SOP asks ("berdasarkan
urutan jam permohonan") — which records `taken_at` and their name on the control card (the SOP's
initialled receipt) and removes the task from the queue at once: nobody holds a delivery open while
working. The answer, escalation or finish is a `bamsos.task-result/1`, like any staff tool's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from shared.runtime import topology
from shared.runtime.errors import BamsosError
from shared.runtime.storage import handovers, inquiries
from shared.runtime.worker import amqp, message_properties, to_json
from shared.sop.contracts import Outcome, Role, Service, Task, TaskResult, Topic
from shared.sop.controlcard import mark_taken
from shared.sop.orgchart import OrgChart
from shared.sop.units import Unit
from shared.staff.vocabulary import OUTCOMES, REROUTES, Action


class Refused(BamsosError):
    """What an officer asked for can't be done (an unknown unit or task, a finished task, an empty
    answer): nothing was sent, and the message says why in Bahasa Indonesia. Not a dead letter."""


def office_time(moment: datetime | None, zone: ZoneInfo, *, named: bool = False) -> str:
    """A time on the office's clock as staff read it, the Indonesian way, "27-11-2026 22.10.00"
    ("-" if none); `named` adds the zone as staff name it ("… WIB")."""
    if moment is None:
        return "-"
    return moment.astimezone(zone).strftime("%d-%m-%Y %H.%M.%S" + (" %Z" if named else ""))


def unit_queue(unit: str, chart: OrgChart) -> str:
    """The queue of a unit (`admin`, `kasi.<seksi>`, …); Refused naming the valid units if unknown."""
    units = chart.unit_keys()
    if unit not in units:
        raise Refused(f"unit '{unit}' tidak dikenal; unit yang ada: {', '.join(units)}")
    return topology.TASK_QUEUE_PREFIX + unit


def _unit_filter(unit: str) -> sa.ColumnElement[bool]:
    parsed, h = Unit.parse(unit), handovers.c
    if parsed.role is Role.kasi:
        return sa.and_(h.to_role == parsed.role.value, h.seksi == parsed.code)
    if parsed.role is Role.kabid:
        return sa.and_(h.to_role == parsed.role.value, h.bidang == parsed.code)
    return h.to_role == parsed.role.value


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
        return Unit.of(Role(self.to_role), self.seksi, self.bidang).key


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
    way = REROUTES[to]
    h = handovers.c
    with engine.connect() as db:
        row = db.execute(
            sa.select(h.step, h.to_role, inquiries.c.service)
            .join(inquiries, inquiries.c.inquiry_id == h.inquiry_id)
            .where(h.task_id == task_id)
        ).one_or_none()
    if row is None:
        raise Refused(f"tugas {task_id} tidak ditemukan")
    if row.step != way.step or row.to_role not in way.roles:
        held = f"tugas {task_id} adalah langkah {row.step} ({row.to_role})"
        if to == "loket":
            raise Refused(
                f"{held}; hanya kepala seksi atau kepala bidang yang memegang langkah 6 "
                "(dokumen belum terbit) dapat mengalihkannya ke loket pengambilan"
            )
        raise Refused(
            f"{held}; hanya loket pengambilan (langkah 7) yang dapat mengembalikannya ke kepala seksi"
        )
    if to == "kasi" and service is None and row.service is None:
        raise Refused(
            "layanan kasus belum diketahui; sebutkan --layanan agar kasus sampai ke kepala seksi terkait"
        )
    return send_result(
        engine,
        amqp_url,
        task_id,
        officer=officer,
        outcome=Outcome.escalated,
        topic=way.topic,
        service=service,
        now=now,
        zone=zone,
    )


def case_text(engine: Engine, inquiry_id: str) -> str:
    with engine.connect() as db:
        return str(db.scalar(sa.select(inquiries.c.text).where(inquiries.c.inquiry_id == inquiry_id)) or "")


def perform(
    engine: Engine,
    amqp_url: str,
    task_id: str,
    action: Action,
    *,
    officer: str,
    text: str | None = None,
    topic: Topic | None = None,
    service: Service | None = None,
    to: str | None = None,
    now: datetime,
    zone: ZoneInfo,
) -> TaskResult:
    """Do `action` to a task: an answer or a finish sends `text`; an escalation the admin's
    `topic` and `service`, if set; a re-route goes `to` the pickup desk or back to the kasi."""
    if action is Action.alihkan:
        return reroute(
            engine, amqp_url, task_id, officer=officer, to=to or "", service=service, now=now, zone=zone
        )
    if action is Action.eskalasi:
        text = None
    else:
        topic = service = None
    return send_result(
        engine,
        amqp_url,
        task_id,
        officer=officer,
        outcome=OUTCOMES[action],
        text=text,
        topic=topic,
        service=service,
        now=now,
        zone=zone,
    )
