"""The gateway's `/healthz` (what Kubernetes' probes read) says whether its sender loop turns: the
web server answering proves nothing about the thread that delivers the answers."""

from __future__ import annotations

import threading

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from services.gateway.app import Gateway, create_app
from services.gateway.metrics import build_gateway_metrics
from services.gateway.platforms import platforms
from services.gateway.publisher import Publisher
from services.gateway.sender import Sender
from shared.runtime.health import Heartbeat
from shared.runtime.settings import Settings
from tests.helpers import wait_for
from tests.integration.services.gateway.platforms_on import with_platforms

pytestmark = pytest.mark.integration


def test_healthz_is_ok_while_the_sender_turns_and_503_once_it_stops(
    settings: Settings, engine: Engine
) -> None:
    on = with_platforms(settings)
    metrics = build_gateway_metrics(CollectorRegistry())
    beat = Heartbeat(stall_after=1.0)
    sender = Sender(
        platforms(on),
        amqp_url=on.amqp_url,
        engine=engine,
        metrics=metrics,
        rate=100.0,
        attempts=3,
        heartbeat=beat,
    )
    publisher = Publisher(on.amqp_url)
    stop = threading.Event()
    thread = threading.Thread(target=sender.run, args=(stop,), daemon=True)
    thread.start()
    try:
        with TestClient(
            create_app(Gateway(platforms(on), publisher, engine, metrics, sender=beat))
        ) as client:
            wait_for(lambda: client.get("/healthz").status_code == 200, timeout=10, what="the sender turning")
            stop.set()  # the loop ends, as one stuck in a call would stop turning
            thread.join(15)
            wait_for(lambda: client.get("/healthz").status_code == 503, timeout=10, what="a stalled sender")
            assert client.get("/healthz").text.startswith("stalled: the sender last turned")
    finally:
        stop.set()
        publisher.close()
