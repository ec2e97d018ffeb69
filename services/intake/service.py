"""Intake: registers every citizen inquiry (SOP steps 1 and 2) and opens its control card.

An inquiry is the same inquiry when its (channel, upstream id) is the same, whatever its AMQP
message id: a connector that publishes it twice makes one registration.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from shared.runtime import topology
from shared.runtime.storage import inquiries
from shared.runtime.worker import Outgoing, Route, ServiceSpec
from shared.sop.context import Context, pipeline_context
from shared.sop.contracts import Inquiry, InquiryRegistered, Role, schema_name
from shared.sop.controlcard import record_step


def register(inquiry: Inquiry, ctx: Context) -> list[Outgoing]:
    now = ctx.clock.now()
    inquiry_id = uuid.uuid4().hex
    ctx.db.execute(
        sa.insert(inquiries).values(
            inquiry_id=inquiry_id,
            channel=inquiry.channel.value,
            upstream_id=inquiry.id,
            account=inquiry.account,
            name=inquiry.name,
            text=inquiry.text,
            service=inquiry.service.value if inquiry.service else None,
            media_kind=inquiry.media_kind.value if inquiry.media_kind else None,
            media_id=inquiry.media_id,
            topic=inquiry.topic.value if inquiry.topic else None,
            sent_at=inquiry.sent_at,
            received_at=now,
        )
    )
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
    )
    return [Outgoing(topology.EVENTS, topology.REGISTERED, event, f"registered-{inquiry_id}")]


SPEC = ServiceSpec(
    name="intake",
    context=pipeline_context,
    metrics_port=9101,
    publishes=(topology.EVENTS,),
    routes={
        schema_name(Inquiry): Route(
            Inquiry,
            register,
            key=lambda m, _id: f"inquiry:{m.channel.value}:{m.id}",
            consumes=((topology.INBOUND, "inquiry.*"),),
        )
    },
)
