"""Intake: registers every citizen inquiry (SOP steps 1 and 2), gives it a ticket, opens its
control card and acknowledges it to the citizen.

Two kinds of message are not new questions and open no case: a status request naming a ticket
("cek status BMS-261130-0042"), answered with where that case stands if it is the asker's own, and
a rating answering the satisfaction survey within `BAMSOS_SURVEY_HOURS`, recorded on the case.

An inquiry is the same inquiry when its (channel, upstream id) is the same, whatever its AMQP
message id: a connector that publishes it twice makes one registration and one acknowledgement.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from shared.runtime import topology
from shared.runtime.worker import Outgoing, Route, ServiceSpec
from shared.sop import cases
from shared.sop.citizen import (
    LEGACY_WORDS,
    PRIVACY,
    SCALE_WORDS,
    SURVEY_SCALE,
    may_be_rating,
    points,
    rating,
    status_request,
)
from shared.sop.context import Context, pipeline_context
from shared.sop.contracts import Inquiry, InquiryRegistered, NoticeKind, Role, schema_name
from shared.sop.controlcard import record_step
from shared.sop.notices import notice, status_text
from shared.sop.rules import STANDARD_MINUTES
from shared.sop.tickets import next_ticket


def take(inquiry: Inquiry, ctx: Context) -> list[Outgoing]:
    """A citizen's message: a status request, a rating, or a new question."""
    asked = status_request(inquiry.text, ctx.citizen.ticket_prefix)
    if asked is not None:
        return [answer_status(inquiry, asked, ctx)]
    if may_be_rating(inquiry.text):
        rated = take_rating(inquiry, ctx)
        if rated is not None:
            return rated
    return register(inquiry, ctx)


def answer_status(inquiry: Inquiry, ticket: str, ctx: Context) -> Outgoing:
    """Where the asker's case stands; about anyone else's case, nothing at all."""
    inquiry_id = cases.by_ticket(ctx, ticket, inquiry.channel, inquiry.account)
    if inquiry_id is None:
        ctx.on_commit(lambda: ctx.metrics.status_requests.labels("unknown_ticket").inc())
        text = ctx.citizen.templates.render(NoticeKind.unknown_ticket, ticket=ticket)
        return notice(
            ctx,
            NoticeKind.unknown_ticket,
            inquiry.channel,
            inquiry.account,
            text,
            inquiry_id=None,
            ticket=None,
        )
    ctx.on_commit(lambda: ctx.metrics.status_requests.labels("answered").inc())
    text = status_text(ctx, ticket, inquiry_id)
    return notice(
        ctx,
        NoticeKind.status,
        inquiry.channel,
        inquiry.account,
        text,
        inquiry_id=inquiry_id,
        ticket=ticket,
    )


def take_rating(inquiry: Inquiry, ctx: Context) -> list[Outgoing] | None:
    """A rating for the asker's case surveyed within the window, read on the scale that case's
    survey asked on: recorded (the first counts) and thanked; a second one is let be. None when no
    survey awaits it, or the text is no score on its scale: then it is a new question."""
    since = ctx.clock.now() - timedelta(hours=ctx.citizen.survey_hours)
    case = cases.surveyed_case(ctx, inquiry.channel, inquiry.account, since)
    scale = case.survey_scale if case is not None else None
    score = rating(inquiry.text, scale) if scale is not None else None
    if case is None or scale is None or score is None:
        return None
    if case.rating is not None:
        return []  # one rating per case: the first counts
    now = ctx.clock.now()
    cases.record_rating(ctx, case.inquiry_id, score, now)
    channel = inquiry.channel.value

    def count() -> None:
        ctx.metrics.ratings.labels(channel).inc()
        ctx.metrics.rating_points.labels(channel).inc(points(score, scale))

    ctx.on_commit(count)
    words = SCALE_WORDS if scale == SURVEY_SCALE else LEGACY_WORDS
    text = ctx.citizen.templates.render(
        NoticeKind.thanks, ticket=case.ticket, rating=score, scale=scale, rating_word=words[score]
    )
    return [
        notice(
            ctx,
            NoticeKind.thanks,
            inquiry.channel,
            inquiry.account,
            text,
            inquiry_id=case.inquiry_id,
            ticket=case.ticket,
        )
    ]


def register(inquiry: Inquiry, ctx: Context) -> list[Outgoing]:
    now = ctx.clock.now()
    inquiry_id = uuid.uuid4().hex
    ticket = next_ticket(ctx.db, ctx.clock.office_day(now), ctx.citizen.ticket_prefix)
    cases.register(ctx, inquiry, inquiry_id, ticket, received_at=now)
    # Step 1 runs from the citizen's send to our receipt; a sender's clock ahead of ours counts as
    # sent on receipt, so the card never shows a handover after its receipt. Step 2 is done by us.
    sent_at = min(inquiry.sent_at, now)
    record_step(ctx, inquiry_id, 1, Role.pemohon, Role.admin, handed_at=sent_at, done_at=now)
    record_step(ctx, inquiry_id, 2, Role.pemohon, Role.admin, handed_at=now, done_at=now)
    topic = inquiry.topic.value if inquiry.topic else "unknown"
    ctx.on_commit(lambda: ctx.metrics.inquiries.labels(inquiry.channel.value, topic).inc())
    event = InquiryRegistered(
        inquiry_id=inquiry_id,
        channel=inquiry.channel,
        service=inquiry.service,
        topic=inquiry.topic,
        registered_at=now,
        ticket=ticket,
    )
    out = [Outgoing(topology.EVENTS, topology.REGISTERED, event, f"registered-{inquiry_id}")]
    if ctx.citizen.acknowledge:
        text = ctx.citizen.templates.render(
            NoticeKind.acknowledged, ticket=ticket, standard_minutes=STANDARD_MINUTES[3]
        )
        if first_contact(inquiry, ctx):
            text += "\n\n" + ctx.citizen.templates.render(PRIVACY)
        out.append(
            notice(
                ctx,
                NoticeKind.acknowledged,
                inquiry.channel,
                inquiry.account,
                text,
                inquiry_id=inquiry_id,
                ticket=ticket,
            )
        )
    return out


def first_contact(inquiry: Inquiry, ctx: Context) -> bool:
    """Whether this is the first question BAMSOS registers from the account (its privacy notice
    goes with the acknowledgement once): no case of the account in the database, nor earlier in
    this batch. An account whose data retention erased is new again, and is told again."""
    key = ("first_contact", inquiry.channel.value, inquiry.account)
    if key in ctx.preloaded:
        return False
    ctx.preloaded[key] = True
    return not cases.has_case(ctx, inquiry.channel, inquiry.account)


SPEC = ServiceSpec(
    name="intake",
    context=pipeline_context,
    metrics_port=9101,
    publishes=(topology.EVENTS, topology.OUTBOUND),
    publishes_only=(topology.OUTBOUND, r"^notice\.[a-z_]+$"),
    routes={
        schema_name(Inquiry): Route(
            Inquiry,
            take,
            key=lambda m, _id: f"inquiry:{m.channel.value}:{m.id}",
            consumes=((topology.INBOUND, "inquiry.*"),),
        )
    },
)
