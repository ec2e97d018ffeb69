"""One batch's database side: decode, claim, handle and write the outbox in one transaction.

The fast pass claims every key at once, runs each handler, then writes every handler's deferred
rows (`writes`) and every output at once. If
anything in it fails, the transaction is rolled back and the careful pass runs the batch again
with a savepoint per message, so only the message at fault is dead-lettered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

from shared.runtime import logs
from shared.runtime.errors import Rejected
from shared.runtime.worker import ledger
from shared.runtime.worker.decoding import Accepted, Delivery, accept
from shared.runtime.worker.ledger import OutboxRow
from shared.runtime.worker.spec import ContextFactory, Outgoing, ServiceSpec
from shared.runtime.worker.writes import Writes, write_all


@dataclass
class Batch:
    """What a committed batch leaves to do: publish, dead-letter, count, run after-commit work."""

    outbox: list[OutboxRow] = field(default_factory=list)
    new_sources: list[str] = field(default_factory=list)
    dead: list[tuple[Delivery, Rejected]] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def reject(self, delivery: Delivery, rejected: Rejected) -> None:
        self.dead.append((delivery, rejected))
        self.count("dead_letter")

    def take_unsent(self, db: Connection, source: str) -> None:
        """A duplicate: what its first run left unsent goes out with this batch."""
        self.outbox += ledger.take_unsent(db, source, {row.id for row in self.outbox})
        self.count("duplicate")


class BatchHandler:
    """Runs a batch of deliveries through a service's handlers, in one database transaction."""

    def __init__(
        self,
        spec: ServiceSpec[Any],
        make_context: ContextFactory[Any],
        *,
        max_message_bytes: int,
        failpoint: Callable[[str, Sequence[Delivery]], None],
    ) -> None:
        self.spec = spec
        self.make_context = make_context
        self.max_message_bytes = max_message_bytes
        self.failpoint = failpoint
        self.log = logs.get("bamsos.worker").bind(service=spec.name)

    def process(self, db: Connection, deliveries: list[Delivery]) -> Batch:
        try:
            return self._fast(db, deliveries)
        except DBAPIError as e:
            if ledger.is_transient(e):
                raise
        except Exception:  # any other failure: the careful pass below isolates it
            pass
        return self._careful(db, deliveries)

    def _source(self, key: str) -> str:
        return f"{self.spec.name}:{key}"

    def _accept(self, delivery: Delivery, batch: Batch) -> Accepted | None:
        try:
            accepted = accept(delivery, self.spec.routes, self.max_message_bytes)
        except Rejected as rejected:
            batch.reject(delivery, rejected)
            return None
        if accepted is None:
            batch.count("skipped")
        return accepted

    def _fast(self, db: Connection, deliveries: list[Delivery]) -> Batch:
        """The common case, in few round trips. Anything raised rolls it all back."""
        batch = Batch()
        with db.begin():
            decoded = [a for a in (self._accept(d, batch) for d in deliveries) if a]
            new = ledger.claim_many(db, self.spec.name, [a.key for a in decoded])
            fresh: list[Accepted] = []
            for accepted in decoded:
                if accepted.key not in new:
                    batch.take_unsent(db, self._source(accepted.key))
                    continue
                new.discard(accepted.key)  # the same key again in this batch is a duplicate
                fresh.append(accepted)
            preloaded = self._preload(db, fresh)
            outputs: list[tuple[Outgoing, str]] = []
            writes: list[Writes] = []
            for route, message, key, sender in fresh:
                source = self._source(key)
                ctx = self.make_context(db, sender)
                ctx.preloaded = preloaded
                produced = route.handle(message, ctx)
                outputs += [(o, source) for o in produced]
                writes.append(ctx.writes)
                batch.after_commit += ctx.after_commit
                batch.count("ok")
            write_all(db, writes)
            batch.outbox += ledger.write_outbox(db, outputs)
            self.failpoint("before_db_commit", deliveries)
        return batch

    def _preload(self, db: Connection, fresh: list[Accepted]) -> dict[Any, Any]:
        """Each route's work ahead for all its messages of the batch, one statement per route. In
        the fast pass only: if anything fails, all of it is rolled back with the batch."""
        preloaded: dict[Any, Any] = {}
        by_route: dict[int, tuple[Any, list[Any]]] = {}
        for accepted in fresh:
            if accepted.route.preload is not None:
                by_route.setdefault(id(accepted.route), (accepted.route, []))[1].append(accepted.message)
        for route, messages in by_route.values():
            ctx = self.make_context(db, None)
            ctx.preloaded = preloaded
            route.preload(messages, ctx)
            assert not ctx.writes.ops, "a preload defers nothing: its handlers write"
        return preloaded

    def _careful(self, db: Connection, deliveries: list[Delivery]) -> Batch:
        """One savepoint per message, so a message that fails is dead-lettered alone."""
        batch = Batch()
        with db.begin():
            for delivery in deliveries:
                self._one(db, delivery, batch)
            # Hold the new outputs' sources until they are published and marked sent, so a
            # duplicate of their input handled elsewhere meanwhile leaves them to us.
            ledger.hold_sources(db, batch.new_sources)
            self.failpoint("before_db_commit", deliveries)
        return batch

    def _one(self, db: Connection, delivery: Delivery, batch: Batch) -> None:
        accepted = self._accept(delivery, batch)
        if accepted is None:
            return
        route, message, key, sender = accepted
        source = self._source(key)
        ctx = self.make_context(db, sender)
        savepoint = db.begin_nested()
        try:
            if not ledger.claim(db, self.spec.name, key):
                savepoint.commit()
                # Handled before; if that run died before publishing, its outputs go out now.
                batch.take_unsent(db, source)
                return
            produced = route.handle(message, ctx)
            ctx.writes.flush(db)
            rows = ledger.write_outbox(db, [(o, source) for o in produced])
            savepoint.commit()
        except Rejected as rejected:
            savepoint.rollback()
            batch.reject(delivery, rejected)
            return
        except DBAPIError as e:
            if ledger.is_transient(e) or not isinstance(e, IntegrityError):
                raise
            savepoint.rollback()
            self.log.exception("handler_integrity_error", message_id=delivery.properties.message_id)
            batch.reject(delivery, Rejected("conflict", "the database refused the effect"))
            return
        except Exception:
            # A bug, not bad input: keep the message (dead-lettered) and the worker alive.
            savepoint.rollback()
            self.log.exception("handler_failed", message_id=delivery.properties.message_id)
            batch.reject(delivery, Rejected("handler_error", "the handler raised"))
            return
        if rows:
            batch.outbox += rows
            batch.new_sources.append(source)
        batch.after_commit += ctx.after_commit
        batch.count("ok")
