"""Wiring: settings -> connections -> the worker loop, for one service or all five.

`bamsos run all` supervises one process per service, restarting any that dies, as an orchestrator
would; SIGTERM or Ctrl-C stops them all cleanly (each finishes its batch, then closes).
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from types import FrameType

import pika

from shared import logs, topology
from shared.classify import Classifier, load_rules
from shared.errors import ConfigError
from shared.metrics import build_metrics
from shared.office_calendar import make_clock
from shared.orgchart import OrgChart, load_chart
from shared.settings import SERVICES, Settings
from shared.storage import create_database, make_engine, migrate
from shared.worker import CollectorContext, ServiceSpec, Worker

log = logs.get("bamsos.runner")


def load_spec(name: str) -> ServiceSpec:
    if name not in SERVICES:
        raise ConfigError(f"unknown service '{name}'; the services are: {', '.join(SERVICES)}")
    spec: ServiceSpec = importlib.import_module(f"services.{name}.service").SPEC
    return spec


def setup(settings: Settings) -> OrgChart:
    """Declare the broker topology and create/migrate the database. Idempotent."""
    chart = load_chart(settings.org_chart)
    connection = pika.BlockingConnection(pika.URLParameters(settings.amqp_url))
    try:
        topology.declare(connection.channel(), chart, settings.queue_type)
    finally:
        connection.close()
    create_database(settings.database_url)
    migrate(settings.database_url)
    return chart


def build_worker(name: str, settings: Settings) -> Worker:
    spec = load_spec(name)
    engine = make_engine(settings.database_url)
    clock = make_clock(settings)
    chart = load_chart(settings.org_chart)
    metrics = build_metrics()
    metrics.start_at_zero(name)
    for collector in spec.collectors:
        metrics.registry.register(collector(CollectorContext(engine, settings.amqp_url, clock, chart)))
    metrics.serve(settings.metrics_host, settings.metrics_ports.get(name, 0))
    return Worker(
        spec,
        amqp_url=settings.amqp_url,
        engine=engine,
        clock=clock,
        chart=chart,
        metrics=metrics,
        prefetch=settings.prefetch,
        batch_size=settings.batch_size,
        max_message_bytes=settings.max_message_bytes,
        crash_at=settings.crash_at,
        classifier=Classifier(load_rules(settings.classify_rules), settings.triage_threshold),
        unit_user_prefix=settings.broker_user_prefix if settings.unit_users else None,
    )


def _stop_on_signals(stop: threading.Event) -> None:
    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping", signal=signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def main(name: str) -> None:
    """Run one service in this process until SIGTERM or Ctrl-C."""
    stop = threading.Event()
    _stop_on_signals(stop)
    settings = Settings()
    logs.configure(settings.log_level, settings.log_format)
    try:
        worker = build_worker(name, settings)
    except ConfigError as e:
        sys.exit(f"bamsos {name}: {e}")
    worker.run(stop)


class Supervisor:
    """Runs each service in its own process and restarts one that dies, as an orchestrator would.

    `supervise` runs it until `stop` is set; the chaos run reaches in to kill processes.
    """

    def __init__(self, names: list[str], env: dict[str, str] | None = None) -> None:
        self.names = names
        self.env = env
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self._not_before: dict[str, float] = {}
        self._lock = threading.Lock()

    def start(self, name: str) -> None:
        """Start (or restart) a process; `name` is a service, or `service#n` for its n-th copy."""
        service, _, copy = name.partition("#")
        env = self.env
        if copy:
            # Extra copies on one host can't share the metrics port: they serve none.
            ports = Settings().metrics_ports if env is None else _ports_from(env)
            env = dict(
                os.environ if env is None else env, BAMSOS_METRICS_PORTS=json.dumps(ports | {service: 0})
            )
        proc = subprocess.Popen([sys.executable, "-m", f"services.{service}"], env=env)
        self.procs[name] = proc
        log.info("service_started", service=service, pid=proc.pid)

    def revive(self) -> None:
        """Restart whatever died (not more than once every 2 s per service: no crash-loop spin)."""
        with self._lock:
            for name, proc in list(self.procs.items()):
                code = proc.poll()
                if code is None or time.monotonic() < self._not_before.get(name, 0.0):
                    continue
                log.warning("service_died", service=name, exit_code=code)
                self._not_before[name] = time.monotonic() + 2.0
                self.start(name)

    def kill(self, name: str) -> None:
        """SIGKILL one service's process: no cleanup, no goodbye to the broker."""
        with self._lock:
            proc = self.procs[name]
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    def stop_all(self, timeout: float = 15.0) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + timeout
        for name, proc in self.procs.items():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("service_killed", service=name)
                proc.kill()
                proc.wait()


def _ports_from(env: dict[str, str]) -> dict[str, int]:
    raw = env.get("BAMSOS_METRICS_PORTS")
    ports: dict[str, int] = json.loads(raw) if raw else Settings().metrics_ports
    return ports


def supervise(
    names: list[str],
    stop: threading.Event,
    env: dict[str, str] | None = None,
    supervisor: Supervisor | None = None,
) -> None:
    """Run each service in its own process; restart one that dies; stop all when `stop` is set."""
    supervisor = supervisor or Supervisor(names, env)
    for name in names:
        supervisor.start(name)
    try:
        while not stop.wait(0.5):
            supervisor.revive()
    finally:
        supervisor.stop_all()


def run_all(names: list[str]) -> None:
    stop = threading.Event()
    _stop_on_signals(stop)
    supervise(names, stop)
