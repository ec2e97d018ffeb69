"""Metrics read at scrape time: what is open on the control card now, and how full the queues are.

Counters in the services say what happened; these gauges say what is waiting right now, so a stuck
case shows while it is stuck. The reporter alone registers them, so replicas of the other services
don't double-count (a second reporter exports the same values: dashboards take `max`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pika
import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine

from services import catalog
from shared.runtime import logs, topology
from shared.runtime.storage import handovers
from shared.runtime.worker import amqp
from shared.sop.clock import SopClock
from shared.sop.orgchart import OrgChart
from shared.sop.rules import STANDARD_MINUTES, STEP_ROLE_LABELS

_LABELS = ["step", "role"]
log = logs.get("live_metrics")


def open_step_rows(engine: Engine, now: datetime) -> list[sa.Row[int, str, int, int, datetime]]:
    """Per step and role: open handovers, how many of them are past their due time, the oldest."""
    h = handovers.c
    stmt = (
        sa.select(
            h.step,
            h.to_role,
            sa.func.count(),
            sa.func.count().filter(h.due_at < now),
            sa.func.min(h.handed_at),
        )
        .where(h.done_at.is_(None))
        .group_by(h.step, h.to_role)
    )
    with engine.connect() as db:
        return list(db.execute(stmt))


class OpenStepsCollector(Collector):
    """`bamsos_open_steps`, `bamsos_open_steps_overdue`, `bamsos_oldest_open_step_age_seconds`, and
    each step's standard as `bamsos_step_standard_seconds` (for dashboards to draw it)."""

    def __init__(self, engine: Engine, clock: SopClock) -> None:
        self.engine = engine
        self.clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = self.clock.now()
        open_ = GaugeMetricFamily(
            "bamsos_open_steps", "SOP steps handed over and not yet done, by step and role.", labels=_LABELS
        )
        overdue = GaugeMetricFamily(
            "bamsos_open_steps_overdue",
            "Open SOP steps already past their standard (late right now), by step and role.",
            labels=_LABELS,
        )
        oldest = GaugeMetricFamily(
            "bamsos_oldest_open_step_age_seconds",
            "How long the oldest open step has waited, in SOP seconds (office time), by step and role.",
            labels=_LABELS,
        )
        seen: set[tuple[str, str]] = set()
        for step_number, role_name, count, late, first_handed in open_step_rows(self.engine, now):
            labels = (str(step_number), role_name)
            seen.add(labels)
            open_.add_metric(labels, count)
            overdue.add_metric(labels, late)
            oldest.add_metric(labels, self.clock.sop_seconds(first_handed, now))
        # Every step the SOP has shows, at zero when nothing waits: a panel or an alert on a step
        # must not go blank (and "absent" must not read as "fine") just because the queue is empty.
        for labels in STEP_ROLE_LABELS:
            if labels not in seen:
                for family in (open_, overdue, oldest):
                    family.add_metric(labels, 0)
        standard = GaugeMetricFamily(
            "bamsos_step_standard_seconds", "The SOP's standard time of each step.", labels=["step"]
        )
        for step, minutes in STANDARD_MINUTES.items():
            standard.add_metric([str(step)], minutes * 60)
        yield from (open_, overdue, oldest, standard)


class QueueCollector(Collector):
    """`bamsos_queue_messages` and `bamsos_queue_consumers` for every BAMSOS queue.

    Read with passive declares on a short-lived connection, so it needs no broker plugin; the
    RabbitMQ Prometheus plugin, where enabled, gives the broker's own view besides (deploy/).
    """

    def __init__(self, amqp_url: str, chart: OrgChart) -> None:
        self.amqp_url = amqp_url
        self.queues = [q.name for q in catalog.all_queues(chart)] + [topology.DEAD_LETTER_QUEUE]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        messages = GaugeMetricFamily(
            "bamsos_queue_messages", "Messages ready in a BAMSOS queue.", labels=["queue"]
        )
        consumers = GaugeMetricFamily(
            "bamsos_queue_consumers", "Consumers attached to a BAMSOS queue.", labels=["queue"]
        )
        try:
            connection = amqp.connect(self.amqp_url)
            try:
                channel = connection.channel()
                for name in self.queues:
                    declared = channel.queue_declare(name, passive=True).method
                    messages.add_metric([name], declared.message_count)
                    consumers.add_metric([name], declared.consumer_count)
            finally:
                if connection.is_open:
                    connection.close()
        except pika.exceptions.AMQPError as error:
            # The scrape still succeeds; the broker's absence shows as missing series and `up` of
            # the broker's own exporter, not as a failed scrape of the reporter.
            log.warning("queue_metrics_unavailable", error=type(error).__name__)
            return
        yield from (messages, consumers)
