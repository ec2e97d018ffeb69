"""`bamsos bench`: the pipeline's speed, against two reference chains measured in the same run.

In a throwaway vhost and database on the local servers it runs the real services (`bamsos run`,
separate processes) with instant simulated staff and connector, and measures:

- throughput: N inquiries flooded over every path, from the first publish until the last case's
  receipt has closed its step 8 and the reporter has counted its reply (not merely the last reply);
- latency: M inquiries sent open-loop at a fixed share (default 50%) of that throughput, reply time
  minus send time, p50/p95/p99 — staff answer at once, so this is the pipeline's own latency; a
  reply that never comes counts as infinitely late and fails the run;
- arrival order in the admin's queue (every task there is its case's first), by ticket;
- each service's handling time (its `bamsos_handling_seconds` histogram), peak RSS of every
  process, and CPU seconds per inquiry;
- the references: a bare pika chain with no database (the ceiling) and a naive per-message chain
  (consume, validate, one commit, confirmed publish, ack), both with 5 hops and inquiry-sized bodies.

With `--profile DIR`, py-spy samples every service during the flood and `DIR/summary.txt` says
where each one's time went (`shared/devtools/profiling.py`); the figures of such a run carry the
profiler's cost. With `--scale-out` the same invocation runs again with two copies of intake and
of the router. It prints the ratios and writes everything as JSON, to compare commits. Numbers
swing between runs on a shared 2-core machine: compare figures of one run, or medians of several.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import socket
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pika
import psutil
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from services import catalog
from services.catalog import NAMES as SERVICES
from services.runner import Supervisor
from shared.devtools import profiling
from shared.devtools.bench_chain import run_chain
from shared.devtools.feed import make_inquiries
from shared.devtools.polling import wait_until
from shared.devtools.sandbox import temporary_database, temporary_vhost
from shared.devtools.simulation import Connector, Staff
from shared.runtime import topology
from shared.runtime.settings import Settings
from shared.runtime.storage import inquiries, make_engine, report_cases
from shared.runtime.worker import to_json
from shared.sop.contracts import Inquiry
from shared.sop.offices import the_office


@dataclass
class ServiceFigures:
    processes: int
    peak_rss_mb: float
    cpu_seconds: float
    handling_mean_ms: float | None
    handling_p99_ms: float | None


@dataclass
class OrderFigures:
    """Arrival order in the admin's queue, where every task is its case's first: a task arriving
    after one registered later (a higher ticket) is out of order."""

    tasks: int
    out_of_order: int


@dataclass
class BenchResult:
    inquiries: int
    copies: dict[str, int]
    throughput_per_s: float
    latency_rate_per_s: float
    latency_inquiries: int
    latency_missing: int
    latency_ms: dict[str, float]
    cpu_ms_per_inquiry: float
    services: dict[str, ServiceFigures]
    admin_queue_order: OrderFigures
    bare_chain_per_s: float | None = None
    naive_chain_per_s: float | None = None
    ratios: dict[str, float] = field(default_factory=dict)
    machine: dict[str, Any] = field(default_factory=dict)

    @property
    def failures(self) -> list[str]:
        """What makes the run's figures untrue: replies that never came, or order lost with one copy."""
        out = []
        if self.latency_missing:
            out.append(f"{self.latency_missing} of {self.latency_inquiries} latency inquiries got no reply")
        if self.copies.get("router", 1) == 1 and self.admin_queue_order.out_of_order:
            out.append(f"{self.admin_queue_order.out_of_order} admin tasks out of order with one router")
        return out

    def lines(self) -> list[str]:
        copies = ", ".join(f"{n} {name}" for name, n in self.copies.items())
        order = self.admin_queue_order
        out = [
            f"pipeline: {self.throughput_per_s:.0f} inquiries/s end to end ({self.inquiries} inquiries, "
            f"{copies}; clock stopped when the last receipt and reporter event were handled)",
            f"latency at {self.latency_rate_per_s:.0f}/s ({self.latency_inquiries} inquiries, "
            f"{self.latency_missing} without a reply): "
            + "  ".join(f"{k} {v:.0f} ms" for k, v in self.latency_ms.items()),
            f"CPU per inquiry (all services): {self.cpu_ms_per_inquiry:.1f} ms",
            f"admin queue arrival order: {order.out_of_order} of {order.tasks} tasks after a later case's",
        ]
        for name, s in self.services.items():
            handling = (
                f"handling mean {s.handling_mean_ms:.1f} ms, p99 <= {s.handling_p99_ms:.0f} ms"
                if s.handling_mean_ms is not None and s.handling_p99_ms is not None
                else "handling n/a"
            )
            out.append(
                f"  {name:<14} peak RSS {s.peak_rss_mb:5.1f} MB  CPU {s.cpu_seconds:5.1f} s  {handling}"
            )
        if self.bare_chain_per_s:
            out.append(f"bare pika chain (5 hops, no database): {self.bare_chain_per_s:.0f} msg/s")
        if self.naive_chain_per_s:
            out.append(
                f"naive chain (5 hops, commit + confirm per message): {self.naive_chain_per_s:.0f} msg/s"
            )
        out += [f"ratio {k}: {v:.2f}" for k, v in self.ratios.items()]
        out += [f"FAILED: {f}" for f in self.failures]
        return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Sampler:
    """Samples RSS and CPU time of the supervisor's processes, by service."""

    def __init__(self, supervisor: Supervisor) -> None:
        self.supervisor = supervisor
        self.peak_rss: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def cpu_seconds(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for name, proc in self.supervisor.procs.items():
            try:
                times = psutil.Process(proc.pid).cpu_times()
            except psutil.Error:
                continue
            service = name.split("#")[0]
            out[service] = out.get(service, 0.0) + times.user + times.system
        return out

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            for name, proc in self.supervisor.procs.items():
                try:
                    rss = psutil.Process(proc.pid).memory_info().rss / 1e6
                except psutil.Error:
                    continue
                service = name.split("#")[0]
                self.peak_rss[service] = max(self.peak_rss.get(service, 0.0), rss)

    def __enter__(self) -> _Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _fast_publish(channel: Any, inquiry: Inquiry) -> None:
    channel.basic_publish(
        topology.INBOUND,
        f"inquiry.{inquiry.channel.value}",
        to_json(inquiry),
        pika.BasicProperties(delivery_mode=2, message_id=f"{inquiry.channel.value}-{inquiry.id}"),
    )


def _handling(port: int) -> tuple[float | None, float | None]:
    """Mean and bucket-bound p99 of `bamsos_handling_seconds`, from a service's /metrics."""
    try:
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    except OSError:
        return None, None
    buckets = [
        (float(m.group(1)), float(m.group(2)))
        for m in re.finditer(r'bamsos_handling_seconds_bucket\{le="([^"]+)",service="[^"]+"\} (\S+)', text)
        if m.group(1) != "+Inf"
    ]
    total = re.search(r"bamsos_handling_seconds_sum\{[^}]*\} (\S+)", text)
    count = re.search(r"bamsos_handling_seconds_count\{[^}]*\} (\S+)", text)
    if not (total and count) or float(count.group(1)) == 0:
        return None, None
    n = float(count.group(1))
    p99 = next((le for le, c in buckets if c >= 0.99 * n), None)
    return 1000 * float(total.group(1)) / n, (1000 * p99 if p99 is not None else None)


def run_bench(
    settings: Settings,
    *,
    count: int,
    latency_count: int,
    load_share: float = 0.5,
    copies: dict[str, int] | None = None,
    references: bool = True,
    seed: int = 7,
    profile: Path | None = None,
) -> BenchResult:
    """One run: the pipeline (with `copies` of some services, e.g. {"router": 2}), then the
    reference chains on the same vhost and database server."""
    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        raise RuntimeError("rabbitmqctl is not on PATH; the benchmark makes its own vhost with it")
    copies = {name: copies.get(name, 1) for name in SERVICES} if copies else dict.fromkeys(SERVICES, 1)
    chart = the_office(settings).chart
    with (
        temporary_vhost(settings.amqp_url, [ctl], prefix="bamsos-bench") as amqp_url,
        temporary_database(settings.database_url, prefix="bamsos_bench") as database_url,
    ):
        connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
        catalog.declare_topology(connection.channel(), chart, settings.queue_type)
        connection.close()
        ports = {name: _free_port() for name in SERVICES}
        env = dict(
            os.environ,
            BAMSOS_AMQP_URL=amqp_url,
            BAMSOS_DATABASE_URL=database_url,
            BAMSOS_CALENDAR="24x7",
            BAMSOS_METRICS_PORTS=json.dumps(ports),
            BAMSOS_LOG_LEVEL="warning",
        )
        names = [name if n == 1 else f"{name}#{n}" for name in SERVICES for n in range(1, copies[name] + 1)]
        supervisor = Supervisor(names, env)
        for name in names:
            supervisor.start(name)
        staff = Staff(amqp_url, chart).start()
        connector = Connector(amqp_url).start()
        engine = make_engine(database_url)
        try:
            result = _measure(
                amqp_url,
                engine,
                supervisor,
                ports,
                connector,
                count,
                latency_count,
                load_share,
                seed,
                profile,
            )
        finally:
            staff.stop()
            connector.stop()
            supervisor.stop_all()
            engine.dispose()
        result.copies = {name: n for name, n in copies.items() if n > 1} or {"router": 1}
        if references:
            body_sizes = make_inquiries(count, seed=seed)
            bodies = [to_json(i) for i in body_sizes]
            result.bare_chain_per_s = run_chain(amqp_url, None, "bare", bodies)
            result.naive_chain_per_s = run_chain(amqp_url, database_url, "naive", bodies)
            result.ratios = {
                "pipeline/bare": result.throughput_per_s / result.bare_chain_per_s,
                "pipeline/naive": result.throughput_per_s / result.naive_chain_per_s,
            }
    result.machine = {"cpus": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 1e9, 1)}
    return result


