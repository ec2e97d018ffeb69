"""The dead-letter queue, made operable: list what is there, and replay it through the normal path.

A dead letter keeps its original body and carries headers saying why (`x-bamsos-reason`, a code;
`x-bamsos-detail`, without personal data), from which queue and when. Replay publishes the body back
to the queue it came from; handlers are idempotent, so replaying twice does no harm.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pika

from shared.runtime import topology


@dataclass(frozen=True)
class DeadLetter:
    reason: str
    detail: str
    queue: str
    dead_at: str
    message_id: str | None
    preview: str


def preview(body: bytes) -> str:
    """What an operator may see of a body: its shape, never its values (they may be personal)."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return f"{len(body)} bytes, not JSON"
    if not isinstance(data, dict):
        return f"{len(body)} bytes, JSON {type(data).__name__}"
    schema = data.get("schema")
    shown = schema if isinstance(schema, str) and len(schema) <= 40 else "?"
    channel = data.get("channel") if isinstance(data.get("channel"), str) else None
    fields = ",".join(sorted(str(k)[:20] for k in data)[:12])
    where = f" channel={channel[:12]}" if channel else ""
    return f"{len(body)} bytes, schema={shown}{where} fields=[{fields}]"


def _describe(properties: Any, body: bytes) -> DeadLetter:
    headers = properties.headers or {}

    def text(name: str) -> str:
        value = headers.get(name, "")
        return value.decode() if isinstance(value, bytes) else str(value)

    return DeadLetter(
        reason=text("x-bamsos-reason") or "rejected",
        detail=text("x-bamsos-detail"),
        queue=text("x-bamsos-queue"),
        dead_at=text("x-bamsos-dead-at"),
        message_id=properties.message_id,
        preview=preview(body),
    )


def browse(amqp_url: str, limit: int = 100) -> tuple[int, list[DeadLetter]]:
    """How many dead letters wait, and the first `limit` of them; nothing is removed."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        channel = connection.channel()
        total = channel.queue_declare(topology.DEAD_LETTER_QUEUE, passive=True).method.message_count
        seen = []
        for _ in range(min(limit, total)):
            method, properties, body = channel.basic_get(topology.DEAD_LETTER_QUEUE, auto_ack=False)
            if method is None:
                break
            seen.append(_describe(properties, body))
        # Closing without acking puts every browsed message back, in its place.
        return total, seen
    finally:
        connection.close()


def replay(
    amqp_url: str, *, reason: str | None = None, queue: str | None = None, limit: int = 1000
) -> tuple[int, int]:
    """Send dead letters (optionally only those with `reason` / from `queue`) back to the queue they
    came from. Returns (replayed, left). Each is published with a confirm before it is acked."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    replayed = 0
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        total = channel.queue_declare(topology.DEAD_LETTER_QUEUE, passive=True).method.message_count
        for _ in range(total):
            if replayed >= limit:
                break
            method, properties, body = channel.basic_get(topology.DEAD_LETTER_QUEUE, auto_ack=False)
            if method is None:
                break
            letter = _describe(properties, body)
            if (reason and letter.reason != reason) or (queue and letter.queue != queue) or not letter.queue:
                continue  # left unacked: it goes back to the queue when we close
            headers = dict(properties.headers or {})
            replays = int(headers.pop("x-bamsos-replays", 0)) + 1
            for name in ("x-bamsos-reason", "x-bamsos-detail", "x-bamsos-queue", "x-bamsos-dead-at"):
                headers.pop(name, None)
            headers["x-bamsos-replays"] = replays
            channel.basic_publish(
                "",  # the default exchange routes by queue name: straight back where it was
                letter.queue,
                body,
                pika.BasicProperties(
                    content_type=properties.content_type,
                    delivery_mode=pika.DeliveryMode.Persistent,
                    message_id=properties.message_id,
                    headers=headers,
                ),
                mandatory=True,
            )
            channel.basic_ack(method.delivery_tag)
            replayed += 1
        return replayed, total - replayed
    finally:
        connection.close()
