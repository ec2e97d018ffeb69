"""`bamsos chaos`: faults injected, invariants checked — nothing lost, nothing doubled, and the SOP
kept: every late step's notices up the ladder, every control card whole, every path what staff did.

In a throwaway vhost and database it runs `copies` processes of each of the five services under a
supervisor (which restarts what dies, as an orchestrator would), on an SOP clock `time_scale` times
faster, and publishes N inquiries of every path (a few twice, a few malformed) to simulated staff and
connector. Part of the staff are slow (a seeded share answer after one, two or three standards), so
steps breach and the router's scan sends notices up the ladder admin -> kasi -> kabid -> kadis.
Meanwhile it follows a fault plan drawn from the seed: `kill -9` of one service copy every
`kill_every` seconds (every service once before any twice, then the router every other kill), the
broker and database restarts, and any extra faults (a cluster's node stop). The same seed gives the
same plan; the staff, the feed and the plan each draw from their own generator seeded from it.

At the end it checks (shared/devtools/chaos_checks.py):
- every inquiry registered (registered == sent) and answered once (one distinct reply each);
- every breach produced exactly one notice per ladder level it reached, to the right head;
- no control card has a doubled or missing handover (steps 1, 2, 8 once; the steps between them
  exactly the tasks staff worked; one step open at a time, all closed);
- each case's path is what its staff did; one acknowledgement and one survey per citizen;
- the laporan totals exact; nothing left in any queue but the malformed messages, dead-lettered once.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pika
import sqlalchemy as sa
from pika.exceptions import AMQPError

from services import catalog
from services.catalog import NAMES as SERVICES
from services.runner import Supervisor, supervise
from shared.devtools import chaos_checks as checks
from shared.devtools.feed import make_inquiries
from shared.devtools.sandbox import temporary_database, temporary_vhost
from shared.devtools.simulation import Connector, Did, Publisher, Staff
from shared.laporan import Period, office_day
from shared.laporan.figures import case_totals, snapshot
from shared.runtime import logs, topology
from shared.runtime.settings import Settings
from shared.runtime.storage import handovers, inquiries, make_engine, notices
from shared.runtime.worker import amqp
from shared.sop.contracts import Inquiry, Role, Task, Topic
from shared.sop.office_calendar import office_zone
from shared.sop.offices import the_office
from shared.sop.orgchart import OrgChart
from shared.sop.rules import STANDARD_MINUTES

log = logs.get("bamsos.chaos")

MALFORMED = [b"{not json", b'{"schema": "bamsos.inquiry/1"}', b"[]"]
DEFAULT_TIME_SCALE = 60.0  # a 5-minute standard passes in 5 s
SLOW_SHARE = 0.3  # of tasks, answered after one, two or three standards (a third each)

ExtraFault = tuple[float, str, Callable[[], None]]  # (share of `seconds`, kind, action)


# --- the fault plan ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedFault:
    at: float  # seconds after the start
    kind: str  # "kill", "broker_restart", "database_restart", or an extra fault's kind
    target: str = ""  # the process killed: "router" (its first copy), "router#2"...

    def __str__(self) -> str:
        return f"{self.at:.1f}s {self.kind}{' ' + self.target if self.target else ''}"


def process_name(service: str, copy: int) -> str:
    """The supervisor's name for a service's copy (0-based): `router`, `router#2`..."""
    return service if copy == 0 else f"{service}#{copy + 1}"


def kill_order(rng: random.Random, count: int) -> list[str]:
    """`count` services to kill: each once (in a shuffled order) before any twice, then rounds in
    which the router (the one with the clock, the scan and the reply) alternates with the others."""
    order = list(SERVICES)
    rng.shuffle(order)
    while len(order) < count:
        others = [s for s in SERVICES if s != "router"]
        rng.shuffle(others)
        order += [s for other in others for s in ("router", other)]
    return order[:count]


def fault_plan(
    seed: int,
    *,
    seconds: float,
    kill_every: float,
    copies: int,
    broker_restarts: int,
    database_restarts: int,
    extra_kinds: Sequence[tuple[float, str]] = (),
) -> list[PlannedFault]:
    """The run's faults, in time order; a function of its arguments alone (the seed above all)."""
    rng = random.Random(f"{seed}:faults")
    victims = kill_order(rng, int(seconds // kill_every))
    # A service's kills go round its copies, from a drawn one: a second kill hits the other copy.
    first_copy = {s: rng.randrange(copies) for s in SERVICES}
    nth: Counter[str] = Counter()
    plan = []
    for n, victim in enumerate(victims):
        copy = (first_copy[victim] + nth[victim]) % copies
        nth[victim] += 1
        plan.append(PlannedFault(round(kill_every * (n + 1), 1), "kill", process_name(victim, copy)))
    plan += [
        PlannedFault(round(seconds * (i + 1) / (broker_restarts + 1), 1), "broker_restart")
        for i in range(broker_restarts)
    ]
    plan += [
        PlannedFault(round(seconds * (i + 0.5) / (database_restarts + 0.5), 1), "database_restart")
        for i in range(database_restarts)
    ]
    plan += [PlannedFault(round(share * seconds, 1), kind) for share, kind in extra_kinds]
    return sorted(plan, key=lambda f: f.at)


@dataclass
class Faults:
    """The faults injected, by kind."""

    kills: Counter[str] = field(default_factory=Counter)  # per service, all copies together
    broker_restarts: int = 0
    database_restarts: int = 0
    other: Counter[str] = field(default_factory=Counter)  # extra faults by kind (node_stop...)

    def total(self) -> int:
        return (
            sum(self.kills.values())
            + self.broker_restarts
            + self.database_restarts
            + sum(self.other.values())
        )

    def count(self, fault: PlannedFault) -> None:
        if fault.kind == "kill":
            self.kills[fault.target.partition("#")[0]] += 1
        elif fault.kind == "broker_restart":
            self.broker_restarts += 1
        elif fault.kind == "database_restart":
            self.database_restarts += 1
        else:
            self.other[fault.kind] += 1


# --- the staff ---------------------------------------------------------------------------------


class SlowStaff:
    """The chaos run's officers: most answer within 0.3 s; a seeded share answer after one, two or
    three standards of their step, so steps breach and the notices climb the ladder. Some escalate
    or re-route, so every path runs: the admin sends a policy question to the section head or a
    data error to the editor, a section head asks the division head, a head or the pickup desk
    re-routes between steps 6 and 7 (once per case)."""

    def __init__(self, rng: random.Random, time_scale: float, slow_share: float = SLOW_SHARE) -> None:
        self.rng = rng
        self.time_scale = time_scale
        self.slow_share = slow_share
        self.rerouted: set[str] = set()

    def think(self, task: Task) -> float:
        standard = STANDARD_MINUTES[task.step] * 60 / self.time_scale
        if self.rng.random() >= self.slow_share:
            return self.rng.uniform(0, 0.3)
        late = self.rng.choice((1, 2, 3))
        return (late + 0.5) * standard  # half a standard past the `late`-th notice's time

    def choose(self, task: Task) -> bool | Topic:
        roll = self.rng.random()
        if task.role is Role.admin:
            return Topic.kesalahan_data if roll < 0.15 else roll < 0.3
        if task.role is Role.kasi and task.step == 3:
            return roll < 0.3
        if task.step == 6 and task.role is Role.kasi:
            return self._reroute(task, Topic.dokumen_terbit) if roll < 0.15 else roll < 0.3
        if task.role is Role.pickup and roll < 0.2 and task.service is not None:
            return self._reroute(task, Topic.belum_terbit)
        return False

    def _reroute(self, task: Task, topic: Topic) -> bool | Topic:
        if task.inquiry_id in self.rerouted:
            return False
        self.rerouted.add(task.inquiry_id)
        return topic


# --- the report --------------------------------------------------------------------------------


@dataclass
class ChaosReport:
    seed: int
    plan: list[PlannedFault]
    copies: int
    time_scale: float
    inquiries: int
    faults: Faults
    registered: int
    answered: int
    lost: int
    duplicated_replies: int
    redelivered_replies: int
    # The same reply (reply_id) delivered again as a fresh message: published twice, as when work
    # acknowledged on a lost primary was done again on its promoted standby.
    republished_replies: int
    incomplete_cards: int  # cases whose card has a doubled, missing, open or disordered handover
    wrong_paths: int
    notices: Counter[str]  # distinct breach notices per level and head: "1 kasi", "2 kabid"...
    notice_problems: int
    laporan_received: int
    laporan_answered: int
    left_in_queues: dict[str, int]
    dead_letters: int
    seconds: float
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems

    def notices_per_level(self) -> dict[int, int]:
        levels: Counter[int] = Counter()
        for key, n in self.notices.items():
            levels[int(key.split()[0])] += n
        return dict(sorted(levels.items()))

    def _heads_at(self, level: int) -> str:
        heads = sorted((key.split()[1], n) for key, n in self.notices.items() if key.startswith(f"{level} "))
        return ", ".join(f"{head} {n}" for head, n in heads)

    def lines(self) -> list[str]:
        kills = ", ".join(f"{k} {v}" for k, v in sorted(self.faults.kills.items())) or "none"
        other = "".join(f"; {k}: {v}" for k, v in sorted(self.faults.other.items()))
        per_level = ", ".join(
            f"level {level}: {n} ({self._heads_at(level)})" for level, n in self.notices_per_level().items()
        )
        faults = [str(f) for f in self.plan]
        plan = [", ".join(faults[n : n + 10]) for n in range(0, len(faults), 10)] or ["none"]
        return [
            f"seed {self.seed}; fault plan ({len(faults)}): " + plan[0],
            *(f"  {more}" for more in plan[1:]),
            f"inquiries sent: {self.inquiries} (+{len(MALFORMED)} malformed) in {self.seconds:.0f}s; "
            f"{self.copies} copies of each service; SOP clock x{self.time_scale:g}, "
            f"{SLOW_SHARE:.0%} of tasks slow",
            f"faults injected: {self.faults.total()} — kill -9: {kills}; RabbitMQ restarts: "
            f"{self.faults.broker_restarts}; PostgreSQL restarts: {self.faults.database_restarts}{other}",
            f"registered: {self.registered} of {self.inquiries}   answered: {self.answered}   "
            f"lost: {self.lost}   duplicated replies: {self.duplicated_replies} (redelivered, same "
            f"reply: {self.redelivered_replies}; published again: {self.republished_replies})",
            f"breach notices: {sum(self.notices.values())} — {per_level or 'none'}; "
            f"wrong or missing: {self.notice_problems}",
            f"control cards incomplete or doubled: {self.incomplete_cards}   wrong paths: "
            f"{self.wrong_paths}   laporan: {self.laporan_received} received / "
            f"{self.laporan_answered} answered",
            f"dead letters: {self.dead_letters} (expected {len(MALFORMED)})   left in queues: "
            f"{sum(self.left_in_queues.values())}",
            "INVARIANTS HOLD" if self.ok else "INVARIANTS BROKEN: " + "; ".join(self.problems),
        ]


# --- the host's servers ------------------------------------------------------------------------


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


# --- the run -----------------------------------------------------------------------------------


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
    copies: int = 2,
    time_scale: float = DEFAULT_TIME_SCALE,
    rabbitmqctl: Sequence[str] = ("rabbitmqctl",),
    extra_faults: Sequence[ExtraFault] = (),
) -> ChaosReport:
    """Publish `count` inquiries over about `seconds` while the fault plan runs; then check.

    `rabbitmqctl` is the argv prefix that makes the throwaway vhost (a cluster's names its node);
    `extra_faults` are `(share of seconds, kind, action)` run at `share * seconds` and counted by kind.
    """
    if seed is None:
        seed = random.SystemRandom().randrange(1 << 31)  # printed in the report: the run can be replayed
    plan = fault_plan(
        seed,
        seconds=seconds,
        kill_every=kill_every,
        copies=copies,
        broker_restarts=broker_restarts,
        database_restarts=database_restarts,
        extra_kinds=[(share, kind) for share, kind, _action in extra_faults],
    )
    # Each extra fault's action, found by its place in the plan (two may share a time and kind).
    actions: dict[tuple[float, str], list[Callable[[], None]]] = defaultdict(list)
    for share, kind, action in extra_faults:
        actions[(round(share * seconds, 1), kind)].append(action)
    with (
        temporary_vhost(settings.amqp_url, list(rabbitmqctl), prefix="bamsos-chaos") as amqp_url,
        temporary_database(settings.database_url, prefix="bamsos_chaos") as database_url,
    ):
        env = dict(
            os.environ,
            BAMSOS_AMQP_URL=amqp_url,
            BAMSOS_DATABASE_URL=database_url,
            BAMSOS_CALENDAR="24x7",  # the checks replay the ladder on round-the-clock time
            BAMSOS_TIME_SCALE=str(time_scale),
            BAMSOS_QUEUE_TYPE=settings.queue_type,
            BAMSOS_METRICS_PORTS=json.dumps(dict.fromkeys(SERVICES, 0)),
            BAMSOS_LOG_LEVEL=os.environ.get("BAMSOS_LOG_LEVEL", "error"),
        )
        chart = the_office(settings).chart
        connection = amqp.connect(amqp_url)
        catalog.declare_topology(connection.channel(), chart, settings.queue_type)
        connection.close()
        run = _Run(amqp_url, database_url, env, chart, seed, copies, time_scale)
        started = time.monotonic()
        feed, faults = run.execute(count, seconds, plan, actions, deadline)
        return run.check(feed, faults, plan, time.monotonic() - started, office_zone(settings))


class _Run:
    """One chaos run's actors, in its vhost and database."""

    def __init__(
        self,
        amqp_url: str,
        database_url: str,
        env: dict[str, str],
        chart: OrgChart,
        seed: int,
        copies: int,
        time_scale: float,
    ) -> None:
        self.amqp_url = amqp_url
        self.env = env
        self.chart = chart
        self.seed = seed
        self.copies = copies
        self.time_scale = time_scale
        self.engine = make_engine(database_url)
        self.names = [process_name(s, c) for s in SERVICES for c in range(copies)]
        self.supervisor = Supervisor(self.names, env)
        policy = SlowStaff(random.Random(f"{seed}:staff"), time_scale)
        self.staff = Staff(
            amqp_url, chart, think=policy.think, escalate=policy.choose, rng=random.Random(f"{seed}:officers")
        )
        self.connector = Connector(amqp_url, seed=seed)

    def execute(
        self,
        count: int,
        seconds: float,
        plan: list[PlannedFault],
        actions: dict[tuple[float, str], list[Callable[[], None]]],
        deadline: float,
    ) -> tuple[list[Inquiry], Faults]:
        started = time.monotonic()
        faults = Faults()
        stop = threading.Event()
        services = threading.Thread(
            target=supervise, args=(self.names, stop, self.env, self.supervisor), daemon=True
        )
        services.start()
        self.staff.start()
        self.connector.start()
        feed = make_inquiries(count, seed=random.Random(f"{self.seed}:feed").randrange(1 << 30))
        threads = [
            threading.Thread(target=_publish_feed, args=(self.amqp_url, feed, seconds), daemon=True),
            threading.Thread(target=self._inject, args=(plan, actions, started, faults, stop), daemon=True),
        ]
        for thread in threads:
            thread.start()
        try:
            while time.monotonic() - started < deadline:
                if not any(t.is_alive() for t in threads) and self._settled(count):
                    break
                time.sleep(0.5)
        finally:
            stop.set()
            self.staff.stop()
            self.connector.stop()
            services.join(60)
        return feed, faults

    def _inject(
        self,
        plan: list[PlannedFault],
        actions: dict[tuple[float, str], list[Callable[[], None]]],
        started: float,
        faults: Faults,
        stop: threading.Event,
    ) -> None:
        """The fault thread: each planned fault at its time (or at once, if one before ran long)."""
        for fault in plan:
            if stop.wait(max(0.0, started + fault.at - time.monotonic())):
                return
            log.warning("chaos_fault", fault=str(fault))
            if fault.kind == "kill":
                self.supervisor.kill(fault.target)
            elif fault.kind == "broker_restart":
                restart_broker()
            elif fault.kind == "database_restart":
                restart_database()
                self.engine.dispose()
            else:
                actions[(fault.at, fault.kind)].pop(0)()
            faults.count(fault)

    def _settled(self, count: int) -> bool:
        try:
            with self.engine.connect() as db:
                open_steps = db.scalar(sa.select(sa.func.count()).where(handovers.c.done_at.is_(None)))
                delivered = db.scalar(sa.select(sa.func.count()).where(inquiries.c.delivered_at.is_not(None)))
                recorded = db.scalar(sa.select(sa.func.count()).select_from(notices)) or 0
            counts = _queue_counts(self.amqp_url, self.chart)
        except (sa.exc.DBAPIError, AMQPError):
            return False
        counts.pop(topology.DEAD_LETTER_QUEUE)
        # The survey is published just after its row commits: wait until the connector has it.
        received = len({n["notice_id"] for n in self.connector.notices})
        return open_steps == 0 and delivered == count and received >= recorded and not any(counts.values())

    def check(
        self, feed: list[Inquiry], faults: Faults, plan: list[PlannedFault], elapsed: float, zone: Any
    ) -> ChaosReport:
        ids = {i.id for i in feed}
        topics = {i.id: i.topic.value if i.topic else None for i in feed}
        with self.engine.connect() as db:
            cases = db.execute(
                sa.select(inquiries.c.inquiry_id, inquiries.c.upstream_id, inquiries.c.path)
            ).all()
            rows = [checks.CardRow(**r._mapping) for r in db.execute(sa.select(*_CARD_COLUMNS))]
            recorded = [tuple(r) for r in db.execute(sa.select(notices.c.notice_id, notices.c.kind))]
        did: dict[str, list[Did]] = defaultdict(list)
        for act in self.staff.did:
            did[act.inquiry_id].append(act)
        cards: dict[str, list[checks.CardRow]] = defaultdict(list)
        for row in rows:
            cards[row.inquiry_id].append(row)
        seen = [checks.SeenNotice.of(t) for t in self.staff.notices_seen]
        unregistered = sorted(ids - {c.upstream_id for c in cases})
        found: dict[str, list[str]] = {
            "registration": [f"{i[:8]}: not registered" for i in unregistered],
            "reply": checks.reply_problems(ids, self.connector.replies),
            "card": checks.card_problems([c.inquiry_id for c in cases], cards, did),
            "path": checks.path_problems(
                [checks.Case(c.inquiry_id, topics.get(c.upstream_id), c.path) for c in cases], did
            ),
            "notice": checks.notice_problems(rows, seen, self.time_scale),
            "citizen notice": checks.citizen_notice_problems(
                [c.inquiry_id for c in cases], self.connector.notices, recorded
            ),
        }
        days = [office_day(datetime.now(UTC), zone), *(office_day(i.sent_at, zone) for i in feed)]
        with snapshot(self.engine) as db:
            totals = case_totals(db, Period(min(days), max(days), zone))
        if (totals.received, totals.answered) != (len(ids), len(ids)):
            found["laporan"] = [f"counts {totals.received}/{totals.answered}, expected {len(ids)} each"]
        counts = _queue_counts(self.amqp_url, self.chart)
        dead = counts.pop(topology.DEAD_LETTER_QUEUE)
        left = {q: n for q, n in counts.items() if n}
        found["queue"] = [f"messages left in {q}" for q in sorted(left)]
        if dead != len(MALFORMED):
            found["queue"].append(f"{dead} dead letters, expected {len(MALFORMED)}")
        distinct = {r["reply_id"]: r for r in self.connector.replies}.values()
        replies = Counter(r["in_reply_to"] for r in distinct)
        return ChaosReport(
            seed=self.seed,
            plan=plan,
            copies=self.copies,
            time_scale=self.time_scale,
            inquiries=len(ids),
            faults=faults,
            registered=len(ids & {c.upstream_id for c in cases}),
            answered=len(ids & set(replies)),
            lost=len(ids - set(replies)),
            duplicated_replies=sum(n - 1 for n in replies.values()),
            redelivered_replies=self.connector.redelivered,
            republished_replies=len(self.connector.replies) - len(distinct),
            incomplete_cards=checks.cases_in(found["card"]),
            wrong_paths=checks.cases_in(found["path"]),
            notices=checks.notices_by_level(seen),
            notice_problems=len(found["notice"]),
            laporan_received=totals.received,
            laporan_answered=totals.answered,
            left_in_queues=left,
            dead_letters=dead,
            seconds=elapsed,
            problems=_summarise(found),
        )


_CARD_COLUMNS = (
    handovers.c.inquiry_id,
    handovers.c.step,
    handovers.c.to_role,
    handovers.c.handed_at,
    handovers.c.due_at,
    handovers.c.done_at,
    handovers.c.standard_seconds,
    handovers.c.escalation_level,
    handovers.c.taken_at,
)


def _summarise(found: dict[str, list[str]], shown: int = 3) -> list[str]:
    """One line per broken invariant: how many problems, and the first few."""
    return [
        f"{len(problems)} {kind} problem(s): " + "; ".join(problems[:shown])
        for kind, problems in found.items()
        if problems
    ]


def _publish_feed(amqp_url: str, feed: list[Inquiry], seconds: float) -> None:
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
            connection = amqp.connect(amqp_url)
            channel = connection.channel()
            channel.confirm_delivery()
            channel.basic_publish(
                topology.INBOUND, "inquiry.web", body, pika.BasicProperties(delivery_mode=2)
            )
            connection.close()
            return
        except AMQPError:
            time.sleep(0.5)


def _queue_counts(amqp_url: str, chart: OrgChart) -> dict[str, int]:
    names = [q.name for q in catalog.all_queues(chart)] + [topology.DEAD_LETTER_QUEUE]
    connection = amqp.connect(amqp_url)
    try:
        channel = connection.channel()
        return {n: int(channel.queue_declare(n, passive=True).method.message_count) for n in names}
    finally:
        connection.close()
