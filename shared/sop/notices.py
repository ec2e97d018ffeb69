"""Citizen notices: the acknowledgement, a status asked by chat, the survey and its thanks.

Each notice goes out on `bamsos.outbound` as `notice.<channel>` (the connector delivers it like a
reply) and is written on the case's card as kind and time; its text is not kept.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa

from shared.runtime import topology
from shared.runtime.storage import handovers, inquiries, notices
from shared.runtime.worker import Outgoing
from shared.sop.context import Context
from shared.sop.contracts import TEXT_LIMIT, Channel, CitizenNotice, NoticeKind
from shared.sop.dates import moment_text

# Who holds a case, as a citizen may be told (a unit, never an officer's name), and what happens
# next: no internal step name, no internal standard.
HOLDERS = {
    "admin": "petugas BAMSOS",
    "editor": "operator perbaikan data",
    "pickup": "petugas loket pengambilan dokumen",
    "kadis": "Kepala Dinas",
    "pemohon": "petugas BAMSOS",
}
NEXT = {
    "admin": "Petugas kami sedang menyiapkan jawabannya dan akan mengirimkannya melalui percakapan ini.",
    "kasi": "Kepala seksi sedang menelaahnya; setelah itu jawabannya kami kirim melalui percakapan ini.",
    "kabid": "Kepala bidang sedang menelaahnya; setelah itu jawabannya kami kirim melalui percakapan ini.",
    "editor": "Data Bapak/Ibu sedang diperbaiki dan dokumennya diterbitkan kembali; kabarnya kami kirim "
    "melalui percakapan ini.",
    "pickup": "Petugas sedang memastikan di mana dan kapan dokumen Bapak/Ibu dapat diambil; kabarnya kami "
    "kirim melalui percakapan ini.",
    "kadis": "Jawabannya kami kirim melalui percakapan ini segera setelah selesai.",
    "pemohon": "Jawabannya sedang kami kirim melalui percakapan ini.",
}


def notice(
    ctx: Context,
    kind: NoticeKind,
    channel: Channel,
    account: str,
    text: str,
    *,
    inquiry_id: str | None,
    ticket: str | None,
) -> Outgoing:
    now = ctx.clock.now()
    notice_id = uuid.uuid4().hex
    ctx.writes.insert(
        notices,
        {
            "notice_id": notice_id,
            "inquiry_id": inquiry_id,
            "kind": kind.value,
            "channel": channel.value,
            "created_at": now,
        },
    )
    ctx.on_commit(lambda: ctx.metrics.citizen_notices.labels(kind.value).inc())
    message = CitizenNotice(
        notice_id=notice_id,
        inquiry_id=inquiry_id,
        ticket=ticket,
        kind=kind,
        channel=channel,
        account=account,
        text=text[:TEXT_LIMIT],
        created_at=now,
    )
    return Outgoing(topology.OUTBOUND, f"notice.{channel.value}", message, f"notice-{notice_id}")


def wall_time(ctx: Context, moment: datetime) -> str:
    """A time as a citizen reads it, on the office's clock: "30 November 2026 pukul 09.00 WIB"."""
    return moment_text(moment, ctx.clock.zone)


def status_text(ctx: Context, ticket: str, inquiry_id: str) -> str:
    """Where a case stands, as a citizen needs it: who holds it, since when, what happens next."""
    case = ctx.db.execute(sa.select(inquiries.c.replied_at).where(inquiries.c.inquiry_id == inquiry_id)).one()
    templates = ctx.citizen.templates
    if case.replied_at is not None:
        return templates.render("answered", ticket=ticket, answered_at=wall_time(ctx, case.replied_at))
    h = handovers.c
    step = ctx.db.execute(
        sa.select(h.to_role, h.seksi, h.bidang, h.handed_at)
        .where(h.inquiry_id == inquiry_id, h.done_at.is_(None))
        .order_by(h.id.desc())
        .limit(1)
    ).one_or_none()
    if step is None:  # between two steps, for a moment: the last one that finished
        step = ctx.db.execute(
            sa.select(h.to_role, h.seksi, h.bidang, h.handed_at)
            .where(h.inquiry_id == inquiry_id)
            .order_by(h.id.desc())
            .limit(1)
        ).one()
    return templates.render(
        NoticeKind.status,
        ticket=ticket,
        unit=holder(ctx, step.to_role, step.seksi, step.bidang),
        since=wall_time(ctx, step.handed_at),
        next=NEXT.get(step.to_role, NEXT["admin"]),
    )


def holder(ctx: Context, role: str, seksi: str | None, bidang: str | None) -> str:
    if role == "kasi" and seksi in ctx.chart.seksi:
        return ctx.chart.seksi[seksi].nama
    if role == "kabid" and bidang in ctx.chart.bidang:
        return ctx.chart.bidang[bidang].nama
    return HOLDERS.get(role, HOLDERS["admin"])
