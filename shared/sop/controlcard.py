"""The control card (kartu kendali): every handover of a case, appended and closed once.

The SOP: "every officer initials and dates each handover and receipt along the flow, so that when a
case is late one can see where the delay happened". A row is a handover: step, from role, to role,
officer, handed_at, taken_at, done_at, the standard, the time taken in SOP seconds, breached or not.

Every write to the card (`handovers`) goes through here: the pipeline's handlers with their batch
(`ctx`), the staff's receipt of a task and the gateway's note on a reply with a connection of their
own.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared.runtime import topology
from shared.runtime.storage import handovers, inquiries
from shared.runtime.worker import Outgoing
from shared.sop.context import Context
from shared.sop.contracts import Role, Service, Task, Topic
from shared.sop.rules import STANDARD_MINUTES, Assignment


@dataclass(frozen=True)
class Closed:
    """A finished handover, as the metrics and the reply need it."""

    inquiry_id: str
    step: int
    role: Role
    seksi: str | None
    bidang: str | None
    duration_seconds: float
    breached: bool
    # The case's topic and service as they stand, when the close came by its task (`close_task`).
    case_topic: Topic | None = None
    case_service: Service | None = None

    @property
    def assignment(self) -> Assignment:
        return Assignment(step=self.step, role=self.role, seksi=self.seksi, bidang=self.bidang)


# What `assign` reads of a case, and what `close_task` reads of a task's open handover (locked, as
# the close will write it) with its case's topic and service.
_CASE = sa.select(
    inquiries.c.inquiry_id, inquiries.c.service, inquiries.c.topic, inquiries.c.text, inquiries.c.ticket
)
_OPEN_TASK = (
    sa.select(handovers, inquiries.c.topic.label("case_topic"), inquiries.c.service.label("case_service"))
    .join(inquiries, inquiries.c.inquiry_id == handovers.c.inquiry_id)
    .where(handovers.c.done_at.is_(None))
    .with_for_update(of=handovers)
)


def standard_seconds(step: int) -> int:
    return STANDARD_MINUTES[step] * 60


def new_task_id(role: Role) -> str:
    """Task ids start with the role, so each service can tell its own results at a glance."""
    return f"{role.value}-{uuid.uuid4().hex}"


def record_step(
    ctx: Context,
    inquiry_id: str,
    step: int,
    from_role: Role,
    to_role: Role,
    handed_at: datetime,
    done_at: datetime | None,
    officer: str | None = None,
) -> None:
    """Write a handover with no task behind it (steps 1, 2 and 8), closed if `done_at` is known."""
    standard = standard_seconds(step)
    row: dict[str, Any] = {
        "inquiry_id": inquiry_id,
        "step": step,
        "from_role": from_role.value,
        "to_role": to_role.value,
        "officer": officer,
        "handed_at": handed_at,
        "due_at": ctx.clock.due_at(handed_at, standard),
        "standard_seconds": standard,
    }
    if done_at is not None:
        duration = ctx.clock.sop_seconds(handed_at, done_at)
        row |= {"done_at": done_at, "duration_seconds": duration, "breached": duration > standard}
        _observe(ctx, step, to_role, duration, standard)
    else:
        row["next_notice_at"] = row["due_at"]
    ctx.writes.insert(handovers, row)


def assign(
    ctx: Context,
    inquiry_id: str,
    assignment: Assignment,
    *,
    from_role: Role,
    handed_at: datetime,
) -> Outgoing:
    """Hand a case to a unit: open its handover on the card and make the unit's task."""
    case = (
        ctx.preloaded.get(("case", inquiry_id))
        or ctx.db.execute(_CASE.where(inquiries.c.inquiry_id == inquiry_id)).one()
    )
    standard = standard_seconds(assignment.step)
    due_at = ctx.clock.due_at(handed_at, standard)
    task_id = new_task_id(assignment.role)
    ctx.writes.insert(
        handovers,
        {
            "inquiry_id": inquiry_id,
            "step": assignment.step,
            "from_role": from_role.value,
            "to_role": assignment.role.value,
            "seksi": assignment.seksi,
            "bidang": assignment.bidang,
            "task_id": task_id,
            "handed_at": handed_at,
            "due_at": due_at,
            "next_notice_at": due_at,
            "standard_seconds": standard,
        },
    )
    task = Task(
        kind="task",
        task_id=task_id,
        inquiry_id=inquiry_id,
        step=assignment.step,
        role=assignment.role,
        seksi=assignment.seksi,
        bidang=assignment.bidang,
        service=Service(case.service) if case.service else None,
        topic=Topic(case.topic) if case.topic else None,
        summary=case.text,
        assigned_at=handed_at,
        due_at=due_at,
        ticket=case.ticket,
    )
    return Outgoing(topology.TASKS, assignment.queue_key, task, message_id=task_id)


