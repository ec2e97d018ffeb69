"""`bamsos chaos`: faults injected, invariants checked — nothing lost, nothing doubled.

In a throwaway vhost and database on the local servers, it runs the five services under a supervisor
(which restarts what dies, as an orchestrator would), publishes N inquiries of every path with
simulated staff and connector, and meanwhile `kill -9`s random service processes, restarts RabbitMQ
and restarts PostgreSQL. Bounded in count and time; it stops by itself. At the end it checks:

- every inquiry registered once;
- every inquiry answered once (one distinct reply on `bamsos.outbound`, none repeated);
- every control card complete (steps 1, 2, the path, 8) and consistent (handed <= taken <= done);
- the laporan totals exact;
- nothing left in any queue but the malformed messages it sent, each dead-lettered once.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pika
import sqlalchemy as sa
from pika.exceptions import AMQPError

from services import catalog
from services.catalog import NAMES as SERVICES
from shared.devtools.feed import make_inquiries
from shared.devtools.sandbox import temporary_database, temporary_vhost
from shared.devtools.simulation import Connector, Publisher, Staff
from shared.laporan import Period, office_day
from shared.laporan.figures import case_totals, snapshot
from shared.runtime import logs, topology
from shared.runtime.runner import Supervisor, supervise
from shared.runtime.settings import Settings
from shared.runtime.storage import handovers, inquiries, make_engine
from shared.sop.office_calendar import office_zone
from shared.sop.orgchart import load_chart

log = logs.get("bamsos.chaos")

MALFORMED = [b"{not json", b'{"schema": "bamsos.inquiry/1"}', b"[]"]


@dataclass
class Faults:
    kills: Counter[str] = field(default_factory=Counter)
    broker_restarts: int = 0
    database_restarts: int = 0

    def total(self) -> int:
        return sum(self.kills.values()) + self.broker_restarts + self.database_restarts


@dataclass
class ChaosReport:
    inquiries: int
    faults: Faults
    registered: int
    answered: int
    lost: int
    duplicated_replies: int
    redelivered_replies: int
    incomplete_cards: int
    laporan_received: int
    laporan_answered: int
    left_in_queues: dict[str, int]
    dead_letters: int
    seconds: float
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        kills = ", ".join(f"{k} {v}" for k, v in sorted(self.faults.kills.items())) or "none"
        return [
            f"inquiries sent: {self.inquiries} (+{len(MALFORMED)} malformed) in {self.seconds:.0f}s",
            f"faults injected: {self.faults.total()} — kill -9: {kills}; RabbitMQ restarts: "
            f"{self.faults.broker_restarts}; PostgreSQL restarts: {self.faults.database_restarts}",
            f"registered: {self.registered}   answered: {self.answered}   lost: {self.lost}   "
            f"duplicated replies: {self.duplicated_replies} (redelivered, same reply: "
            f"{self.redelivered_replies})",
            f"control cards incomplete: {self.incomplete_cards}   laporan: "
            f"{self.laporan_received} received / {self.laporan_answered} answered",
            f"dead letters: {self.dead_letters} (expected {len(MALFORMED)})   left in queues: "
            f"{sum(self.left_in_queues.values())}",
            "INVARIANTS HOLD" if self.ok else "INVARIANTS BROKEN: " + "; ".join(self.problems),
        ]


def _rabbitmqctl() -> list[str]:
    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        raise RuntimeError("rabbitmqctl is not on PATH; the chaos run needs it (and root)")
    return [ctl]


def restart_broker() -> None:
    """Stop the local RabbitMQ node and start it again (docs/servers.md's commands)."""
    subprocess.run(["rabbitmqctl", "-q", "stop"], check=False, capture_output=True, timeout=120)
    subprocess.run(["rabbitmq-server", "-detached"], check=True, capture_output=True, timeout=60)
    wait_for_broker()


def wait_for_broker(timeout: float = 180.0) -> None:
    """Until the local node runs: `await_startup` fails at once while the node isn't up yet."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        awaited = subprocess.run(
            ["rabbitmqctl", "-q", "await_startup", "--timeout", "60"], capture_output=True, timeout=90
        )
        if awaited.returncode == 0:
            return
        time.sleep(1)
    raise RuntimeError("RabbitMQ did not come back within the time allowed")


def restart_database() -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart", "-m", "fast"],
        check=True,
        capture_output=True,
        timeout=120,
    )


def run_chaos(
    settings: Settings,
    *,
    count: int,
    seconds: float,
    kill_every: float,
    broker_restarts: int,
    database_restarts: int,
    seed: int | None = None,
    deadline: float = 600.0,
) -> ChaosReport:
    """Publish `count` inquiries over about `seconds`, injecting faults; then check the invariants."""
    rng = random.Random(seed)
    ctl = _rabbitmqctl()
    with (
        temporary_vhost(settings.amqp_url, ctl, prefix="bamsos-chaos") as amqp_url,
        temporary_database(settings.database_url, prefix="bamsos_chaos") as database_url,
    ):
        env = dict(
            os.environ,
            BAMSOS_AMQP_URL=amqp_url,
            BAMSOS_DATABASE_URL=database_url,
            BAMSOS_CALENDAR="24x7",
            BAMSOS_METRICS_PORTS=json.dumps(dict.fromkeys(SERVICES, 0)),
            BAMSOS_LOG_LEVEL=os.environ.get("BAMSOS_LOG_LEVEL", "error"),
        )
        chart = load_chart(settings.org_chart)
        connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
        catalog.declare_topology(connection.channel(), chart, settings.queue_type)
        connection.close()
        return _run(
            amqp_url,
            database_url,
            env,
            chart,
            rng,
            count,
            seconds,
            kill_every,
            broker_restarts,
            database_restarts,
            deadline,
            office_zone(settings),
        )


def _run(
    amqp_url: str,
    database_url: str,
    env: dict[str, str],
    chart: Any,
    rng: random.Random,
    count: int,
    seconds: float,
    kill_every: float,
    broker_restarts: int,
    database_restarts: int,
    deadline: float,
    zone: ZoneInfo,
) -> ChaosReport:
    started = time.monotonic()
    faults = Faults()
    stop = threading.Event()
    supervisor = Supervisor(list(SERVICES), env)
    services = threading.Thread(target=supervise, args=(list(SERVICES), stop, env, supervisor), daemon=True)
    services.start()
    staff = Staff(amqp_url, chart, think=lambda _t: rng.uniform(0, 0.3)).start()
    connector = Connector(amqp_url).start()
    feed = make_inquiries(count, seed=rng.randrange(1 << 30))
    publishing = threading.Thread(target=_publish_feed, args=(amqp_url, feed, seconds), daemon=True)
    publishing.start()
    # Faults: kills all along; broker and database restarts spread over the publishing time.
    restarts = [("broker", (i + 1) / (broker_restarts + 1)) for i in range(broker_restarts)]
    restarts += [("database", (i + 0.5) / (database_restarts + 0.5)) for i in range(database_restarts)]
    plan = sorted((started + share * seconds, kind) for kind, share in restarts)
    next_kill = started + kill_every
    engine = make_engine(database_url)
    try:
        while time.monotonic() - started < deadline:
            now = time.monotonic()
            if plan and now >= plan[0][0]:
                _, kind = plan.pop(0)
                log.warning("chaos_restart", server=kind)
                if kind == "broker":
                    restart_broker()
                    faults.broker_restarts += 1
                else:
                    restart_database()
                    faults.database_restarts += 1
                engine.dispose()
            if now >= next_kill and (publishing.is_alive() or plan):
                victim = rng.choice(SERVICES)
                supervisor.kill(victim)
                faults.kills[victim] += 1
                next_kill = now + kill_every
            if not publishing.is_alive() and not plan and _settled(amqp_url, engine, count, chart):
                break
            time.sleep(0.2)
    finally:
        staff.stop()
        connector.stop()
        stop.set()
        services.join(60)
    return _check(amqp_url, engine, chart, feed, connector, faults, time.monotonic() - started, zone)


def _publish_feed(amqp_url: str, feed: list[Any], seconds: float) -> None:
    publisher = Publisher(amqp_url)
    pause = seconds / max(1, len(feed))
    try:
        for n, inquiry in enumerate(feed):
            publisher.publish(inquiry)
            if n in (len(feed) // 3, 2 * len(feed) // 3):
                publisher.publish(inquiry)  # a connector that sends one twice
            time.sleep(pause)
        for body in MALFORMED:
            _publish_raw(amqp_url, body)
    finally:
        publisher.close()


def _publish_raw(amqp_url: str, body: bytes) -> None:
    for _ in range(100):
        try:
            connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
            channel = connection.channel()
            channel.confirm_delivery()
            channel.basic_publish(
                topology.INBOUND, "inquiry.web", body, pika.BasicProperties(delivery_mode=2)
            )
            connection.close()
            return
        except AMQPError:
            time.sleep(0.5)


def _queue_counts(amqp_url: str, chart: Any) -> dict[str, int]:
    names = [q.name for q in catalog.all_queues(chart)] + [topology.DEAD_LETTER_QUEUE]
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        channel = connection.channel()
        return {n: int(channel.queue_declare(n, passive=True).method.message_count) for n in names}
    finally:
        connection.close()


def _settled(amqp_url: str, engine: sa.Engine, count: int, chart: Any) -> bool:
    try:
        with engine.connect() as db:
            open_steps = db.scalar(sa.select(sa.func.count()).where(handovers.c.done_at.is_(None)))
            replied = db.scalar(sa.select(sa.func.count()).where(inquiries.c.delivered_at.is_not(None)))
        counts = _queue_counts(amqp_url, chart)
    except (sa.exc.DBAPIError, AMQPError):
        return False
    counts.pop(topology.DEAD_LETTER_QUEUE)
    return open_steps == 0 and replied == count and not any(counts.values())


def _check(
    amqp_url: str,
    engine: sa.Engine,
    chart: Any,
    feed: list[Any],
    connector: Connector,
    faults: Faults,
    elapsed: float,
    zone: ZoneInfo,
) -> ChaosReport:
    problems: list[str] = []
    ids = {i.id for i in feed}
    with engine.connect() as db:
        registered = Counter(db.scalars(sa.select(inquiries.c.upstream_id)))
        cards = db.execute(
            sa.select(
                handovers.c.inquiry_id,
                handovers.c.step,
                handovers.c.handed_at,
                handovers.c.taken_at,
                handovers.c.done_at,
            ).order_by(handovers.c.id)
        ).all()
    if set(registered) != ids or any(n != 1 for n in registered.values()):
        problems.append("registrations do not match the feed one to one")
    replies = Counter(r["in_reply_to"] for r in connector.replies)
    answered = sum(1 for i in ids if replies[i] >= 1)
    duplicated = sum(n - 1 for n in replies.values() if n > 1)
    if answered < len(ids):
        problems.append(f"{len(ids) - answered} inquiries got no reply")
    if duplicated:
        problems.append(f"{duplicated} second replies")
    steps: dict[str, list[int]] = {}
    inconsistent = 0
    for row in cards:
        steps.setdefault(row.inquiry_id, []).append(row.step)
        if (
            row.done_at is None
            or row.done_at < row.handed_at
            or (row.taken_at is not None and not row.handed_at <= row.taken_at <= row.done_at)
        ):
            inconsistent += 1
    incomplete = (
        inconsistent
        + sum(1 for s in steps.values() if s[:2] != [1, 2] or s[-1] != 8 or len(s) < 4)
        + (len(ids) - len(steps))
    )
    if incomplete:
        problems.append(f"{incomplete} control cards incomplete or inconsistent")
    days = [office_day(datetime.now(UTC), zone), *(office_day(i.sent_at, zone) for i in feed)]
    with snapshot(engine) as db:
        totals = case_totals(db, Period(min(days), max(days), zone))
    received, replied = totals.received, totals.answered
    if (received, replied) != (len(ids), len(ids)):
        problems.append(f"laporan counts {received}/{replied}, expected {len(ids)}/{len(ids)}")
    counts = _queue_counts(amqp_url, chart)
    dead = counts.pop(topology.DEAD_LETTER_QUEUE)
    left = {q: n for q, n in counts.items() if n}
    if left:
        problems.append(f"messages left in {sorted(left)}")
    if dead != len(MALFORMED):
        problems.append(f"{dead} dead letters, expected {len(MALFORMED)}")
    return ChaosReport(
        inquiries=len(ids),
        faults=faults,
        registered=sum(registered.values()),
        answered=answered,
        lost=len(ids) - answered,
        duplicated_replies=duplicated,
        redelivered_replies=connector.redelivered,
        incomplete_cards=incomplete,
        laporan_received=received,
        laporan_answered=replied,
        left_in_queues=left,
        dead_letters=dead,
        seconds=elapsed,
        problems=problems,
    )
