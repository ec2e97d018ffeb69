"""The consume -> handle -> commit -> publish -> ack loop, written once for every service.

The acknowledgement policy, in one table:

| what happened to a delivery                   | what the loop does                                  |
|-----------------------------------------------|-----------------------------------------------------|
| handled                                       | effect + outbox rows committed, then outputs        |
|                                               | published and the delivery acked in one AMQP tx     |
| already handled (same dedupe key)             | no effect; outputs its first run left unsent are    |
|                                               | published with the ack; else just acked             |
| undecodable / invalid / refused by the SOP    | published to `bamsos.dead` with the reason, acked   |
| (`Rejected`), or a bug in the handler         | in the same AMQP tx: never requeued, never dropped  |
| database or broker away (transient)           | nothing acked: a few quick retries, then reconnect  |
|                                               | with backoff; the broker redelivers                 |

Deliveries are handled in batches: one database transaction (a savepoint per message, so one bad
message can't spoil the others) and one AMQP transaction per batch. AMQP tx on the consuming channel
makes "publish the outputs, ack the inputs" take effect together on `tx.commit-ok`, which is also the
broker taking responsibility for the outputs (RabbitMQ "Broker Semantics"), so a crash between them
can't publish twice. The outputs are recorded in the outbox with the effect; a crash after the
database commit and before the AMQP commit leaves the input unacked, so it comes back, is found
handled, and publishes exactly the recorded outputs (same message ids). While a worker publishes,
it holds a session advisory lock on each input's key, so a duplicate of that input handled by
another replica at the same moment does not publish them too.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, NamedTuple, TypeVar

import pika
import sqlalchemy as sa
from pika.exceptions import AMQPError
from prometheus_client.registry import Collector
from pydantic import ValidationError
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from shared import logs, topology
from shared.classify import Classifier
from shared.clock import SopClock
from shared.contracts import Message, to_json
from shared.errors import Rejected, TransientError
from shared.metrics import Metrics
from shared.orgchart import OrgChart
from shared.storage import outbox, processed_messages

M = TypeVar("M", bound=Message)
log = logs.get("bamsos.worker")

TICK_EVERY_SECONDS = 1.0
QUICK_RETRIES = 3


@dataclass(frozen=True)
class Outgoing:
    """A message to publish after the commit."""

    exchange: str
    routing_key: str
    message: Message
    message_id: str


@dataclass
class Context:
    """What a handler gets besides its message: the open transaction and the office's setup."""

    db: Connection
    clock: SopClock
    chart: OrgChart
    metrics: Metrics
    classifier: Classifier | None = None  # None: the default rules (shared/classify_rules.yaml)
    # Who published the message (its AMQP user_id, checked by RabbitMQ), and when a unit's results
    # must come from that unit's own broker user, the prefix of those users' names (see
    # shared/access.py); None: not enforced (a single-user stack).
    sender: str | None = None
    unit_user_prefix: str | None = None
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    def on_commit(self, action: Callable[[], None]) -> None:
        """Run `action` (e.g. a metric update) only once the transaction has committed."""
        self.after_commit.append(action)


@dataclass(frozen=True)
class Route(Generic[M]):
    """How a service handles one message schema.

    `key` gives the de-duplication key (from the message and its AMQP message_id); `wants` lets a
    service pass over a message that another service on the same routing key owns.
    """

    model: type[M]
    handle: Callable[[M, Context], list[Outgoing]]
    key: Callable[[M, str | None], str]
    wants: Callable[[M], bool] = lambda _message: True


@dataclass(frozen=True)
class CollectorContext:
    """What a scrape-time collector may read: the database, the broker, the office's setup."""

    engine: Engine
    amqp_url: str
    clock: SopClock
    chart: OrgChart


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    routes: dict[str, Route[Any]]
    # Periodic work (e.g. scanning due times), run between batches in its own transaction.
    tick: Callable[[Context], list[Outgoing]] | None = None
    # Metrics read from the database at scrape time (one service owns each, so replicas of the
    # other services don't double-count): factories given the worker's context, registered by the
    # runner.
    collectors: tuple[Callable[[CollectorContext], Collector], ...] = ()

    @property
    def queue(self) -> str:
        return topology.service_queue(self.name)


class _Accepted(NamedTuple):
    route: Route[Any]
    message: Any
    key: str  # the dedupe key
    sender: str | None  # the AMQP user_id, which RabbitMQ checked against the connection's user


