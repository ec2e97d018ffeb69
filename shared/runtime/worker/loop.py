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

Deliveries are handled in batches: one database transaction (`batch`) and one AMQP transaction per
batch (`amqp`). The outputs are recorded in the outbox with the effect (`ledger`); a crash after the
database commit and before the AMQP commit leaves the input unacked, so it comes back, is found
handled, and publishes exactly the recorded outputs (same message ids).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from pika.exceptions import AMQPError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from shared.runtime import logs
from shared.runtime.errors import TransientError
from shared.runtime.health import Heartbeat
from shared.runtime.metrics import WorkerMetrics
from shared.runtime.worker import amqp, ledger
from shared.runtime.worker.batch import Batch, BatchHandler
from shared.runtime.worker.decoding import Delivery
from shared.runtime.worker.spec import ContextFactory, ServiceSpec, to_json

QUICK_RETRIES = 3


class Worker:
    """Runs one service: consumes its queue until `stop` is set, reconnecting when needed."""

    def __init__(
        self,
        spec: ServiceSpec[Any],
        make_context: ContextFactory[Any],
        *,
        amqp_url: str,
        engine: Engine,
        metrics: WorkerMetrics,
        prefetch: int = 200,
        batch_size: int = 100,
        max_message_bytes: int = 64 * 1024,
        crash_at: str | None = None,
        heartbeat: Heartbeat | None = None,
    ) -> None:
        self.spec = spec
        self.make_context = make_context
        self.amqp_url = amqp_url
        self.engine = engine
        self.metrics = metrics
        self.prefetch = prefetch
        self.batch_size = batch_size
        self.crash_at = crash_at
        self.heartbeat = heartbeat or Heartbeat()  # touched every turn; /healthz reads it
        self.log = logs.get("bamsos.worker").bind(service=spec.name)
        self.handler = BatchHandler(
            spec, make_context, max_message_bytes=max_message_bytes, failpoint=self.failpoint
        )

    def failpoint(self, name: str, deliveries: Sequence[Delivery] = ()) -> None:
        """For the crash tests: die here, as `kill -9` would, when `BAMSOS_CRASH_AT` names this point
        (`<point>:<message id>`: only in a batch holding that message, as a poison message would).

        Points: `before_db_commit`, `after_db_commit` (before the AMQP commit), `after_amqp_commit`
        (before the outbox rows are marked sent). Off unless set.
        """
        if self.crash_at is None:
            return
        point, _, message_id = self.crash_at.partition(":")
        if point == name and (
            not message_id or any(d.properties.message_id == message_id for d in deliveries)
        ):
            self.log.warning("crashing_on_purpose", point=name)
            os._exit(137)

    # --- the outer loop: connect, serve, back off and reconnect ------------------------------

    def run(self, stop: threading.Event) -> None:
        transient = (AMQPError, TransientError, DBAPIError, OSError)
        amqp.keep_serving(lambda: self._serve(stop), stop, self.log, transient)
        self.log.info("stopped")

    def _serve(self, stop: threading.Event) -> None:
        self.heartbeat.beat()  # a reconnect attempt is a turn too
        with amqp.connected(self.amqp_url) as connection:
            self._take_back_redeliveries(connection, stop)
            channel = self._consuming_channel(connection, self.prefetch)
            self.log.info("consuming", queue=self.spec.queue)
            amqp.consume(
                connection,
                channel,
                self.spec.queue,
                stop,
                lambda batch: self._handle_batch(channel, batch),
                batch_size=self.batch_size,
                every_second=lambda: self._every_second(channel),
                on_turn=self.heartbeat.beat,
            )

    def _every_second(self, channel: Any) -> None:
        self._publish_orphans(channel)
        if self.spec.tick is not None:
            self._run_tick(channel)

    @staticmethod
    def _consuming_channel(connection: Any, prefetch: int) -> Any:
        channel = connection.channel()
        channel.basic_qos(prefetch_count=prefetch)
        channel.tx_select()  # outputs, dead letters and acks of a batch take effect together
        return channel

    def _take_back_redeliveries(self, connection: Any, stop: threading.Event) -> None:
        """What a dead consumer left unacked comes back first: take it one message at a time, so a
        message that kills the worker (a poison message) fails alone, and the messages queued with
        it are not redelivered with it toward a quorum queue's delivery limit. Done at the first
        fresh message, or when none comes; the channel's close returns a message still in flight."""
        channel = self._consuming_channel(connection, 1)
        arrived: list[Delivery] = []
        channel.basic_consume(self.spec.queue, on_message_callback=amqp.into(arrived))
        while not stop.is_set():
            self.heartbeat.beat()
            connection.process_data_events(time_limit=0.2)
            if not arrived:
                break
            delivery = arrived.pop()
            self._handle_batch(channel, [delivery])
            if not delivery.redelivered:
                break
        channel.close()

    # --- one batch ------------------------------------------------------------------------------

    def _handle_batch(self, channel: Any, deliveries: list[Delivery]) -> None:
        started = time.perf_counter()
        name = self.spec.name
        with self.engine.connect() as db:
            try:
                batch = self._with_retries(lambda: self.handler.process(db, deliveries))
                self.failpoint("after_db_commit", deliveries)
                for row in batch.outbox:
                    amqp.publish(channel, name, row.exchange, row.routing_key, row.body, row.message_id)
                for delivery, rejected in batch.dead:
                    amqp.dead_letter(channel, name, delivery, rejected)
                channel.basic_ack(delivery_tag=deliveries[-1].tag, multiple=True)
                channel.tx_commit()
                self.failpoint("after_amqp_commit", deliveries)
            except BaseException:
                ledger.release_sources(db)
                raise
            if not ledger.mark_sent_and_release(db, [row.id for row in batch.outbox]):
                # Published already. Left unsent, the rows are harmless: their input was acked,
                # so nothing takes them up again (a later duplicate of the input would resend).
                self.log.warning("outbox_mark_failed", rows=len(batch.outbox))
        for action in batch.after_commit:
            action()
        self.metrics.count_batch(name, batch.outcomes, [r.reason for _d, r in batch.dead])
        self.metrics.observe_handling(name, time.perf_counter() - started, len(deliveries))

    def _with_retries(self, attempt: Callable[[], Batch]) -> Batch:
        for n in range(QUICK_RETRIES):
            try:
                return attempt()
            except DBAPIError as e:
                if not ledger.is_transient(e):
                    raise
                self.log.warning("database_unavailable", attempt=n + 1, error=type(e).__name__)
                time.sleep(0.2 * 2**n)
        raise TransientError("database unavailable; deliveries left unacked for redelivery")

    def _publish_orphans(self, channel: Any) -> None:
        """Publish what a dead publisher left in the outbox (`ledger.take_orphans`), and mark it sent."""
        with self.engine.connect() as db:
            try:
                with db.begin():
                    rows = ledger.take_orphans(db, self.spec.name)
                for row in rows:
                    amqp.publish(
                        channel, self.spec.name, row.exchange, row.routing_key, row.body, row.message_id
                    )
                if rows:
                    channel.tx_commit()
                    self.log.warning("orphans_published", rows=len(rows))
            except BaseException:
                ledger.release_sources(db)
                raise
            ledger.mark_sent_and_release(db, [row.id for row in rows])

    def _run_tick(self, channel: Any) -> None:
        """Periodic work (the router's due-time scan). Its outputs are published and committed on
        the broker inside the database transaction: if the database commit then fails, the next
        tick finds the same work and sends it again (a repeated notice, never a lost one)."""
        assert self.spec.tick is not None
        with self.engine.begin() as db:
            ctx = self.make_context(db, None)
            outgoing = self.spec.tick(ctx)
            ctx.writes.flush(db)
            for o in outgoing:
                amqp.publish(
                    channel, self.spec.name, o.exchange, o.routing_key, to_json(o.message), o.message_id
                )
            if outgoing:
                channel.tx_commit()
        for action in ctx.after_commit:
            action()
