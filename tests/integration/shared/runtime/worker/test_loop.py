"""The worker loop on the real broker and database: reconnects, relays, survives its handler."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote, urlparse

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared.runtime import topology
from shared.runtime.metrics import build_worker_metrics
from shared.runtime.settings import Settings
from shared.runtime.storage import inquiries, make_engine
from shared.runtime.worker import Outgoing, Route, ServiceSpec, Worker, Writes
from shared.sop.contracts import Inquiry, schema_name
from tests.helpers import INQUIRY, InProcess, drain, publish, ready_count, wait_for

pytestmark = pytest.mark.integration


def registered(settings: Settings) -> int:
    with make_engine(settings.database_url).connect() as db:
        return int(db.scalar(sa.select(sa.func.count()).select_from(inquiries)) or 0)


def inquiry(n: int) -> bytes:
    return json.dumps({**INQUIRY, "id": f"ig-{n}"}).encode()


def test_a_worker_reconnects_by_itself_when_the_broker_drops_its_connection(settings: Settings) -> None:
    vhost = unquote(urlparse(settings.amqp_url).path[1:])
    with InProcess("intake", settings):
        publish(settings.amqp_url, topology.INBOUND, "inquiry.instagram", inquiry(1))
        wait_for(lambda: registered(settings) == 1, what="the first inquiry")
        subprocess.run(
            ["rabbitmqctl", "-q", "close_all_connections", "-p", vhost, "test: broker drops"],
            check=True,
        )
        publish(settings.amqp_url, topology.INBOUND, "inquiry.instagram", inquiry(2))
        wait_for(lambda: registered(settings) == 2, what="the inquiry sent after the drop")


def test_a_handler_that_raises_dead_letters_that_message_and_keeps_the_rest(settings: Settings) -> None:
    @dataclass
    class Bare:
        """The least a handler's context can be: the loop knows nothing of the SOP."""

        db: Connection
        writes: Writes = field(default_factory=Writes)
        after_commit: list[Callable[[], None]] = field(default_factory=list)

    def handle(message: Inquiry, ctx: Bare) -> list[Outgoing]:
        if message.text == "boom":
            raise RuntimeError("a bug")
        ctx.db.execute(
            sa.insert(inquiries).values(
                inquiry_id=message.id,
                channel="x",
                upstream_id=message.id,
                account="a",
                text=message.text,
                sent_at=message.sent_at,
                received_at=message.sent_at,
            )
        )
        return []

    spec = ServiceSpec(
        name="intake",
        routes={
            schema_name(Inquiry): Route(
                Inquiry, handle, key=lambda m, _id: m.id, consumes=((topology.INBOUND, "inquiry.*"),)
            )
        },
        context=lambda _settings, _registry: lambda db, _sender: Bare(db),
    )
    metrics = build_worker_metrics()
    worker = Worker(
        spec,
        lambda db, _sender: Bare(db),
        amqp_url=settings.amqp_url,
        engine=make_engine(settings.database_url),
        metrics=metrics,
    )
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        publish(settings.amqp_url, topology.INBOUND, "inquiry.x", inquiry(1))
        publish(
            settings.amqp_url,
            topology.INBOUND,
            "inquiry.x",
            json.dumps({**INQUIRY, "id": "b", "text": "boom"}).encode(),
        )
        publish(settings.amqp_url, topology.INBOUND, "inquiry.x", inquiry(3))
        wait_for(lambda: registered(settings) == 2, what="the two good messages")
        wait_for(lambda: ready_count(settings.amqp_url, topology.DEAD_LETTER_QUEUE) == 1, what="the bad one")
    finally:
        stop.set()
        thread.join(10)
    [dead] = drain(settings.amqp_url, topology.DEAD_LETTER_QUEUE)
    assert dead.properties.headers["x-bamsos-reason"] == "handler_error"
    assert metrics.dead_letters.labels("intake", "handler_error")._value.get() == 1
    assert metrics.messages.labels("intake", "ok")._value.get() == 2
