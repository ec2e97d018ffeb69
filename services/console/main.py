"""Wiring: settings -> the console's database pool, answer templates, metrics, the web server.

uvicorn serves the Starlette app on `BAMSOS_CONSOLE_HOST:BAMSOS_CONSOLE_PORT` (127.0.0.1:8000);
SIGTERM or Ctrl-C stops it. Its access log is off: a search URL may name a citizen's account.
"""

from __future__ import annotations

import secrets
import sys

import uvicorn
from prometheus_client import CollectorRegistry, start_http_server

from services import catalog
from services.console.app import create_app
from services.console.metrics import build_console_metrics
from services.console.state import build_console
from shared.runtime import logs, topology
from shared.runtime.errors import ConfigError
from shared.runtime.settings import Settings, load_settings
from shared.runtime.worker import amqp

log = logs.get("bamsos.console")


def unit_users_warning(settings: Settings) -> str | None:
    """What is wrong with the console's broker user, if anything. The console takes and answers
    for every unit as BAMSOS_AMQP_URL's one user; with BAMSOS_UNIT_USERS=true the router counts a
    result only from the unit's own user or the console's (`<prefix>console`), so another user's
    results would be dead-lettered."""
    if not settings.unit_users:
        return None
    expected = settings.broker_user_prefix + topology.CONSOLE_USER
    if amqp.username(settings.amqp_url) == expected:
        return None
    return (
        f"BAMSOS_UNIT_USERS=true: the router counts the console's results only from the broker user "
        f"{expected}, and BAMSOS_AMQP_URL names another: officers' answers would be dead-lettered "
        "(wrong_sender)"
    )


def main() -> None:
    settings = load_settings()
    if settings.console_secret is not None and settings.console_secret.get_secret_value():
        secret = settings.console_secret.get_secret_value()
    else:
        secret = secrets.token_urlsafe(32)
        log.warning(
            "console_secret_unset",
            detail="BAMSOS_CONSOLE_SECRET is not set: sessions are signed with a random key made now, "
            "so every officer must log in again after a restart",
        )
    wrong_user = unit_users_warning(settings)
    if wrong_user:
        log.warning("console_unit_users", detail=wrong_user)
    if not settings.console_secure_cookie and settings.console_host not in ("127.0.0.1", "localhost", "::1"):
        log.warning(
            "console_cookie_not_secure",
            detail="BAMSOS_CONSOLE_SECURE_COOKIE=false: set it true when the console is served over TLS",
        )
    metrics = build_console_metrics(CollectorRegistry())
    try:
        console = build_console(settings, secret=secret, metrics=metrics)
    except ConfigError as e:
        sys.exit(f"bamsos console: {e}")
    port = settings.metrics_ports.get(catalog.CONSOLE, catalog.CONSOLE_METRICS_PORT)
    if port:
        start_http_server(port, addr=settings.metrics_host, registry=metrics.registry)
    log.info("console_listening", host=settings.console_host, port=settings.console_port)
    try:
        uvicorn.run(
            create_app(console),
            host=settings.console_host,
            port=settings.console_port,
            log_level="warning",
            access_log=False,
        )
    finally:
        console.engine.dispose()
        log.info("stopped", service="console")
