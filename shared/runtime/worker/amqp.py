"""The worker's AMQP side: the connection, the consume loop, what everything published carries, and
dead letters. The worker (`loop.Worker`) and the gateway's sender consume through the same loop.

The consuming channel is in AMQP transaction mode: a batch's outputs, dead letters and acks take
effect together on `tx.commit-ok`, which is also the broker taking responsibility for the outputs
(RabbitMQ's "Broker Semantics").
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pika
from pika.exceptions import AMQPError

from shared.runtime import logs, topology
from shared.runtime.errors import Rejected
from shared.runtime.settings import amqp_urls
from shared.runtime.worker.decoding import Delivery

log = logs.get("bamsos.worker")


def keep_serving(
    serve: Callable[[], None],
    stop: threading.Event,
    log: Any,
    transient: tuple[type[BaseException], ...],
) -> None:
    """Run `serve` until `stop` is set; when it fails on a `transient` error (the broker or the
    database away), wait and run it again, backing off from 0.5 s to 15 s."""
    delay = 0.5
    while not stop.is_set():
        try:
            serve()
            delay = 0.5
        except transient as e:
            log.warning("connection_lost", error=type(e).__name__, retry_in=delay)
            stop.wait(delay)
            delay = min(delay * 2, 15.0)


@contextlib.contextmanager
def connected(amqp_url: str) -> Iterator[pika.BlockingConnection]:
    """A connection (`connect`) for one run of a consume loop, closed after it if still open."""
    connection = connect(amqp_url)
    try:
        yield connection
    finally:
        if connection.is_open:
            with contextlib.suppress(AMQPError):
                connection.close()


def consume(
    connection: pika.BlockingConnection,
    channel: Any,
    queue: str,
    stop: threading.Event,
    handle: Callable[[list[Delivery]], None],
    *,
    batch_size: int = 1,
    every_second: Callable[[], None] | None = None,
    on_turn: Callable[[], None] | None = None,
) -> None:
    """Consume `queue` on `channel` until `stop` is set: what has arrived goes to `handle` in batches
    of at most `batch_size`, gathered without waiting for more; `handle` acks (or not) what it got.
    Between batches, `every_second` runs about once a second; `on_turn` at every turn of the loop (a
    heartbeat: a loop stuck in a batch stops calling it). Broker errors propagate, for the caller's
    reconnect (`keep_serving`); what was not acked comes back on the next connection."""
    pending: list[Delivery] = []
    channel.basic_consume(queue, on_message_callback=into(pending))
    next_tick = 0.0
    while not stop.is_set():
        if on_turn is not None:
            on_turn()
        connection.process_data_events(time_limit=0.2)
        while pending and len(pending) < batch_size:
            before = len(pending)
            connection.process_data_events(time_limit=0)
            if len(pending) == before:
                break
        while pending and not stop.is_set():
            batch, pending[:] = pending[:batch_size], pending[batch_size:]
            handle(batch)
        if every_second is not None and time.monotonic() >= next_tick:
            every_second()
            next_tick = time.monotonic() + 1.0


def into(deliveries: list[Delivery]) -> Callable[..., None]:
    """A consumer callback that keeps each delivery for the loop to handle."""

    def on_message(_ch: Any, method: Any, properties: Any, body: bytes) -> None:
        deliveries.append(Delivery(method.delivery_tag, properties, body, method.redelivered))

    return on_message


def connect(amqp_url: str) -> pika.BlockingConnection:
    """A connection to the first broker node of `amqp_url` (one URL or a comma-separated list, one
    per node) that answers.

    Each process tries the nodes from its own random starting point, so the copies of a service
    spread over the cluster's nodes instead of all crowding the first; when its node goes, the
    caller's reconnect (`keep_serving`) lands on the next that answers.
    """
    urls = amqp_urls(amqp_url)
    shift = _node_offset % len(urls)
    candidates = []
    for url in urls[shift:] + urls[:shift]:
        params = pika.URLParameters(url)
        params.heartbeat = 30
        params.blocked_connection_timeout = 60
        params.socket_timeout = 5  # a node that does not answer is skipped quickly
        candidates.append(params)
    return pika.BlockingConnection(candidates)


def username(amqp_url: str) -> str:
    """The broker user of `amqp_url` (a cluster's nodes share their users: the first URL's)."""
    name: str = pika.URLParameters(amqp_urls(amqp_url)[0]).credentials.username
    return name


# This process's starting node in a list of broker URLs (see `connect`).
_node_offset = random.randrange(1 << 16)


def message_properties(message_id: str, app_id: str) -> pika.BasicProperties:
    """What everything the pipeline publishes carries: persistent JSON with a message id."""
    return pika.BasicProperties(
        content_type="application/json",
        delivery_mode=pika.DeliveryMode.Persistent,
        message_id=message_id,
        app_id=app_id,
        timestamp=int(time.time()),
    )


def publish(
    channel: Any, service: str, exchange: str, routing_key: str, body: bytes, message_id: str
) -> None:
    properties = message_properties(message_id, f"bamsos.{service}")
    channel.basic_publish(exchange, routing_key, body, properties=properties)


def dead_letter(
    channel: Any, service: str, delivery: Delivery, rejected: Rejected, queue: str | None = None
) -> None:
    """Send a delivery to bamsos.dead as it came, with why in `x-bamsos-*` headers (`queue`, where
    `bamsos dlq replay` sends it back: the service's own queue unless said)."""
    queue = queue or topology.service_queue(service)
    original = delivery.properties
    headers = dict(original.headers or {})
    headers.update(
        {
            "x-bamsos-reason": rejected.reason,
            "x-bamsos-detail": rejected.detail,
            "x-bamsos-queue": queue,
            "x-bamsos-service": service,
            "x-bamsos-dead-at": datetime.now(UTC).isoformat(),
        }
    )
    properties = pika.BasicProperties(
        content_type=original.content_type,
        delivery_mode=pika.DeliveryMode.Persistent,
        message_id=original.message_id,
        type=original.type,
        app_id=original.app_id,
        timestamp=original.timestamp,
        user_id=None,  # the broker checks user_id against our own user: drop the original's
        headers=headers,
    )
    channel.basic_publish(topology.DEAD, queue, delivery.body, properties=properties)
    log.warning(
        "dead_lettered",
        service=service,
        reason=rejected.reason,
        detail=rejected.detail,
        message_id=original.message_id,
    )