@dataclass(frozen=True)
class Delivery:
    tag: int
    properties: pika.BasicProperties
    body: bytes


@dataclass(frozen=True)
class _OutboxRow:
    id: int
    exchange: str
    routing_key: str
    message_id: str
    body: bytes


@dataclass
class _Batch:
    outbox: list[_OutboxRow] = field(default_factory=list)
    new_sources: list[str] = field(default_factory=list)
    dead: list[tuple[Delivery, Rejected]] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


def message_properties(message_id: str, app_id: str) -> pika.BasicProperties:
    """What everything the pipeline publishes carries: persistent JSON with a message id."""
    return pika.BasicProperties(
        content_type="application/json",
        delivery_mode=pika.DeliveryMode.Persistent,
        message_id=message_id,
        app_id=app_id,
        timestamp=int(time.time()),
    )


def decode(body: bytes, routes: dict[str, Route[Any]], max_bytes: int) -> tuple[Route[Any], Any]:
    """Parse and validate a body against the schemas this service takes, or raise Rejected."""
    if len(body) > max_bytes:
        raise Rejected("too_large", f"{len(body)} bytes, the limit is {max_bytes}")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise Rejected("not_json", f"body is not UTF-8 JSON: {type(e).__name__}") from None
    if not isinstance(data, dict):
        raise Rejected("not_object", f"body is a JSON {type(data).__name__}, not an object")
    schema = data.get("schema")
    route = routes.get(schema) if isinstance(schema, str) else None
    if route is None:
        shown = repr(schema)[:60]
        raise Rejected("unknown_schema", f"schema {shown} is not one of {sorted(routes)}")
    try:
        return route, route.model.model_validate(data)
    except ValidationError as e:
        raise _invalid(e) from None


def _invalid(error: ValidationError) -> Rejected:
    """A Rejected naming the fields at fault, without echoing their (maybe personal) values."""
    problems = error.errors(include_input=False, include_url=False)
    if any(p["loc"][:1] == ("channel",) and p["type"] == "enum" for p in problems):
        reason = "unknown_channel"
    elif any(p["type"].startswith(("datetime", "timezone")) for p in problems):
        reason = "bad_timestamp"
    else:
        reason = "invalid"
    detail = "; ".join(f"{'.'.join(str(x) for x in p['loc']) or '(body)'}: {p['msg']}" for p in problems[:5])
    return Rejected(reason, detail)


def claim(db: Connection, consumer: str, key: str) -> bool:
    """Record that `consumer` handles `key`; False when it already has (a duplicate)."""
    stmt = (
        sa.dialects.postgresql.insert(processed_messages)
        .values(consumer=consumer, message_key=key)
        .on_conflict_do_nothing()
    )
    return db.execute(stmt).rowcount == 1


def claim_many(db: Connection, consumer: str, keys: list[str]) -> set[str]:
    """`claim` for a whole batch in one round trip: the keys not handled before."""
    if not keys:
        return set()
    stmt = (
        sa.dialects.postgresql.insert(processed_messages)
        .values([{"consumer": consumer, "message_key": k} for k in dict.fromkeys(keys)])
        .on_conflict_do_nothing()
        .returning(processed_messages.c.message_key)
    )
    return set(db.scalars(stmt))


def _take_unsent(db: Connection, source: str, batch: _Batch) -> list[_OutboxRow]:
    """The unsent outputs of an input handled before, unless a live worker is still publishing
    them (it holds their source's advisory lock) or this batch already has them."""
    if not db.scalar(sa.text("SELECT pg_try_advisory_lock(hashtextextended(:s, 0))"), {"s": source}):
        return []
    have = {row.id for row in batch.outbox}
    rows = db.execute(
        sa.select(outbox.c.id, outbox.c.exchange, outbox.c.routing_key, outbox.c.message_id, outbox.c.body)
        .where(outbox.c.source == source, outbox.c.sent_at.is_(None))
        .order_by(outbox.c.id)
    )
    return [_OutboxRow(*row) for row in rows if row.id not in have]


def _hold_sources(db: Connection, sources: list[str]) -> None:
    """Session-level advisory locks (they outlive the commit) on the sources about to publish."""
    if sources:
        db.execute(
            sa.text("SELECT pg_advisory_lock(hashtextextended(s, 0)) FROM unnest(CAST(:s AS text[])) AS s"),
            {"s": sources},
        )


