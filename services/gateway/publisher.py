"""Publishing to RabbitMQ with publisher confirms, from the web server's threads.

A webhook is answered 200 only after `publish` returned, i.e. after the broker confirmed it: a
broker that is away makes the platform retry rather than lose the message.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import pika
from pika.exceptions import AMQPError

from shared.runtime import logs
from shared.runtime.worker import amqp, message_properties

log = logs.get("bamsos.gateway")


class Unavailable(Exception):
    """The broker did not take the message: answer the platform 503 so it retries."""


class Publisher:
    """One confirmed channel shared by the request threads (pika's is not thread-safe: a lock)."""

    def __init__(self, amqp_url: str) -> None:
        self.amqp_url = amqp_url
        self._lock = threading.Lock()
        self._connection: pika.BlockingConnection | None = None
        self._channel: Any = None

    def publish(self, exchange: str, routing_key: str, body: bytes, message_id: str) -> None:
        with self._lock:
            for attempt in (1, 2):  # once more on a fresh connection: an idle one may have gone
                try:
                    channel = self._open()
                    channel.basic_publish(
                        exchange,
                        routing_key,
                        body,
                        properties=message_properties(message_id, "bamsos.gateway"),
                        mandatory=True,
                    )
                    return
                except AMQPError as e:
                    self._close()
                    if attempt == 2:
                        log.warning("publish_failed", error=type(e).__name__)
                        raise Unavailable(type(e).__name__) from e

    def _open(self) -> Any:
        if self._connection is None or not self._connection.is_open:
            self._connection = amqp.connect(self.amqp_url)  # the first node of the list that answers
            self._channel = self._connection.channel()
            self._channel.confirm_delivery()
        else:
            self._connection.process_data_events(time_limit=0)  # answer heartbeats while idle
        return self._channel

    def _close(self) -> None:
        if self._connection is not None and self._connection.is_open:
            with contextlib.suppress(AMQPError):
                self._connection.close()
        self._connection = None

    def close(self) -> None:
        with self._lock:
            self._close()
