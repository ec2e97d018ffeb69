"""Escalation on the clock: a step past its due time is marked breached on the control card and a
notice goes one level up the ladder (admin -> kasi -> kabid -> kadis), then on up again after each
further standard while the case stays open.

Why a durable due-time scan and not broker timers: the due time is already on the card, computed by
the office calendar (nights and holidays don't count), which a fixed per-queue TTL can't express; a
scan survives a restart of any service or of the broker with nothing to re-arm; and
`FOR UPDATE SKIP LOCKED` lets several router replicas share the scan without sending a notice twice
(the notice and the card's update commit together, via the outbox). It runs between batches, about
once a second, with no other message needed.
"""

from __future__ import annotations

import sqlalchemy as sa

from shared.runtime import topology
from shared.runtime.storage import handovers, inquiries
from shared.runtime.worker import Outgoing
from shared.sop.clock import SopClock
from shared.sop.context import Context
from shared.sop.contracts import Role, Service, Task, Topic
from shared.sop.controlcard import mark_breached
from shared.sop.rules import STEP_NAMES, notice_for

SCAN_LIMIT = 200


def escalate_overdue(ctx: Context) -> list[Outgoing]:
    now = ctx.clock.now()
    h = handovers.c
    late = ctx.db.execute(
        sa.select(handovers, inquiries.c.service, inquiries.c.topic)
        .join(inquiries, inquiries.c.inquiry_id == h.inquiry_id)
        .where(h.next_notice_at.is_not(None), h.next_notice_at <= now, h.done_at.is_(None))
        .order_by(h.next_notice_at)
        .limit(SCAN_LIMIT)
        .with_for_update(of=handovers, skip_locked=True)
    ).all()
    out: list[Outgoing] = []
    for row in late:
        level = row.escalation_level + 1
        service = Service(row.service) if row.service else None
        holder = Role(row.to_role)
        to, above = (
            notice_for(row.step, holder, n, service=service, seksi=row.seksi, chart=ctx.chart)
            for n in (level, level + 1)
        )
        # Past the top of the ladder nothing more is sent; the breach stays on the card.
        next_notice = ctx.clock.due_at(now, row.standard_seconds) if above is not None else None
        mark_breached(ctx, row.id, level, next_notice)
        if to is None:
            continue
        notice = Task(
            kind="notice",
            # One id per handover and level: a notice resent after a crash between the broker's
            # commit and the database's is the same message, which consumers recognise.
            task_id=f"notice-{row.id}-{level}",
            inquiry_id=row.inquiry_id,
            step=row.step,
            role=to.role,
            seksi=to.seksi,
            bidang=to.bidang,
            service=service,
            topic=Topic(row.topic) if row.topic else None,
            summary=_summary(row, holder, level, ctx.clock),
            assigned_at=now,
            due_at=row.due_at,
        )
        out.append(Outgoing(topology.TASKS, to.queue_key, notice, notice.task_id))
        ctx.on_commit(ctx.metrics.notices.labels(str(row.step), to.role.value).inc)
    return out


def _summary(row: sa.Row[object], holder: Role, level: int, clock: SopClock) -> str:
    """The notice as a head reads it, in Bahasa Indonesia, times on the office's clock; no citizen data."""
    unit = f" ({row.seksi or row.bidang})" if row.seksi or row.bidang else ""
    officer = f", petugas {row.officer}" if row.officer else ""
    handed = clock.local(row.handed_at).strftime("%d-%m-%Y %H.%M %Z")
    return (
        f"PERINGATAN ke-{level}: langkah {row.step} ({STEP_NAMES[row.step]}) belum selesai dan "
        f"melewati baku {row.standard_seconds // 60} menit. Dipegang {holder.value}{unit}{officer} "
        f"sejak {handed}."
    )