def close_task(ctx: Context, task_id: str, *, officer: str, outcome: str, done_at: datetime) -> Closed | None:
    """Close the handover behind a task; None when no open task has that id. What the case is
    about comes with it, read in the same round trip."""
    row = (
        ctx.preloaded.pop(("open task", task_id), None)
        or ctx.db.execute(_OPEN_TASK.where(handovers.c.task_id == task_id)).one_or_none()
    )
    if row is None:
        return None
    closed = close_handover(ctx, row, done_at=done_at, officer=officer, outcome=outcome)
    return dataclasses.replace(
        closed,
        case_topic=Topic(row.case_topic) if row.case_topic else None,
        case_service=Service(row.case_service) if row.case_service else None,
    )


def preload_cases(ctx: Context, inquiry_ids: list[str]) -> None:
    """What `assign` will read of these cases, for a whole batch in one statement (a case must not
    change in the batch before its assign: see the callers)."""
    for row in ctx.db.execute(_CASE.where(inquiries.c.inquiry_id.in_(inquiry_ids))):
        ctx.preloaded[("case", row.inquiry_id)] = row


def preload_open_tasks(ctx: Context, task_ids: list[str]) -> None:
    """What `close_task` will read of these tasks, for a whole batch in one statement."""
    for row in ctx.db.execute(_OPEN_TASK.where(handovers.c.task_id.in_(task_ids))):
        ctx.preloaded[("open task", row.task_id)] = row


def close_handover(
    ctx: Context,
    row: sa.Row[Any],
    *,
    done_at: datetime,
    officer: str | None = None,
    outcome: str | None = None,
) -> Closed:
    """Write done_at, the time taken in SOP seconds and the breach on an open handover row."""
    done_at = max(done_at, row.handed_at)  # a clock behind ours must not make time negative
    duration = ctx.clock.sop_seconds(row.handed_at, done_at)
    breached = duration > row.standard_seconds
    ctx.writes.update(
        handovers,
        ("id", row.id),
        {
            "officer": officer if officer is not None else row.officer,
            "outcome": outcome,
            "taken_at": row.taken_at or done_at,
            "done_at": done_at,
            "duration_seconds": duration,
            "breached": breached,
            "next_notice_at": None,
        },
    )
    role = Role(row.to_role)
    _observe(ctx, row.step, role, duration, row.standard_seconds)
    return Closed(row.inquiry_id, row.step, role, row.seksi, row.bidang, duration, breached)


def note_task(ctx: Context, task_id: str, note: str) -> None:
    """Write what the card should say about a task's step beyond its times (e.g. a re-route)."""
    ctx.writes.update(handovers, ("task_id", task_id), {"note": note})


def mark_breached(ctx: Context, handover_id: int, level: int, next_notice_at: datetime | None) -> None:
    """An open step is over its standard: breached, its heads told up to `level`, and when the next
    level is due (None: the top of the ladder was told)."""
    ctx.db.execute(
        sa.update(handovers)
        .where(handovers.c.id == handover_id)
        .values(breached=True, escalation_level=level, next_notice_at=next_notice_at)
    )


def mark_taken(db: Connection, task_id: str, officer: str) -> bool:
    """An officer took a task: its receipt (taken_at, their initials) on the card. False when the
    task is taken or done already (a copy of it delivered twice)."""
    taken = db.execute(
        sa.update(handovers)
        .where(handovers.c.task_id == task_id, handovers.c.taken_at.is_(None), handovers.c.done_at.is_(None))
        .values(taken_at=sa.func.now(), officer=officer)
    ).rowcount
    return bool(taken)


def note_reply(db: Connection, reply_id: str, note: str) -> None:
    """Write a note on the step 8 (the reply) of the case this reply answers."""
    inquiry_id = sa.select(inquiries.c.inquiry_id).where(inquiries.c.reply_id == reply_id).scalar_subquery()
    db.execute(
        sa.update(handovers)
        .where(handovers.c.inquiry_id == inquiry_id, handovers.c.step == 8)
        .values(note=note)
    )


def _observe(ctx: Context, step: int, role: Role, duration: float, standard: int) -> None:
    labels = (str(step), role.value)

    def observe() -> None:
        ctx.metrics.step_duration.labels(*labels).observe(duration)
        if duration > standard:
            ctx.metrics.breaches.labels(*labels).inc()

    ctx.on_commit(observe)