def _release_sources(db: Connection) -> None:
    try:
        db.exec_driver_sql("SELECT pg_advisory_unlock_all()")
        db.rollback()
    except DBAPIError:
        db.invalidate()  # the session ends, and PostgreSQL drops its locks with it


def _is_transient(error: DBAPIError) -> bool:
    return bool(error.connection_invalidated) or isinstance(
        error, sa.exc.OperationalError | sa.exc.InterfaceError
    )


class Worker:
    """Runs one service: consumes its queue until `stop` is set, reconnecting when needed."""

    def __init__(
        self,
        spec: ServiceSpec,
        *,
        amqp_url: str,
        engine: Engine,
        clock: SopClock,
        chart: OrgChart,
        metrics: Metrics,
        prefetch: int = 200,
        batch_size: int = 100,
        max_message_bytes: int = 64 * 1024,
        crash_at: str | None = None,
        classifier: Classifier | None = None,
        unit_user_prefix: str | None = None,
    ) -> None:
        self.spec = spec
        self.classifier = classifier
        self.unit_user_prefix = unit_user_prefix
        self.amqp_url = amqp_url
        self.engine = engine
        self.clock = clock
        self.chart = chart
        self.metrics = metrics
        self.prefetch = prefetch
        self.batch_size = batch_size
        self.max_message_bytes = max_message_bytes
        self.log = log.bind(service=spec.name)
        self.crash_at = crash_at

    def _context(self, db: Connection, sender: str | None) -> Context:
        return Context(
            db=db,
            clock=self.clock,
            chart=self.chart,
            metrics=self.metrics,
            classifier=self.classifier,
            sender=sender,
            unit_user_prefix=self.unit_user_prefix,
        )

    def failpoint(self, name: str) -> None:
        """For the crash tests: die here, as `kill -9` would, when `BAMSOS_CRASH_AT` names this point.

        Points: `before_db_commit`, `after_db_commit` (before the AMQP commit), `after_amqp_commit`
        (before the outbox rows are marked sent). Off unless set.
        """
        if self.crash_at == name:
            self.log.warning("crashing_on_purpose", point=name)
            os._exit(137)

    # --- the outer loop: connect, serve, back off and reconnect ------------------------------

    def run(self, stop: threading.Event) -> None:
        delay = 0.5
        while not stop.is_set():
            try:
                self._serve(stop)
                delay = 0.5
            except (AMQPError, TransientError, DBAPIError, OSError) as e:
                self.log.warning("connection_lost", error=type(e).__name__, retry_in=delay)
                stop.wait(delay)
                delay = min(delay * 2, 15.0)
        self.log.info("stopped")

    def _serve(self, stop: threading.Event) -> None:
        params = pika.URLParameters(self.amqp_url)
        params.heartbeat = 30
        params.blocked_connection_timeout = 60
        connection = pika.BlockingConnection(params)
        try:
            channel = connection.channel()
            channel.basic_qos(prefetch_count=self.prefetch)
            channel.tx_select()
            pending: list[Delivery] = []

            def on_message(_ch: Any, method: Any, properties: Any, body: bytes) -> None:
                pending.append(Delivery(method.delivery_tag, properties, body))

            channel.basic_consume(self.spec.queue, on_message_callback=on_message)
            self.log.info("consuming", queue=self.spec.queue)
            next_tick = 0.0
            while not stop.is_set():
                connection.process_data_events(time_limit=0.2)
                # Gather what has already arrived into one batch, without waiting for more.
                while pending and len(pending) < self.batch_size:
                    before = len(pending)
                    connection.process_data_events(time_limit=0)
                    if len(pending) == before:
                        break
                while pending:
                    batch, pending[:] = pending[: self.batch_size], pending[self.batch_size :]
                    self._handle_batch(channel, batch)
                if self.spec.tick is not None and time.monotonic() >= next_tick:
                    self._run_tick(channel, self.spec.tick)
                    next_tick = time.monotonic() + TICK_EVERY_SECONDS
        finally:
            if connection.is_open:
                with contextlib.suppress(AMQPError):
                    connection.close()

    # --- one batch ------------------------------------------------------------------------------

    def _handle_batch(self, channel: Any, deliveries: list[Delivery]) -> None:
        started = time.perf_counter()
        with self.engine.connect() as db:
            try:
                batch = self._with_retries(lambda: self._process(db, deliveries))
                self.failpoint("after_db_commit")
                for row in batch.outbox:
                    self._publish(channel, row)
                for delivery, rejected in batch.dead:
                    self._dead_letter(channel, delivery, rejected)
                channel.basic_ack(delivery_tag=deliveries[-1].tag, multiple=True)
                channel.tx_commit()
                self.failpoint("after_amqp_commit")
                self._mark_sent(db, [row.id for row in batch.outbox])
            finally:
                _release_sources(db)
        for action in batch.after_commit:
            action()
        elapsed = time.perf_counter() - started
        service = self.spec.name
        for _delivery, rejected in batch.dead:
            self.metrics.dead_letters.labels(service, rejected.reason).inc()
        for outcome, n in batch.outcomes.items():
            self.metrics.messages.labels(service, outcome).inc(n)
        for _ in deliveries:
            self.metrics.handling.labels(service).observe(elapsed)

    def _with_retries(self, attempt: Callable[[], _Batch]) -> _Batch:
        for n in range(QUICK_RETRIES):
            try:
                return attempt()
            except DBAPIError as e:
                if not _is_transient(e):
                    raise
                self.log.warning("database_unavailable", attempt=n + 1, error=type(e).__name__)
                time.sleep(0.2 * 2**n)
        raise TransientError("database unavailable; deliveries left unacked for redelivery")

    def _process(self, db: Connection, deliveries: list[Delivery]) -> _Batch:
        try:
            return self._process_fast(db, deliveries)
        except DBAPIError as e:
            if _is_transient(e):
                raise
        except Exception:  # any other failure: the careful pass below isolates it
            pass
        return self._process_careful(db, deliveries)

    def _process_fast(self, db: Connection, deliveries: list[Delivery]) -> _Batch:
        """The common case, in few round trips: claim every key at once, handle each message,
        write every output at once. Anything raised rolls it all back for the careful pass."""
        batch = _Batch()
        with db.begin():
            decoded = [d for d in (self._accept(delivery, batch) for delivery in deliveries) if d]
            new = claim_many(db, self.spec.name, [accepted.key for accepted in decoded])
            outputs: list[tuple[Outgoing, str | None]] = []
            for route, message, key, sender in decoded:
                source = f"{self.spec.name}:{key}"
                if key not in new:
                    batch.outbox += _take_unsent(db, source, batch)
                    batch.count("duplicate")
                    continue
                new.discard(key)  # the same key again in this batch is a duplicate
                ctx = self._context(db, sender)
                produced = route.handle(message, ctx)
                if produced:
                    outputs += [(o, source) for o in produced]
                    batch.new_sources.append(source)
                batch.after_commit += ctx.after_commit
                batch.count("ok")
            batch.outbox += self._to_outbox(db, outputs)
            _hold_sources(db, batch.new_sources)
            self.failpoint("before_db_commit")
        return batch

    def _process_careful(self, db: Connection, deliveries: list[Delivery]) -> _Batch:
        """One savepoint per message, so a message that fails is dead-lettered alone."""
        batch = _Batch()
        with db.begin():
            for delivery in deliveries:
                self._process_one(db, delivery, batch)
            # Hold the new outputs' sources until they are published and marked sent, so a
            # duplicate of their input handled elsewhere meanwhile leaves them to us.
            _hold_sources(db, batch.new_sources)
            self.failpoint("before_db_commit")
        return batch

    def _accept(self, delivery: Delivery, batch: _Batch) -> _Accepted | None:
        """Decode a delivery; None when it is dead-lettered (added to the batch as such) or
        belongs to another service."""
        try:
            route, message = decode(delivery.body, self.spec.routes, self.max_message_bytes)
        except Rejected as rejected:
            batch.dead.append((delivery, rejected))
            batch.count("dead_letter")
            return None
        if not route.wants(message):
            batch.count("skipped")
            return None
        key = route.key(message, delivery.properties.message_id)
        return _Accepted(route, message, key, delivery.properties.user_id)

    def _process_one(self, db: Connection, delivery: Delivery, batch: _Batch) -> None:
        accepted = self._accept(delivery, batch)
        if accepted is None:
            return
        route, message, key, sender = accepted
        source = f"{self.spec.name}:{key}"
        ctx = self._context(db, sender)
        savepoint = db.begin_nested()
        try:
            if not claim(db, self.spec.name, key):
                savepoint.commit()
                # Handled before; if that run died before publishing, its outputs go out now.
                batch.outbox += _take_unsent(db, source, batch)
                batch.count("duplicate")
                return
            outgoing = route.handle(message, ctx)
            rows = self._to_outbox(db, [(o, source) for o in outgoing])
            savepoint.commit()
        except Rejected as rejected:
            savepoint.rollback()
            batch.dead.append((delivery, rejected))
            batch.count("dead_letter")
            return
        except DBAPIError as e:
            if _is_transient(e) or not isinstance(e, IntegrityError):
                raise
            savepoint.rollback()
            self.log.exception("handler_integrity_error", message_id=delivery.properties.message_id)
            batch.dead.append((delivery, Rejected("conflict", "the database refused the effect")))
            batch.count("dead_letter")
            return
        except Exception:
            # A bug, not bad input: keep the message (dead-lettered) and the worker alive.
            savepoint.rollback()
            self.log.exception("handler_failed", message_id=delivery.properties.message_id)
            batch.dead.append((delivery, Rejected("handler_error", "the handler raised")))
            batch.count("dead_letter")
            return
        if rows:
            batch.outbox += rows
            batch.new_sources.append(source)
        batch.after_commit += ctx.after_commit
        batch.count("ok")

    # --- outbox -----------------------------------------------------------------------------------

    def _to_outbox(self, db: Connection, items: list[tuple[Outgoing, str | None]]) -> list[_OutboxRow]:
        """Insert outputs (each with the source input that produced it) in one round trip."""
        if not items:
            return []
        bodies = [to_json(o.message) for o, _ in items]
        values = [
            {
                "exchange": o.exchange,
                "routing_key": o.routing_key,
                "message_id": o.message_id,
                "body": body,
                "source": source,
            }
            for (o, source), body in zip(items, bodies, strict=True)
        ]
        ids = db.execute(sa.insert(outbox).returning(outbox.c.id, sort_by_parameter_order=True), values)
        return [
            _OutboxRow(i, o.exchange, o.routing_key, o.message_id, body)
            for i, (o, _), body in zip(ids.scalars(), items, bodies, strict=True)
        ]

    def _mark_sent(self, db: Connection, ids: list[int]) -> None:
        if not ids:
            return
        try:
            with db.begin():
                # Without waiting for the disk: a mark lost in a database crash only lets a later
                # duplicate of the input publish these rows again, and downstream de-duplicates.
                db.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
                db.execute(sa.update(outbox).where(outbox.c.id.in_(ids)).values(sent_at=sa.func.now()))
        except DBAPIError as e:
            # Published already. Left unsent, the rows are harmless: their input was acked, so
            # nothing takes them up again (a later duplicate of the input would, rarely, resend).
            self.log.warning("outbox_mark_failed", rows=len(ids), error=type(e).__name__)

    def _run_tick(self, channel: Any, tick: Callable[[Context], list[Outgoing]]) -> None:
        """Periodic work (the router's due-time scan). Its outputs are published and committed on
        the broker inside the database transaction: if the database commit then fails, the next
        tick finds the same work and sends it again (a repeated notice, never a lost one)."""
        with self.engine.begin() as db:
            ctx = self._context(db, sender=None)
            outgoing = tick(ctx)
            for o in outgoing:
                properties = message_properties(o.message_id, f"bamsos.{self.spec.name}")
                channel.basic_publish(o.exchange, o.routing_key, to_json(o.message), properties=properties)
            if outgoing:
                channel.tx_commit()
        for action in ctx.after_commit:
            action()

    # --- AMQP -------------------------------------------------------------------------------------

    def _publish(self, channel: Any, row: _OutboxRow) -> None:
        properties = message_properties(row.message_id, f"bamsos.{self.spec.name}")
        channel.basic_publish(row.exchange, row.routing_key, row.body, properties=properties)

    def _dead_letter(self, channel: Any, delivery: Delivery, rejected: Rejected) -> None:
        original = delivery.properties
        headers = dict(original.headers or {})
        headers.update(
            {
                "x-bamsos-reason": rejected.reason,
                "x-bamsos-detail": rejected.detail,
                "x-bamsos-queue": self.spec.queue,
                "x-bamsos-service": self.spec.name,
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
        channel.basic_publish(topology.DEAD, self.spec.queue, delivery.body, properties=properties)
        self.log.warning(
            "dead_lettered",
            reason=rejected.reason,
            detail=rejected.detail,
            message_id=original.message_id,
        )
