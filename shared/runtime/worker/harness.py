"""One route of a service on one message, without a broker: how handlers are tested.

The message goes through the same decoding as a delivery (JSON on the wire, the schema picks the
route, `wants` may pass it over); the handler runs in the caller's open transaction, which a test
rolls back (`rolled_back`), with whatever context the test built (a fixed clock, say). What it
would publish comes back; what it wrote (its deferred writes too) is in the transaction, for the
test to read.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pika
from pydantic import BaseModel
from sqlalchemy.engine import Connection, Engine

from shared.runtime.worker.decoding import Delivery, accept
from shared.runtime.worker.spec import C, Outgoing, ServiceSpec, to_json


@contextmanager
def rolled_back(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back at the end, whatever happened."""
    with engine.connect() as db:
        transaction = db.begin()
        try:
            yield db
        finally:
            transaction.rollback()


def run_route(
    spec: ServiceSpec[C],
    message: BaseModel,
    ctx: C,
    *,
    message_id: str | None = None,
    max_message_bytes: int = 64 * 1024,
) -> list[Outgoing]:
    """Handle `message` as `spec`'s worker would; [] when the service passes it over.

    A message the SOP refuses raises `Rejected`, as it would before being dead-lettered, and what
    its handler wrote is undone. The context's after-commit work (metric updates) runs at the end,
    as after a commit.
    """
    properties: Any = pika.BasicProperties(message_id=message_id)
    accepted = accept(Delivery(1, properties, to_json(message)), spec.routes, max_message_bytes)
    if accepted is None:
        return []
    # As in the worker, a message that fails leaves nothing behind: its own savepoint is undone.
    savepoint = ctx.db.begin_nested()
    try:
        outgoing = accepted.route.handle(accepted.message, ctx)
        ctx.writes.flush(ctx.db)
    except BaseException:
        savepoint.rollback()
        ctx.writes.ops.clear()
        ctx.after_commit.clear()
        raise
    savepoint.commit()
    _after_commit(ctx)
    return outgoing


def run_tick(spec: ServiceSpec[C], ctx: C) -> list[Outgoing]:
    """The spec's periodic work once, in the caller's transaction."""
    assert spec.tick is not None, f"{spec.name} has no periodic work"
    outgoing = spec.tick(ctx)
    ctx.writes.flush(ctx.db)
    _after_commit(ctx)
    return outgoing


def _after_commit(ctx: Any) -> None:
    for action in ctx.after_commit:
        action()
    ctx.after_commit.clear()  # a context used again must not run them twice
