"""Outputs a dead publisher left in the outbox are found, once, and only when nobody holds them."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from shared.runtime.storage import outbox
from shared.runtime.worker.ledger import take_orphans


def row(db: Connection, source: str, message_id: str, age_seconds: float, sent: bool = False) -> None:
    created = sa.func.now() - timedelta(seconds=age_seconds)
    db.execute(
        sa.insert(outbox).values(
            exchange="bamsos.events",
            routing_key="k",
            message_id=message_id,
            body=b"{}",
            source=source,
            created_at=created,
            sent_at=sa.func.now() if sent else None,
        )
    )


def test_only_old_unsent_rows_whose_source_nobody_holds_are_taken(db: Connection, engine: Engine) -> None:
    row(db, "router:orphan", "orphan-1", age_seconds=30)
    row(db, "router:orphan", "orphan-2", age_seconds=30)
    row(db, "router:young", "young", age_seconds=1)  # its publisher may still be at work
    row(db, "router:sent", "sent", age_seconds=30, sent=True)
    row(db, "intake:other", "other-service", age_seconds=30)
    row(db, "router:held", "held", age_seconds=30)
    with engine.connect() as publisher:  # a live worker, still publishing that source
        publisher.execute(sa.text("SELECT pg_advisory_lock(hashtextextended('router:held', 0))"))
        try:
            taken = take_orphans(db, "router", older_than_seconds=5)
        finally:
            publisher.execute(sa.text("SELECT pg_advisory_unlock_all()"))
            publisher.rollback()
    assert [r.message_id for r in taken] == ["orphan-1", "orphan-2"]
    db.execute(sa.text("SELECT pg_advisory_unlock_all()"))
