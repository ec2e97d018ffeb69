"""Health that means alive: the worker loop's heartbeat, and `/healthz` beside `/metrics`.

The metrics server is a thread of its own: it answers while the consume loop is stuck (a lock
never granted, a call that never returns), so answering on its port says nothing about the loop.
The loop touches a `Heartbeat` every turn (about every 0.2 s while idle, once per batch under load,
once per reconnect attempt); `/healthz` answers 200 while the last beat is younger than
`stall_after` seconds and 503 after, from memory: no broker, no database, no metrics collection,
so Kubernetes' probes cost next to nothing and say what they mean.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

HEALTH_PATH = "/healthz"


class Heartbeat:
    """When a loop last turned (monotonic clock); stalled once older than `stall_after` seconds."""

    def __init__(self, stall_after: float = 90.0) -> None:
        self.stall_after = stall_after
        self._last = time.monotonic()

    def beat(self) -> None:
        self._last = time.monotonic()

    def age(self) -> float:
        """Seconds since the last beat."""
        return time.monotonic() - self._last

    def alive(self) -> bool:
        return self.age() <= self.stall_after


def app(registry: CollectorRegistry, heartbeat: Heartbeat) -> Callable[..., Iterable[bytes]]:
    """A WSGI app: `/healthz` from the heartbeat, anything else prometheus_client's metrics."""
    metrics = make_wsgi_app(registry)

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != HEALTH_PATH:
            return metrics(environ, start_response)  # type: ignore[no-any-return]
        age = heartbeat.age()
        if heartbeat.alive():
            status, body = "200 OK", f"ok: the loop turned {age:.1f} s ago\n"
        else:
            status = "503 Service Unavailable"
            body = f"stalled: the loop last turned {age:.1f} s ago (limit {heartbeat.stall_after:g} s)\n"
        start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
        return [body.encode()]

    return serve


class _Quiet(WSGIRequestHandler):
    """No access log line per probe and scrape (wsgiref writes one to stderr by default)."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(host: str, port: int, registry: CollectorRegistry, heartbeat: Heartbeat) -> None:
    """Serve /metrics and /healthz on host:port from a daemon thread; port 0 serves nothing."""
    if not port:
        return
    server = make_server(host, port, app(registry, heartbeat), ThreadingWSGIServer, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
