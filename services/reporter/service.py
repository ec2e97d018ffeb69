"""Reporter: keeps the reporting read-model (one row per case) from the pipeline's events.

The laporan is compiled from the registrations and the control card (`shared/laporan/`); the
reporter exports its headline figures for today at scrape time.
"""

from __future__ import annotations

from services.reporter.live_metrics import OpenStepsCollector, QueueCollector
from shared.laporan.metrics import LaporanCollector
from shared.runtime import topology
from shared.runtime.storage import report_cases
from shared.runtime.worker import Outgoing, Route, ServiceSpec, Upsert
from shared.sop.context import Context, pipeline_context
from shared.sop.contracts import CaseReplied, InquiryRegistered, schema_name
from shared.sop.office_calendar import make_clock
from shared.sop.offices import the_office


def count_registered(event: InquiryRegistered, ctx: Context) -> list[Outgoing]:
    ctx.writes.insert(
        report_cases,
        {
            "inquiry_id": event.inquiry_id,
            "day": ctx.clock.office_day(event.registered_at),
            "channel": event.channel.value,
            "topic": event.topic.value if event.topic else None,
            "received_at": event.registered_at,
        },
        on_conflict=Upsert(index=("inquiry_id",)),
    )
    return []


def count_replied(event: CaseReplied, ctx: Context) -> list[Outgoing]:
    # An upsert: with several reporters the reply may be seen before the registration.
    values = {
        "topic": event.topic.value if event.topic else None,
        "path": event.path,
        "replied_at": event.replied_at,
    }
    ctx.writes.insert(
        report_cases,
        {
            "inquiry_id": event.inquiry_id,
            "day": ctx.clock.office_day(event.received_at),
            "channel": event.channel.value,
            "received_at": event.received_at,
            **values,
        },
        on_conflict=Upsert(index=("inquiry_id",), columns=tuple(values)),
    )
    return []


SPEC = ServiceSpec(
    name="reporter",
    context=pipeline_context,
    metrics_port=9105,
    routes={
        schema_name(InquiryRegistered): Route(
            InquiryRegistered,
            count_registered,
            key=lambda m, _id: f"registered:{m.inquiry_id}",
            consumes=((topology.EVENTS, topology.REGISTERED),),
        ),
        schema_name(CaseReplied): Route(
            CaseReplied,
            count_replied,
            key=lambda m, _id: f"replied:{m.inquiry_id}",
            consumes=((topology.EVENTS, topology.CASE_REPLIED),),
        ),
    },
    # What is open on the control card and waiting in the queues, read at scrape time: one
    # service owns these so replicas elsewhere don't double-count.
    collectors=(
        lambda engine, settings: OpenStepsCollector(engine, make_clock(settings)),
        lambda engine, settings: QueueCollector(settings.amqp_url, the_office(settings).chart),
        lambda engine, settings: LaporanCollector(engine, make_clock(settings)),
    ),
)
