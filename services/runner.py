"""Wiring: settings -> connections -> the worker loop, for one service or all five.

`bamsos run all` supervises one process per service, restarting any that dies, as an orchestrator
would; SIGTERM or Ctrl-C stops them all cleanly (each finishes its batch, then closes).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from types import FrameType

from services import catalog
from shared.runtime import health, logs
from shared.runtime.errors import ConfigError
from shared.runtime.metrics import build_worker_metrics
from shared.runtime.settings import Settings
from shared.runtime.storage import make_engine
from shared.runtime.worker import Worker

log = logs.get("bamsos.runner")


def build_worker(name: str, settings: Settings) -> Worker:
    spec = catalog.spec(name)
    engine = make_engine(settings.database_url)
    metrics = build_worker_metrics()
    metrics.start_at_zero(name)
    make_context = spec.context(settings, metrics.registry)
    for collector in spec.collectors:
        metrics.registry.register(collector(engine, settings))
    heartbeat = health.Heartbeat(settings.health_stall_seconds)
    port = settings.metrics_ports.get(name, spec.metrics_port)
    health.serve(settings.metrics_host, port, metrics.registry, heartbeat)
    return Worker(
        spec,
        make_context,
        amqp_url=settings.amqp_url,
        engine=engine,
        metrics=metrics,
        prefetch=settings.prefetch,
        batch_size=settings.batch_size,
        max_message_bytes=settings.max_message_bytes,
        crash_at=settings.crash_at,
        heartbeat=heartbeat,
    )


def _stop_on_signals(stop: threading.Event) -> None:
    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping", signal=signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def main(name: str) -> None:
    """Run one service in this process until SIGTERM or Ctrl-C."""
    if name == catalog.GATEWAY:
        from services.gateway.main import main as run_gateway

        run_gateway()
        return
    if name == catalog.CONSOLE:
        from services.console.main import main as run_console

        run_console()
        return
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
            ports = catalog.metrics_ports() | (Settings().metrics_ports if env is None else _ports_from(env))
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
    ports: dict[str, int] = json.loads(raw) if raw else {}
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