def _settled(engine: Engine) -> int:
    """Cases whose whole trail is handled: the receipt closed step 8, the reporter saw the reply."""
    with engine.connect() as db:
        return int(
            db.scalar(
                sa.select(sa.func.count())
                .select_from(
                    inquiries.join(report_cases, report_cases.c.inquiry_id == inquiries.c.inquiry_id)
                )
                .where(inquiries.c.delivered_at.is_not(None), report_cases.c.replied_at.is_not(None))
            )
            or 0
        )


def _tap_admin_queue(channel: Any) -> str:
    """A copy of every task the admin's queue gets, in the order it gets them."""
    tap = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(tap, topology.TASKS, routing_key="admin")
    return str(tap)


def _admin_order(channel: Any, tap: str) -> OrderFigures:
    tickets: list[str] = []
    while (got := channel.basic_get(tap, auto_ack=True))[0] is not None:
        tickets.append(json.loads(got[2]).get("ticket") or "")
    return arrival_order(tickets)


def arrival_order(tickets: list[str]) -> OrderFigures:
    """How many tasks arrived after a task of a case registered later (a higher ticket number)."""
    late, highest = 0, -1
    for ticket in tickets:
        number = int(ticket.rsplit("-", 1)[-1]) if ticket else -1
        late += number < highest
        highest = max(highest, number)
    return OrderFigures(tasks=len(tickets), out_of_order=late)


