"""The dashboard and the rules against a real Prometheus scraping the five services and the gateway.

The services run as separate processes with deploy/compose.yaml's commands; a feed of inquiries
over every path goes through with simulated staff, some of them slow enough to breach (the SOP clock
runs x60), plus two malformed messages; then three citizens answer the satisfaction survey. Then
every panel query and rule expression is evaluated through Prometheus' HTTP API, Prometheus' per-step
counts are compared with the control card, and the satisfaction index with the ratings recorded.

The gateway runs with no platform set up (there are none to reach here): its sender stays idle, so
the simulated connector takes the replies, and its counters are exported at zero from its start. Its
panels' queries are thus evaluated on its real series (names and labels, as scraped) but at zero: no
platform traffic moves them here. The channel alert's logic is in the promtool unit tests.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import signal
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import NamedTuple

import pytest
import sqlalchemy as sa

from services.catalog import PROCESSES
from services.generators.observability import PANELS, bucket_bound, rules_document, skm_index_expr
from shared.devtools.feed import make_inquiries
from shared.devtools.local_prometheus import api, by_label, free_port, local_prometheus, query
from shared.devtools.simulation import Connector, Staff, publish_inquiries
from shared.runtime import topology
from shared.runtime.settings import Settings
from shared.runtime.storage import handovers, inquiries, make_engine
from shared.sop.citizen import skm_index
from shared.sop.contracts import Channel, Inquiry
from shared.sop.orgchart import OrgChart
from shared.sop.rules import STANDARD_MINUTES
from tests.helpers import publish, wait_for
from tests.observability.compose import compose_commands

pytestmark = pytest.mark.e2e

TIME_SCALE = 60.0  # a 5-minute standard passes in 5 s
FEED = 30
# With no rating the satisfaction panel has no series (it says so rather than show NaN): three
# citizens whose answer arrived rate the service.
RATINGS = (4, 3, 2)  # sangat baik, baik, kurang baik: index 75.00, C


@pytest.fixture
def ports() -> dict[str, int]:
    return {name: free_port() for name in PROCESSES}


@pytest.fixture
def services(settings: Settings, ports: dict[str, int]) -> Iterator[None]:
    env = dict(
        os.environ,
        BAMSOS_AMQP_URL=settings.amqp_url,
        BAMSOS_DATABASE_URL=settings.database_url,
        BAMSOS_CALENDAR="24x7",
        BAMSOS_TIME_SCALE=str(TIME_SCALE),
        BAMSOS_METRICS_PORTS=json.dumps(ports),
        BAMSOS_GATEWAY_PORT="0",  # any free port: no platform is set up here
        BAMSOS_CONSOLE_PORT="0",
        BAMSOS_PDP_KEY="kunci-rahasia-uji-0123456789",  # the console starts only with it
        BAMSOS_LOG_LEVEL="warning",
    )
    commands = compose_commands()
    subprocess.run(commands["setup"], env=env, check=True)
    processes = [subprocess.Popen(commands[name], env=env) for name in PROCESSES]
    yield
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        process.wait(30)


class CardRow(NamedTuple):
    step: int
    role: str
    finished: int
    breached: int
    within: int


def control_card(settings: Settings) -> list[CardRow]:
    """Per step and role: finished steps, breached ones, and those within standard, from the database."""
    h = handovers.c
    with make_engine(settings.database_url).connect() as db:
        rows = db.execute(
            sa.select(
                h.step,
                h.to_role,
                sa.func.count(),
                sa.func.count().filter(h.breached.is_(True)),
                sa.func.count().filter(h.breached.is_(False)),
            )
            .where(h.done_at.is_not(None))
            .group_by(h.step, h.to_role)
        ).all()
    return [CardRow(*row) for row in rows]


def per_step(card: list[CardRow]) -> dict[str, dict[str, int]]:
    """The card's figures summed by step (roles together), leaving out zeros as Prometheus' view does."""
    out: dict[str, dict[str, int]] = {"finished": {}, "breached": {}, "within": {}}
    for row in card:
        for figure, figures in out.items():
            figures[str(row.step)] = figures.get(str(row.step), 0) + getattr(row, figure)
    return {figure: {step: n for step, n in figures.items() if n} for figure, figures in out.items()}


def compliance(card: list[CardRow]) -> dict[tuple[str, str], float]:
    """Per step and role that finished any: the share within standard."""
    return {(str(row.step), row.role): row.within / row.finished for row in card}


def sli_compliance(url: str) -> dict[tuple[str, str], float]:
    series = query(url, "bamsos:step_compliance:ratio_rate1d >= 0")  # not NaN: some finished
    return {(s["metric"]["step"], s["metric"]["role"]): float(s["value"][1]) for s in series}


def prometheus_view(url: str) -> dict[str, dict[str, int]]:
    """The same figures as Prometheus holds them, summed over the services that observed them."""
    within = {}
    for step, minutes in STANDARD_MINUTES.items():
        le = bucket_bound(minutes * 60)
        expr = f'sum(bamsos_step_duration_seconds_bucket{{step="{step}", le="{le}"}})'
        for value in by_label(url, expr, "step").values():
            if value:
                within[str(step)] = int(value)
    return {
        "finished": _ints(by_label(url, "sum by (step) (bamsos_step_duration_seconds_count)", "step")),
        "breached": _ints(by_label(url, "sum by (step) (bamsos_step_breaches_total)", "step")),
        "within": within,
    }


def _ints(values: dict[str, float]) -> dict[str, int]:
    return {key: int(value) for key, value in values.items() if value}


def replied(settings: Settings) -> int:
    with make_engine(settings.database_url).connect() as db:
        done = inquiries.c.delivered_at.is_not(None)
        return int(db.scalar(sa.select(sa.func.count()).where(done)) or 0)


def answer_surveys(settings: Settings) -> None:
    """Citizens (one per account) whose survey went out answer it, one score of RATINGS each."""
    i = inquiries.c
    with make_engine(settings.database_url).connect() as db:
        surveyed = db.execute(
            sa.select(i.channel, i.account).where(i.survey_sent_at.is_not(None)).order_by(i.received_at)
        ).all()
    citizens = list(dict.fromkeys((row.channel, row.account) for row in surveyed))[: len(RATINGS)]
    assert len(citizens) == len(RATINGS), "the answers reached the citizens, so surveys went out"
    now = datetime.now(UTC)
    answers = [
        Inquiry(
            id=uuid.uuid4().hex[:16], channel=Channel(channel), account=account, sent_at=now, text=str(score)
        )
        for (channel, account), score in zip(citizens, RATINGS, strict=True)
    ]
    publish_inquiries(settings.amqp_url, answers)


def ratings(settings: Settings) -> list[int]:
    with make_engine(settings.database_url).connect() as db:
        return sorted(db.scalars(sa.select(inquiries.c.rating).where(inquiries.c.rating.is_not(None))))


def satisfaction_index(url: str) -> float | None:
    series = query(url, skm_index_expr())
    return float(series[0]["value"][1]) if series else None


def test_every_panel_and_rule_evaluates_on_a_real_prometheus_and_the_numbers_match_the_control_card(
    settings: Settings, chart: OrgChart, ports: dict[str, int], services: None
) -> None:
    slow = itertools.count()
    # Every third task takes 6.5 SOP minutes (late against 3 or 5); the rest one minute.
    staff = Staff(
        settings.amqp_url, chart, think=lambda _task: (390 if next(slow) % 3 == 0 else 60) / TIME_SCALE
    ).start()
    connector = Connector(settings.amqp_url).start()
    with local_prometheus(ports) as url:
        try:
            # Prometheus must have seen the counters at zero, or the first dead letter is no increase.
            up = 'up{job="bamsos"} == 1'
            wait_for(lambda: len(query(url, up)) == len(PROCESSES), what="every service scraped")
            publish_inquiries(settings.amqp_url, make_inquiries(FEED, seed=7))
            for body in (b"{not json", b'{"schema": "bamsos.inquiry/9"}'):
                publish(settings.amqp_url, topology.INBOUND, "inquiry.web", body)
            wait_for(lambda: replied(settings) == FEED, timeout=180, what="every inquiry answered")
            answer_surveys(settings)
            wait_for(lambda: ratings(settings) == sorted(RATINGS), timeout=30, what="the ratings recorded")
        finally:
            connector.stop()
            staff.stop()

        # Truth: once Prometheus has scraped the final values, its counts are the control card's.
        rows = control_card(settings)
        card = per_step(rows)
        assert card["breached"], "the feed was meant to breach some steps"
        seen: list[dict[str, dict[str, int]]] = []

        def agrees() -> bool:
            seen.append(prometheus_view(url))
            return seen[-1] == card

        with contextlib.suppress(AssertionError):  # the assert below shows the difference
            wait_for(agrees, timeout=30, what="Prometheus equal to the card")
        assert seen[-1] == card

        # The SLI itself: each step's share within standard is the control card's, per step and role
        # (once the recording rules have been evaluated on the last scrape).
        expected = pytest.approx(compliance(rows))
        wait_for(lambda: sli_compliance(url) == expected, timeout=30, what="the SLI equal to the card")

        # The satisfaction index is the SKM index of the ratings recorded (once scraped).
        expected_index = pytest.approx(skm_index(sum(RATINGS) / len(RATINGS)))
        wait_for(lambda: satisfaction_index(url) == expected_index, timeout=30, what="the SKM index")

        # Every rule is loaded and healthy, every recording rule has series, every panel shows data.
        wait_for(lambda: _rules_evaluated(url), timeout=30, what="every rule evaluated")
        for group in rules_document()["groups"]:
            for rule in group["rules"]:
                series = query(url, rule["expr"])  # raises on a PromQL error
                if "record" in rule:
                    assert series, f"recording rule {rule['record']} has no series"
        for panel in PANELS:
            for target in panel.targets:
                assert query(url, target.expr), f"panel {panel.title!r} shows no series: {target.expr}"

        # The malformed messages are on the dashboard and raise the dead-letter alert.
        alerts = {a["labels"]["alertname"] for a in api(url, "alerts")["alerts"]}
        assert "BamsosDeadLetters" in alerts
        assert by_label(url, "sum by (reason) (bamsos_dead_letters_total > 0)", "reason") == {
            "not_json": 1,
            "unknown_schema": 1,
        }


def _rules_evaluated(url: str) -> bool:
    rules = [rule for group in api(url, "rules")["groups"] for rule in group["rules"]]
    expected = sum(len(group["rules"]) for group in rules_document()["groups"])
    return len(rules) == expected and all(
        rule["health"] == "ok" and rule.get("lastEvaluation", "").startswith("2") for rule in rules
    )
