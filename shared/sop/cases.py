"""A case's state (the `inquiries` table): registered, classified, replied, delivered, rated.

Every write to a case goes through here, so a handler reads as the SOP's steps and the guards that
keep a case's facts once-only (one reply, one delivery, the first rating) live in one place. Writes
go through the handler's batch (`ctx.writes`) where a later statement of the batch does not need
them first; the guarded ones are one statement each, or one for the whole batch (`mark_delivered`).
(Retention's erasure of personal data, in the SOP-free runtime, is the one other writer.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by

from shared.runtime.storage import handovers, inquiries
from shared.sop.citizen import SURVEY_SCALE
from shared.sop.context import Context
from shared.sop.contracts import Channel, Inquiry, Receipt, Service, Topic
from shared.sop.rules import path_of

_case = inquiries.c


def register(ctx: Context, inquiry: Inquiry, inquiry_id: str, ticket: str, received_at: datetime) -> None:
    """Open the case of a new inquiry (step 2), with its ticket."""
    ctx.writes.insert(
        inquiries,
        {
            "inquiry_id": inquiry_id,
            "ticket": ticket,
            "channel": inquiry.channel.value,
            "upstream_id": inquiry.id,
            "account": inquiry.account,
            "name": inquiry.name,
            "text": inquiry.text,
            "service": inquiry.service.value if inquiry.service else None,
            "media_kind": inquiry.media_kind.value if inquiry.media_kind else None,
            "media_id": inquiry.media_id,
            "topic": inquiry.topic.value if inquiry.topic else None,
            "sent_at": inquiry.sent_at,
            "received_at": received_at,
        },
    )


def by_ticket(ctx: Context, ticket: str, channel: Channel, account: str) -> str | None:
    """The id of the case with this ticket if it is the asker's own (same channel and account)."""
    found: str | None = ctx.db.scalar(
        sa.select(_case.inquiry_id).where(
            _case.ticket == ticket, _case.channel == channel.value, _case.account == account
        )
    )
    return found


def text_of(ctx: Context, inquiry_id: str) -> str:
    """What the citizen wrote."""
    return ctx.db.scalar(sa.select(_case.text).where(_case.inquiry_id == inquiry_id)) or ""


def classify(ctx: Context, inquiry_id: str, topic: Topic | None, service: Service | None) -> None:
    """Set what the case is about: the router's reading of its text, or the admin's triage."""
    ctx.db.execute(
        sa.update(inquiries)
        .where(_case.inquiry_id == inquiry_id)
        .values(topic=topic.value if topic else None, service=service.value if service else None)
    )


def reclassify(ctx: Context, inquiry_id: str, topic: Topic, service: Service | None) -> Service | None:
    """A unit sent the case back under another topic (and maybe its service): returns the service
    the case now has (its own when none was given)."""
    case = ctx.db.execute(
        sa.update(inquiries)
        .where(_case.inquiry_id == inquiry_id)
        .values(topic=topic.value, service=sa.func.coalesce(service, _case.service))
        .returning(_case.service)
    ).one()
    return Service(case.service) if case.service else None


@dataclass(frozen=True)
class Replied:
    """A case as its reply needs it, just marked replied."""

    channel: Channel
    upstream_id: str
    account: str
    topic: Topic | None
    received_at: datetime
    ticket: str | None
    path: str  # the SOP path the case took: "3", "3-4", "5"...


def mark_replied(ctx: Context, inquiry_id: str, reply_id: str, text: str, now: datetime) -> Replied | None:
    """Record the case's one reply and the path it took; None if it has its reply already."""
    steps_so_far = (
        sa.select(sa.func.array_agg(aggregate_order_by(handovers.c.step, handovers.c.id)))
        .where(handovers.c.inquiry_id == _case.inquiry_id)
        .scalar_subquery()
    )
    case = ctx.db.execute(
        sa.update(inquiries)
        .where(_case.inquiry_id == inquiry_id, _case.reply_id.is_(None))
        .values(reply_id=reply_id, reply_text=text, replied_at=now)
        .returning(
            _case.channel,
            _case.upstream_id,
            _case.account,
            _case.topic,
            _case.received_at,
            _case.ticket,
            steps_so_far.label("steps"),
        )
    ).one_or_none()
    if case is None:
        return None
    path = path_of(case.steps or [])
    ctx.writes.update(inquiries, ("inquiry_id", inquiry_id), {"path": path})
    return Replied(
        channel=Channel(case.channel),
        upstream_id=case.upstream_id,
        account=case.account,
        topic=Topic(case.topic) if case.topic else None,
        received_at=case.received_at,
        ticket=case.ticket,
        path=path,
    )


def mark_delivered(ctx: Context, receipts: list[Receipt]) -> dict[str, sa.Row[Any]]:
    """Mark the receipts' cases delivered (and surveyed from now) and read their step 8, in one
    statement, by reply id. Each case once: the guard on delivered_at, which also keeps any other
    receipt from closing its step 8; a receipt for an unknown or already delivered reply finds
    nothing."""
    delivered = sa.values(
        sa.column("reply_id", sa.Text), sa.column("at", sa.DateTime(timezone=True)), name="delivered"
    ).data([(r.reply_id, r.delivered_at) for r in receipts])
    rows = ctx.db.execute(
        sa.update(inquiries)
        .where(
            _case.reply_id == delivered.c.reply_id,
            _case.delivered_at.is_(None),
            handovers.c.inquiry_id == _case.inquiry_id,
            handovers.c.step == 8,
        )
        .values(delivered_at=delivered.c.at, survey_sent_at=ctx.clock.now(), survey_scale=SURVEY_SCALE)
        .returning(
            *handovers.c,
            _case.reply_id.label("case_reply_id"),
            _case.channel.label("case_channel"),
            _case.account.label("case_account"),
            _case.ticket.label("case_ticket"),
        )
    )
    return {row.case_reply_id: row for row in rows}


def has_case(ctx: Context, channel: Channel, account: str) -> bool:
    """Whether any case of the account is registered (and not yet erased by retention)."""
    earlier = sa.select(_case.inquiry_id).where(_case.channel == channel.value, _case.account == account)
    return bool(ctx.db.execute(sa.select(earlier.exists())).scalar())


def surveyed_case(
    ctx: Context, channel: Channel, account: str, since: datetime
) -> sa.Row[str, str | None, int | None, int | None] | None:
    """The asker's case most recently surveyed since `since` (locked: a rating may follow), with
    its ticket, rating and the survey's scale; None if none was."""
    return ctx.db.execute(
        sa.select(_case.inquiry_id, _case.ticket, _case.rating, _case.survey_scale)
        .where(_case.channel == channel.value, _case.account == account, _case.survey_sent_at >= since)
        .order_by(_case.survey_sent_at.desc())
        .limit(1)
        .with_for_update()
    ).one_or_none()


def record_rating(ctx: Context, inquiry_id: str, score: int, now: datetime) -> None:
    """The citizen's satisfaction rating of the case (the caller keeps the first)."""
    ctx.writes.update(inquiries, ("inquiry_id", inquiry_id), {"rating": score, "rated_at": now})
