"""The dead-letter queue, made operable: list what is there, replay it through the normal path, and
erase the bodies that have outlived the retention period.

A dead letter keeps its original body and carries headers saying why (`x-bamsos-reason`, a code;
`x-bamsos-detail`, without personal data), from which queue and when. Replay publishes the body back
to the queue it came from; handlers are idempotent, so replaying twice does no harm.

The body is the citizen's message (account, name, text): `redact_older_than` replaces it, past the
retention period, by a marker and keeps the headers, so an operator still sees that something was
dead-lettered, why, from where and when. A redacted letter is never replayed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pika

from shared.runtime import topology
from shared.runtime.worker.amqp import connect

# What a redacted letter's body becomes, and the header that says when (ISO 8601).
REDACTED_BODY = b"(dihapus)"
REDACTED_AT = "x-bamsos-redacted-at"


@dataclass(frozen=True)
class DeadLetter:
    reason: str
    detail: str
    queue: str
    dead_at: str
    message_id: str | None
    preview: str
    redacted: bool = False


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

    redacted = REDACTED_AT in headers
    died = died_at(headers)  # a letter the broker dead-lettered (delivery limit) has x-death instead
    return DeadLetter(
        reason=text("x-bamsos-reason") or text("x-first-death-reason") or "rejected",
        detail=text("x-bamsos-detail"),
        queue=text("x-bamsos-queue") or text("x-first-death-queue"),
        dead_at=text("x-bamsos-dead-at") or (died.isoformat() if died else ""),
        message_id=properties.message_id,
        preview=f"body erased by retention at {text(REDACTED_AT)}" if redacted else preview(body),
        redacted=redacted,
    )


def browse(amqp_url: str, limit: int = 100) -> tuple[int, list[DeadLetter]]:
    """How many dead letters wait, and the first `limit` of them; nothing is removed."""
    connection = connect(amqp_url)
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
    connection = connect(amqp_url)
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
            wanted = (not reason or letter.reason == reason) and (not queue or letter.queue == queue)
            if not wanted or not letter.queue or letter.redacted:
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


@dataclass(frozen=True)
class Redacted:
    redacted: int  # bodies erased by this pass
    kept: int  # younger than the cutoff, or erased before: put back as they were
    undated: int  # no time of death to judge by: put back as they were


def redact_older_than(amqp_url: str, cutoff: datetime, now: datetime) -> Redacted:
    """Erase the body of every dead letter that died before `cutoff`, keeping its headers."""

    def judge(headers: dict[str, Any], body: bytes, died: datetime | None) -> str:
        if REDACTED_AT in headers or (died is not None and died >= cutoff):
            return "kept"
        return "undated" if died is None else "redacted"

    return _redact_pass(amqp_url, judge, now)


def redact_matching(amqp_url: str, matches: Callable[[bytes], bool], now: datetime) -> Redacted:
    """Erase the body of every dead letter whose body `matches` (one person's data, on request),
    keeping its headers, as retention would."""

    def judge(headers: dict[str, Any], body: bytes, died: datetime | None) -> str:
        return "redacted" if REDACTED_AT not in headers and matches(body) else "kept"

    return _redact_pass(amqp_url, judge, now)


def _redact_pass(
    amqp_url: str, judge: Callable[[dict[str, Any], bytes, datetime | None], str], now: datetime
) -> Redacted:
    """Erase the body of every dead letter `judge` calls "redacted", keeping its headers.

    One pass over the messages waiting when it starts (counted first, so it ends while new letters
    arrive). Each is republished to the back of the queue, the judged ones redacted, the others as
    they were (one the broker dead-lettered gains `x-bamsos-dead-at`, its `x-death` time), and acked
    only once the broker confirms the copy: a crash loses nothing, but one between a confirm and its
    ack leaves that letter twice (the copy and the original, redelivered).
    Republishing rather than requeueing keeps a quorum queue's delivery count from growing."""
    connection = connect(amqp_url)
    counts = {"redacted": 0, "kept": 0, "undated": 0}
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        total = channel.queue_declare(topology.DEAD_LETTER_QUEUE, passive=True).method.message_count
        for _ in range(total):
            method, properties, body = channel.basic_get(topology.DEAD_LETTER_QUEUE, auto_ack=False)
            if method is None:
                break  # someone else (`bamsos dlq replay`) took the rest
            headers = properties.headers or {}
            died = died_at(headers)
            if died is not None and "x-bamsos-dead-at" not in headers:
                # The broker's x-death is its own header: keep its time in ours, which survives a
                # republish whatever a broker version does with an x-death a client sends.
                headers = properties.headers = {**headers, "x-bamsos-dead-at": died.isoformat()}
            verdict = judge(headers, body, died)
            counts[verdict] += 1
            if verdict == "redacted":
                properties.headers = {**headers, REDACTED_AT: now.isoformat()}
                properties.content_type = "text/plain"
                body = REDACTED_BODY
            # The default exchange routes by queue name: straight to the back of the same queue.
            channel.basic_publish("", topology.DEAD_LETTER_QUEUE, body, properties, mandatory=True)
            channel.basic_ack(method.delivery_tag)
        return Redacted(**counts)
    finally:
        connection.close()


def bodies_matching(amqp_url: str, matches: Callable[[bytes], bool]) -> list[tuple[DeadLetter, bytes]]:
    """The dead letters (described, and their bodies) whose body `matches`; nothing is removed."""
    connection = connect(amqp_url)
    found = []
    try:
        channel = connection.channel()
        total = channel.queue_declare(topology.DEAD_LETTER_QUEUE, passive=True).method.message_count
        for _ in range(total):
            method, properties, body = channel.basic_get(topology.DEAD_LETTER_QUEUE, auto_ack=False)
            if method is None:
                break
            if REDACTED_AT not in (properties.headers or {}) and matches(body):
                found.append((_describe(properties, body), body))
        # Closing without acking puts every browsed message back, in its place.
        return found
    finally:
        connection.close()


def died_at(headers: dict[str, Any]) -> datetime | None:
    """When a letter was dead-lettered: our workers' `x-bamsos-dead-at`, else the broker's own
    `x-death` record (a quorum queue's delivery limit, a TTL), else unknown."""
    ours = headers.get("x-bamsos-dead-at")
    if isinstance(ours, bytes):
        ours = ours.decode(errors="replace")
    if isinstance(ours, str):
        try:
            at = datetime.fromisoformat(ours)
        except ValueError:
            return None
        return at if at.tzinfo else at.replace(tzinfo=UTC)
    deaths = headers.get("x-death")
    if isinstance(deaths, list) and deaths and isinstance(deaths[0], dict):
        first = deaths[0].get("time")  # the latest death is listed first
        if isinstance(first, datetime):
            return first if first.tzinfo else first.replace(tzinfo=UTC)
    return None