def _measure(
    amqp_url: str,
    engine: Engine,
    supervisor: Supervisor,
    ports: dict[str, int],
    connector: Connector,
    count: int,
    latency_count: int,
    load_share: float,
    seed: int,
    profile: Path | None = None,
) -> BenchResult:
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    channel = connection.channel()
    queues = [topology.service_queue(s) for s in SERVICES]
    if not wait_until(
        lambda: all(channel.queue_declare(q, passive=True).method.consumer_count for q in queues), 60
    ):
        raise RuntimeError("the services did not start")
    # Warm up (connections, caches) before measuring.
    warm = 50
    for inquiry in make_inquiries(warm, seed=seed + 1):
        _fast_publish(channel, inquiry)
    if not wait_until(lambda: _settled(engine) >= warm, 60, every=0.05):
        raise RuntimeError("the warm-up inquiries were not all handled")

    tap = _tap_admin_queue(channel)
    flood = make_inquiries(count, seed=seed)
    spies = (
        {name: profiling.start(supervisor.procs[name].pid, profile / f"{name}.folded") for name in SERVICES}
        if profile
        else {}
    )
    with _Sampler(supervisor) as sampler:
        cpu_before = sampler.cpu_seconds()
        started = time.perf_counter()
        for inquiry in flood:
            _fast_publish(channel, inquiry)
        # The flood is through when every case's receipt and reply event are handled, not at the
        # last reply: the work after it is the pipeline's too.
        done = wait_until(lambda: len(connector.replies) >= warm + count, 600) and wait_until(
            lambda: _settled(engine) >= warm + count, 60
        )
        elapsed = time.perf_counter() - started
        cpu_after = sampler.cpu_seconds()
    if not done:
        raise RuntimeError(f"only {_settled(engine) - warm} of {count} inquiries were settled in time")
    throughput = count / elapsed
    if profile:
        for spy in spies.values():
            profiling.stop(spy)
        folded = {n: (profile / f"{n}.folded").read_text(errors="replace") for n in SERVICES}
        summaries = [profiling.summarize(folded[n], n) for n in SERVICES]
        (profile / "summary.txt").write_text("\n\n".join(summaries) + "\n")
    order = _admin_order(channel, tap)
    channel.queue_delete(tap)

    # Open loop at a fixed rate: send times are scheduled, never waiting for replies.
    rate = throughput * load_share
    paced = make_inquiries(latency_count, seed=seed + 2)
    sent: dict[str, float] = {}
    first = time.monotonic()
    for n, inquiry in enumerate(paced):
        pause = first + n / rate - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        sent[inquiry.id] = time.monotonic()
        _fast_publish(channel, inquiry)
        connection.process_data_events(time_limit=0)
    wait_until(lambda: all(i in connector.arrived for i in sent), 120)
    connection.close()
    # A reply that never came counts as infinitely late: it stays in the percentiles.
    arrived = connector.arrived
    latencies = sorted(1000 * (arrived[i] - t) if i in arrived else math.inf for i, t in sent.items())
    missing = sum(1 for v in latencies if v == math.inf)

    services: dict[str, ServiceFigures] = {}
    for name in SERVICES:
        mean, p99 = _handling(ports[name])
        services[name] = ServiceFigures(
            processes=sum(1 for k in supervisor.procs if k.split("#")[0] == name),
            peak_rss_mb=round(sampler.peak_rss.get(name, 0.0), 1),
            cpu_seconds=round(cpu_after.get(name, 0.0) - cpu_before.get(name, 0.0), 2),
            handling_mean_ms=mean,
            handling_p99_ms=p99,
        )
    cpu_total = sum(cpu_after.values()) - sum(cpu_before.values())
    return BenchResult(
        inquiries=count,
        copies={},
        throughput_per_s=throughput,
        latency_rate_per_s=rate,
        latency_inquiries=len(latencies),
        latency_missing=missing,
        latency_ms={f"p{q}": _percentile(latencies, q) for q in (50, 95, 99)},
        cpu_ms_per_inquiry=1000 * cpu_total / count,
        services=services,
        admin_queue_order=order,
    )


def _percentile(ordered: list[float], q: int) -> float:
    """Nearest-rank percentile of a sorted list (which may end in infinities: missing replies)."""
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered) / 100) - 1)]


def to_json_file(
    results: list[BenchResult], path: str, laporan: list[dict[str, object]] | None = None
) -> None:
    payload: dict[str, object] = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "runs": [asdict(r) for r in results],
    }
    if laporan:
        payload["laporan"] = laporan  # per size and format: seconds, peak RSS, file size
    with open(path, "w", encoding="utf-8") as f:
        json.dump(payload, f, indent=2)
