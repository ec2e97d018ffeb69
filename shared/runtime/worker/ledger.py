"""The worker's book in PostgreSQL: which inputs were handled (claims), what they must publish
(the outbox), and who is publishing it right now (advisory locks).

An input's outputs are written to the outbox in the transaction of its effect, tagged with their
source (`<service>:<dedupe key>`). While a worker publishes them it holds a session advisory lock
on that source, so a duplicate of the input handled by another replica at that moment leaves them
to it; once published they are marked sent.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from shared.runtime.storage import outbox, processed_messages
from shared.runtime.worker.spec import Outgoing, to_json


@dataclass(frozen=True)
class OutboxRow:
    id: int
    exchange: str
    routing_key: str
    message_id: str
    body: bytes


def is_transient(error: DBAPIError) -> bool:
    """The database went away (a restart, a dropped connection), as opposed to refusing the work."""
    return bool(error.connection_invalidated) or isinstance(
        error, sa.exc.OperationalError | sa.exc.InterfaceError
    )


def claim(db: Connection, consumer: str, key: str) -> bool:
    """Record that `consumer` handles `key`; False when it already has (a duplicate)."""
    stmt = (
        sa.dialects.postgresql.insert(processed_messages)
        .values(consumer=consumer, message_key=key)
        .on_conflict_do_nothing()
    )
    return db.execute(stmt).rowcount == 1


def claim_many(db: Connection, consumer: str, keys: list[str]) -> set[str]:
    """`claim` for a whole batch in one round trip: the keys not handled before. Each new key's
    source (`<consumer>:<key>`) is held at once (`hold_sources`), in the same statement."""
    if not keys:
        return set()
    c = processed_messages.c
    source = sa.func.hashtextextended(sa.literal(f"{consumer}:") + c.message_key, 0)
    stmt = (
        sa.dialects.postgresql.insert(processed_messages)
        .values([{"consumer": consumer, "message_key": k} for k in dict.fromkeys(keys)])
        .on_conflict_do_nothing()
        .returning(c.message_key, sa.func.pg_advisory_lock(source))
    )
    return {row.message_key for row in db.execute(stmt)}


def write_outbox(db: Connection, items: list[tuple[Outgoing, str]]) -> list[OutboxRow]:
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
        OutboxRow(i, o.exchange, o.routing_key, o.message_id, body)
        for i, (o, _), body in zip(ids.scalars(), items, bodies, strict=True)
    ]


def take_unsent(db: Connection, source: str, have: set[int]) -> list[OutboxRow]:
    """The unsent outputs of an input handled before, unless a live worker is still publishing
    them (it holds their source's advisory lock) or they are among `have` already."""
    if not db.scalar(sa.text("SELECT pg_try_advisory_lock(hashtextextended(:s, 0))"), {"s": source}):
        return []
    rows = db.execute(
        sa.select(outbox.c.id, outbox.c.exchange, outbox.c.routing_key, outbox.c.message_id, outbox.c.body)
        .where(outbox.c.source == source, outbox.c.sent_at.is_(None))
        .order_by(outbox.c.id)
    )
    return [OutboxRow(*row) for row in rows if row.id not in have]


def take_orphans(db: Connection, consumer: str, older_than_seconds: float = 5.0) -> list[OutboxRow]:
    """Outputs of `consumer` recorded over `older_than_seconds` ago and never published, whose
    publisher is gone (no session holds their source's lock): each source is locked here and its
    unsent rows returned (`take_unsent`), for the caller to publish and mark sent.

    Who leaves them: a worker whose broker connection dies between its database commit and its
    AMQP commit, while a replica on another node took the input's redelivery as a duplicate whose
    outputs were still that worker's to publish, and acked it."""
    young = sa.func.now() - sa.func.make_interval(0, 0, 0, 0, 0, 0, older_than_seconds)
    sources = db.scalars(
        sa.select(outbox.c.source)
        .where(outbox.c.sent_at.is_(None), outbox.c.created_at < young)
        .where(outbox.c.source.startswith(f"{consumer}:"))
        .group_by(outbox.c.source)
        .limit(100)
    ).all()
    return [row for source in sources for row in take_unsent(db, source, set())]


def hold_sources(db: Connection, sources: list[str]) -> None:
    """Session-level advisory locks (they outlive the commit) on the sources about to publish."""
    if sources:
        db.execute(
            sa.text("SELECT pg_advisory_lock(hashtextextended(s, 0)) FROM unnest(CAST(:s AS text[])) AS s"),
            {"s": sources},
        )


def release_sources(db: Connection) -> None:
    try:
        db.exec_driver_sql("SELECT pg_advisory_unlock_all()")
        db.rollback()
    except DBAPIError:
        db.invalidate()  # the session ends, and PostgreSQL drops its locks with it


def mark_sent_and_release(db: Connection, ids: list[int]) -> bool:
    """After the publish: mark the rows sent, then drop the batch's advisory locks, in one round
    trip (one string of statements, sent whole because psycopg2 opens no transaction of its own).

    The mark is committed without waiting for the disk: a mark lost in a database crash only lets
    a later duplicate of the input publish these rows again, and downstream de-duplicates. False
    when the database is away: the rows stay unsent (as harmless), the session is dropped and
    PostgreSQL drops its locks with it.
    """
    mark = (
        "BEGIN; SET LOCAL synchronous_commit TO OFF;"
        " UPDATE outbox SET sent_at = now() WHERE id = ANY(%(ids)s); COMMIT; "
        if ids
        else ""
    )
    raw = db.connection.dbapi_connection
    assert raw is not None
    try:
        raw.autocommit = True
        cursor = raw.cursor()
        cursor.execute(mark + "SELECT pg_advisory_unlock_all()", {"ids": ids})
        cursor.close()
        raw.autocommit = False
    except db.dialect.loaded_dbapi.Error:
        db.invalidate()
        return False
    return True
