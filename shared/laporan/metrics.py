"""The laporan's headline figures for today (the office day, in the clock's zone) as Prometheus
gauges, read from the database at scrape time with the laporan's own queries, so the dashboard and
the signed report never disagree. The reporter registers it (`services/reporter/service.py`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine

from shared.laporan.figures import case_totals, snapshot, step_timings
from shared.laporan.period import Period
from shared.sop.clock import SopClock
from shared.sop.rules import STANDARD_MINUTES


class LaporanCollector(Collector):
    """`bamsos_laporan_inquiries_{received,answered,open}` and
    `bamsos_laporan_steps_{closed,within_standard}{step}`, for today."""

    def __init__(self, engine: Engine, clock: SopClock) -> None:
        self.engine = engine
        self.clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        today = Period.day(self.clock.office_day(self.clock.now()), self.clock.zone)
        with snapshot(self.engine) as db:
            totals = case_totals(db, today)
            steps = step_timings(db, today)
        for name, value, what in (
            ("received", totals.received, "received"),
            ("answered", totals.answered, "received and answered"),
            ("open", totals.open, "received and not yet answered"),
        ):
            yield GaugeMetricFamily(
                f"bamsos_laporan_inquiries_{name}",
                f"Inquiries {what} today (office day), as the laporan counts them.",
                value=value,
            )
        closed: Counter[int] = Counter()
        within: Counter[int] = Counter()
        for s in steps:
            closed[s.step] += s.timing.closed
            within[s.step] += s.timing.within
        closed_family = GaugeMetricFamily(
            "bamsos_laporan_steps_closed",
            "Finished SOP steps of today's inquiries (office day), by step.",
            labels=["step"],
        )
        within_family = GaugeMetricFamily(
            "bamsos_laporan_steps_within_standard",
            "Finished SOP steps of today's inquiries that kept their standard, by step.",
            labels=["step"],
        )
        # Every SOP step shows, at zero on a quiet day, so a ratio panel never goes blank.
        for step in sorted(STANDARD_MINUTES.keys() | closed.keys()):
            closed_family.add_metric([str(step)], closed[step])
            within_family.add_metric([str(step)], within[step])
        yield closed_family
        yield within_family
