"""Intake's registration (SOP steps 1 and 2), one handler call each, against the real database."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from services.intake.service import SPEC as INTAKE
from shared.runtime import topology
from shared.runtime.storage import handovers, inquiries
from shared.runtime.worker.harness import run_route
from shared.sop.context import Context, HandlerSetup
from shared.sop.contracts import Inquiry, InquiryRegistered, schema_name
from tests.helpers import INQUIRY, FrozenTime

SENT_AT = datetime.fromisoformat(str(INQUIRY["sent_at"]))


def inquiry(**fields: object) -> Inquiry:
    return Inquiry.model_validate({**INQUIRY, "id": uuid.uuid4().hex, **fields})


def register(ctx: Context, message: Inquiry) -> InquiryRegistered:
    out, _acknowledgement = run_route(INTAKE, message, ctx)
    assert isinstance(out.message, InquiryRegistered)
    return out.message


def card(ctx: Context, inquiry_id: str) -> list[sa.Row[Any]]:
    query = sa.select(handovers).where(handovers.c.inquiry_id == inquiry_id).order_by(handovers.c.step)
    return list(ctx.db.execute(query))


def counted(setup: HandlerSetup, channel: str, topic: str) -> float:
    return float(setup.metrics.inquiries.labels(channel, topic)._value.get())


def test_registration_writes_the_inquiry_as_it_arrived(ctx: Context, now: FrozenTime) -> None:
    message = inquiry()
    event = register(ctx, message)
    case = ctx.db.execute(sa.select(inquiries).where(inquiries.c.inquiry_id == event.inquiry_id)).one()
    assert (case.channel, case.upstream_id, case.account, case.name) == (
        "instagram",
        message.id,
        "@sitilestari",
        "Siti Lestari",
    )
    assert (case.text, case.topic, case.service) == (INQUIRY["text"], "informasi", "kia")
    assert (case.sent_at, case.received_at) == (SENT_AT, now.at)
    assert (case.reply_id, case.replied_at, case.path) == (None, None, None)


def test_registration_puts_steps_1_and_2_done_on_the_card(ctx: Context, now: FrozenTime) -> None:
    sent = now.at - timedelta(minutes=2)
    step1, step2 = card(ctx, register(ctx, inquiry(sent_at=sent.isoformat())).inquiry_id)
    assert (step1.step, step1.from_role, step1.to_role, step1.task_id) == (1, "pemohon", "admin", None)
    assert (step1.handed_at, step1.done_at, step1.standard_seconds) == (sent, now.at, 300)
    assert (step1.duration_seconds, step1.breached) == (120, False)
    assert (step2.step, step2.from_role, step2.to_role) == (2, "pemohon", "admin")
    assert (step2.handed_at, step2.done_at, step2.standard_seconds) == (now.at, now.at, 180)
    assert (step2.duration_seconds, step2.breached) == (0, False)


def test_an_inquiry_sent_long_before_its_receipt_breaches_step_1(ctx: Context, now: FrozenTime) -> None:
    step1, _ = card(ctx, register(ctx, inquiry()).inquiry_id)
    assert step1.duration_seconds == (now.at - SENT_AT).total_seconds() and step1.breached


def test_a_sender_clock_ahead_of_ours_counts_as_sent_on_receipt(ctx: Context, now: FrozenTime) -> None:
    ahead = now.at + timedelta(minutes=10)
    event = register(ctx, inquiry(sent_at=ahead.isoformat()))
    step1, _ = card(ctx, event.inquiry_id)
    assert (step1.handed_at, step1.done_at, step1.duration_seconds, step1.breached) == (
        now.at,
        now.at,
        0,
        False,
    )
    sent_at = ctx.db.scalar(sa.select(inquiries.c.sent_at).where(inquiries.c.inquiry_id == event.inquiry_id))
    assert sent_at == ahead  # the inquiry keeps what the citizen's device said


def test_the_registered_event_names_the_case_and_its_codes(ctx: Context, now: FrozenTime) -> None:
    out, _acknowledgement = run_route(
        INTAKE, inquiry(channel="whatsapp", topic="kebijakan", service="kk"), ctx
    )
    event = out.message
    assert isinstance(event, InquiryRegistered)
    assert (out.exchange, out.routing_key, out.message_id) == (
        topology.EVENTS,
        "inquiry.registered",
        f"registered-{event.inquiry_id}",
    )
    assert (event.channel, event.topic, event.service, event.registered_at) == (
        "whatsapp",
        "kebijakan",
        "kk",
        now.at,
    )
    assert ctx.db.scalar(sa.select(sa.func.count()).where(inquiries.c.inquiry_id == event.inquiry_id)) == 1


def test_the_registered_event_carries_no_personal_data(ctx: Context) -> None:
    out, _acknowledgement = run_route(INTAKE, inquiry(), ctx)
    body = out.message.model_dump_json()
    assert not any(str(INQUIRY[field]) in body for field in ("account", "name", "text"))


def test_an_inquiry_without_codes_is_registered_without_them(ctx: Context) -> None:
    event = register(ctx, inquiry(topic=None, service=None))
    assert (event.topic, event.service) == (None, None)
    case = ctx.db.execute(sa.select(inquiries).where(inquiries.c.inquiry_id == event.inquiry_id)).one()
    assert (case.topic, case.service) == (None, None)


def test_the_inquiries_counter_increases_only_after_the_commit(
    ctx: Context, handler_setup: HandlerSetup
) -> None:
    route = INTAKE.routes[schema_name(Inquiry)]
    route.handle(inquiry(), ctx)
    assert counted(handler_setup, "instagram", "informasi") == 0  # not committed yet
    for action in ctx.after_commit:  # the commit
        action()
    assert counted(handler_setup, "instagram", "informasi") == 1


def test_the_inquiries_counter_counts_by_channel_and_topic_as_they_arrived(
    ctx: Context, handler_setup: HandlerSetup
) -> None:
    register(ctx, inquiry(channel="tiktok"))
    register(ctx, inquiry(channel="tiktok", topic=None))
    register(ctx, inquiry(channel="tiktok", topic=None))
    assert counted(handler_setup, "tiktok", "informasi") == 1
    assert counted(handler_setup, "tiktok", "unknown") == 2
    assert counted(handler_setup, "instagram", "informasi") == 0
