"""Wiring: settings -> the platforms that are on, the publisher, the sender thread, the web server.

The web server is uvicorn (ASGI) running the Starlette app; SIGTERM or Ctrl-C stops it, then the
sender finishes the reply in hand and stops.
"""

from __future__ import annotations

import threading

import uvicorn
from prometheus_client import CollectorRegistry, start_http_server

from services import catalog
from services.gateway import mailbox
from services.gateway.app import Gateway, create_app
from services.gateway.metrics import build_gateway_metrics
from services.gateway.platforms import platforms
from services.gateway.publisher import Publisher
from services.gateway.sender import Sender
from services.gateway.smtp import IMAP_PORTS, Server
from services.gateway.webguard import web_box
from shared.runtime import logs
from shared.runtime.health import Heartbeat
from shared.runtime.settings import load_settings
from shared.runtime.storage import make_engine
from shared.sop.context import citizen_templates
from shared.sop.contracts import NoticeKind
from shared.sop.offices import the_office

log = logs.get("bamsos.gateway")


def main() -> None:
    settings = load_settings()
    found = platforms(settings)
    log.info(
        "platforms",
        on=sorted(found) or "none",
        off=sorted({"whatsapp", "telegram", "meta", "web", "x", "email"} - set(found)),
    )
    engine = make_engine(settings.database_url)
    registry = CollectorRegistry()
    metrics = build_gateway_metrics(registry)
    metrics.start_at_zero()
    port = settings.metrics_ports.get(catalog.GATEWAY, catalog.GATEWAY_METRICS_PORT)
    if port:
        start_http_server(port, addr=settings.metrics_host, registry=registry)
    publisher = Publisher(settings.amqp_url)
    sender = Sender(
        found,
        amqp_url=settings.amqp_url,
        engine=engine,
        metrics=metrics,
        rate=settings.gateway_send_rate,
        attempts=settings.gateway_send_attempts,
        heartbeat=Heartbeat(settings.health_stall_seconds),
    )
    stop = threading.Event()
    # With no platform on there is nothing to send to: the replies stay for whoever delivers them.
    sending = threading.Thread(target=sender.run, args=(stop,), name="sender", daemon=True)
    if found:
        sending.start()
    secret = settings.web_secret.get_secret_value() if settings.web_secret else None
    if settings.web_origins and secret is None:
        log.warning("web_secret_unset", effect="visitors' cookies end at restart")
    box = web_box(settings.web_origins, secret, settings.web_messages_per_minute)
    group_answer = citizen_templates(settings, the_office(settings)).render(NoticeKind.private_only)
    beat = sender.heartbeat if found else None  # no sender runs with no platform on
    gateway = Gateway(found, publisher, engine, metrics, web=box, sender=beat, group_answer=group_answer)
    app = create_app(gateway)
    if "email" in found and settings.email_imap_url is not None:
        imap = Server.of(settings.email_imap_url.get_secret_value(), IMAP_PORTS)
        reader = mailbox.Mailbox(imap, settings.email_address or "", mailbox.taker(gateway))
        threading.Thread(target=reader.run, args=(stop,), name="mailbox", daemon=True).start()
    try:
        uvicorn.run(app, host=settings.gateway_host, port=settings.gateway_port, log_level="warning")
    finally:
        stop.set()
        if sending.is_alive():
            sending.join(15)
        publisher.close()
        log.info("stopped", service="gateway")
