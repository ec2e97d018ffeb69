"""Small tools the tests share: waiting on a condition, reading and writing queues."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import pika
import sqlalchemy as sa

from shared.devtools.polling import wait_until
from shared.runtime.storage import inquiries

T = TypeVar("T")

# A valid inquiry body, as the design brief writes one.
INQUIRY = {
    "schema": "bamsos.inquiry/1",
    "id": "ig-1001",
    "channel": "instagram",
    "account": "@sitilestari",
    "name": "Siti Lestari",
    "sent_at": "2026-11-24T08:15:00+07:00",
    "text": "Min, syarat bikin KIA apa aja?",
    "service": "kia",
    "topic": "informasi",
}


def service_env(amqp_url: str, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a service process started by a test: its broker and database, the SOP
    clock round the clock, no metrics endpoints (unless `extra` says), quiet logs."""
    from services.catalog import PROCESSES

    env = dict(
        os.environ,
        BAMSOS_AMQP_URL=amqp_url,
        BAMSOS_DATABASE_URL=database_url,
        BAMSOS_CALENDAR="24x7",
        BAMSOS_METRICS_PORTS=json.dumps(dict.fromkeys(PROCESSES, 0)),
        BAMSOS_LOG_LEVEL="warning",
    )
    return env | extra


def wait_for(probe: Callable[[], T], *, timeout: float = 30.0, what: str = "condition") -> T:
    """Poll `probe` until it returns something truthy; fail the test after `timeout` seconds."""
    value = wait_until(probe, timeout, every=0.05)
    if not value:
        raise AssertionError(f"timed out after {timeout:g}s waiting for {what}; last: {probe()!r}")
    return value


@dataclass(frozen=True)
class Got:
    body: bytes
    properties: pika.BasicProperties
    routing_key: str

    def json(self) -> Any:
        return json.loads(self.body)


def drain(amqp_url: str, queue: str) -> list[Got]:
    """Take (and ack) every message waiting in `queue` right now."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        channel = connection.channel()
        out = []
        while True:
            method, properties, body = channel.basic_get(queue, auto_ack=True)
            if method is None:
                return out
            out.append(Got(body, properties, method.routing_key))
    finally:
        connection.close()


def consumer_count(amqp_url: str, queue: str) -> int:
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        return int(connection.channel().queue_declare(queue, passive=True).method.consumer_count)
    finally:
        connection.close()


def ready_count(amqp_url: str, queue: str) -> int:
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        return int(connection.channel().queue_declare(queue, passive=True).method.message_count)
    finally:
        connection.close()


def publish(
    amqp_url: str,
    exchange: str,
    routing_key: str,
    body: bytes,
    message_id: str | None = None,
) -> None:
    """Publish as a simple upstream client does: persistent, confirmed, maybe without an id."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_publish(
            exchange,
            routing_key,
            body,
            properties=pika.BasicProperties(delivery_mode=2, message_id=message_id),
            mandatory=True,
        )
    finally:
        connection.close()


class InProcess:
    """Runs one service's worker loop on a thread, as `bamsos run <service>` would."""

    def __init__(self, name: str, settings: Any) -> None:
        from services.runner import build_worker

        self.worker = build_worker(name, settings)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.worker.run, args=(self.stop,), daemon=True)

    def __enter__(self) -> InProcess:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join(15)
        assert not self.thread.is_alive(), "the worker did not stop"


class FrozenTime:
    """A clock for `SopClock(now=...)` that stands still until a test moves it."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


def refused_by(spec: Any, message: Any, ctx: Any) -> str:
    """Why a service refuses `message` (a `Rejected`'s reason); what its handler wrote is undone."""
    from shared.runtime.errors import Rejected
    from shared.runtime.worker.harness import run_route

    try:
        run_route(spec, message, ctx)
    except Rejected as refused:
        return refused.reason
    raise AssertionError(f"{spec.name} accepted a message it should refuse")


@dataclass(frozen=True)
class FirstTask:
    inquiry_id: str
    task_id: str
    ticket: str | None
    unit: str  # the queue key of the unit holding it


def first_task(engine: Any, amqp_url: str, upstream_id: str) -> FirstTask:
    """An inquiry's first task, once it waits on its unit's queue: the control card's row is
    written just before the task is published, so a row alone may not be takeable yet."""
    import sqlalchemy as sa

    from shared.runtime import topology
    from shared.runtime.storage import handovers, inquiries
    from shared.staff.actions import find_task

    def row() -> Any:
        with engine.connect() as db:
            return db.execute(
                sa.select(handovers.c.inquiry_id, handovers.c.task_id, inquiries.c.ticket)
                .join(inquiries, inquiries.c.inquiry_id == handovers.c.inquiry_id)
                .where(inquiries.c.upstream_id == upstream_id, handovers.c.task_id.is_not(None))
                .order_by(handovers.c.id)
            ).first()

    found = wait_for(row, what=f"the first task of inquiry {upstream_id}")
    task = find_task(engine, found.task_id)
    assert task is not None
    queue = topology.TASK_QUEUE_PREFIX + task.unit
    wait_for(lambda: ready_count(amqp_url, queue) >= 1, what=f"a task on {queue}")
    return FirstTask(found.inquiry_id, found.task_id, found.ticket, task.unit)


def answered_case(engine: sa.Engine, n: int, question: str, answer: str, service: str, at: datetime) -> None:
    """An answered case written straight to `inquiries` (for the suggestions' tests)."""
    row = {
        "inquiry_id": f"inq-{n}",
        "channel": "whatsapp",
        "upstream_id": f"wa-{n}",
        "account": "6281234567890",
        "name": "Siti Aminah",
        "text": question,
        "service": service,
        "topic": "informasi",
        "sent_at": at,
        "received_at": at,
        "ticket": f"A-0{n}",
        "reply_id": f"rep-{n}",
        "reply_text": answer,
        "replied_at": at,
    }
    with engine.begin() as conn:
        conn.execute(inquiries.insert().values(**row))
