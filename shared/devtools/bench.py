"""`bamsos bench`: the pipeline's speed, against two reference chains measured in the same run.

In a throwaway vhost and database on the local servers it runs the real services (`bamsos run`,
separate processes) with instant simulated staff and connector, and measures:

- throughput: N inquiries flooded over every path, first publish to last reply;
- latency: M inquiries sent open-loop at a fixed share (default 50%) of that throughput, reply time
  minus send time, p50/p95/p99 — staff answer at once, so this is the pipeline's own latency;
- each service's handling time (its `bamsos_handling_seconds` histogram), peak RSS of every
  process, and CPU seconds per inquiry;
- the references: a bare pika chain with no database (the ceiling) and a naive per-message chain
  (consume, validate, one commit, confirmed publish, ack), both with 5 hops and inquiry-sized bodies.

It prints the ratios and writes everything as JSON, to compare commits. Numbers swing between runs
on a shared 2-core machine: compare figures of one run, or medians of several.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import statistics
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from typing import Any

import pika
import psutil

from services import catalog
from services.catalog import NAMES as SERVICES
from shared.devtools.bench_chain import run_chain
from shared.devtools.feed import make_inquiries
from shared.devtools.polling import wait_until
from shared.devtools.sandbox import temporary_database, temporary_vhost
from shared.devtools.simulation import Connector, Staff
from shared.runtime import topology
from shared.runtime.runner import Supervisor
from shared.runtime.settings import Settings
from shared.runtime.worker import to_json
from shared.sop.contracts import Inquiry
from shared.sop.orgchart import load_chart


@dataclass
class ServiceFigures:
    processes: int
    peak_rss_mb: float
    cpu_seconds: float
    handling_mean_ms: float | None
    handling_p99_ms: float | None


@dataclass
class BenchResult:
    inquiries: int
    routers: int
    throughput_per_s: float
    latency_rate_per_s: float
    latency_inquiries: int
    latency_ms: dict[str, float]
    cpu_ms_per_inquiry: float
    services: dict[str, ServiceFigures]
    bare_chain_per_s: float | None = None
    naive_chain_per_s: float | None = None
    ratios: dict[str, float] = field(default_factory=dict)
    machine: dict[str, Any] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = [
            f"pipeline: {self.throughput_per_s:.0f} inquiries/s end to end ({self.inquiries} inquiries, "
            f"{self.routers} router(s))",
            f"latency at {self.latency_rate_per_s:.0f}/s ({self.latency_inquiries} inquiries): "
            + "  ".join(f"{k} {v:.0f} ms" for k, v in self.latency_ms.items()),
            f"CPU per inquiry (all services): {self.cpu_ms_per_inquiry:.1f} ms",
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
    routers: int = 1,
    references: bool = True,
    seed: int = 7,
) -> BenchResult:
    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        raise RuntimeError("rabbitmqctl is not on PATH; the benchmark makes its own vhost with it")
    chart = load_chart(settings.org_chart)
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
        names = list(SERVICES) + [f"router#{n}" for n in range(2, routers + 1)]
        supervisor = Supervisor(names, env)
        for name in names:
            supervisor.start(name)
        staff = Staff(amqp_url, chart).start()
        connector = Connector(amqp_url).start()
        try:
            result = _measure(amqp_url, supervisor, ports, connector, count, latency_count, load_share, seed)
        finally:
            staff.stop()
            connector.stop()
            supervisor.stop_all()
        result.routers = routers
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


def _measure(
    amqp_url: str,
    supervisor: Supervisor,
    ports: dict[str, int],
    connector: Connector,
    count: int,
    latency_count: int,
    load_share: float,
    seed: int,
) -> BenchResult:
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    channel = connection.channel()
    queues = [topology.service_queue(s) for s in SERVICES]
    if not wait_until(
        lambda: all(channel.queue_declare(q, passive=True).method.consumer_count for q in queues), 60
    ):
        raise RuntimeError("the services did not start")
    # Warm up (connections, caches) before measuring.
    for inquiry in make_inquiries(50, seed=seed + 1):
        _fast_publish(channel, inquiry)
    wait_until(lambda: len(connector.replies) >= 50, 60)

    flood = make_inquiries(count, seed=seed)
    with _Sampler(supervisor) as sampler:
        cpu_before = sampler.cpu_seconds()
        started = time.perf_counter()
        for inquiry in flood:
            _fast_publish(channel, inquiry)
        done = wait_until(lambda: len(connector.replies) >= 50 + count, 600)
        elapsed = time.perf_counter() - started
        cpu_after = sampler.cpu_seconds()
    if not done:
        raise RuntimeError(f"only {len(connector.replies) - 50} of {count} replies came back")
    throughput = count / elapsed

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
    wait_until(lambda: all(i in connector.arrived for i in sent), 300)
    connection.close()
    latencies = sorted(1000 * (connector.arrived[i] - t) for i, t in sent.items() if i in connector.arrived)
    quantiles = statistics.quantiles(latencies, n=100, method="inclusive")

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
        routers=1,
        throughput_per_s=throughput,
        latency_rate_per_s=rate,
        latency_inquiries=len(latencies),
        latency_ms={"p50": quantiles[49], "p95": quantiles[94], "p99": quantiles[98]},
        cpu_ms_per_inquiry=1000 * cpu_total / count,
        services=services,
    )


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
