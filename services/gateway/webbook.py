"""The website chat box's conversations in PostgreSQL (`web_messages`, owned here): what a visitor
wrote, what the office sent them, and which of it their stream received."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection

from shared.runtime.storage import gateway_sends, web_messages

HISTORY = 50  # messages a visitor who comes back is shown


@dataclass(frozen=True)
class Line:
    """One message of a conversation, as the box shows it."""

    id: int
    sender: str  # citizen, or office
    kind: str  # question, reply, notice
    key: str | None
    text: str
    at: datetime


def keep_question(db: Connection, visitor: str, text: str, at: datetime) -> None:
    db.execute(
        sa.insert(web_messages).values(
            visitor=visitor, sender="citizen", kind="question", text=text, created_at=at
        )
    )


def keep_for_visitor(
    db: Connection, key: str, visitor: str, text: str, *, is_reply: bool, at: datetime
) -> None:
    """A reply or notice for the visitor's stream; a redelivered one is kept once."""
    db.execute(
        insert(web_messages)
        .values(
            visitor=visitor,
            sender="office",
            kind="reply" if is_reply else "notice",
            key=key,
            text=text,
            created_at=at,
        )
        .on_conflict_do_nothing(index_elements=["key"])
    )


def lines_after(db: Connection, visitor: str, after: int | None) -> list[Line]:
    """The visitor's messages after id `after`; the last HISTORY of them when `after` is None."""
    m = web_messages.c
    query = sa.select(m.id, m.sender, m.kind, m.key, m.text, m.created_at).where(m.visitor == visitor)
    if after is None:
        query = query.order_by(m.id.desc()).limit(HISTORY)
    else:
        query = query.where(m.id > after).order_by(m.id)
    rows = [Line(r.id, r.sender, r.kind, r.key, r.text, r.created_at) for r in db.execute(query)]
    return sorted(rows, key=lambda line: line.id)


def mark_seen(db: Connection, ids: list[int], at: datetime) -> None:
    db.execute(
        sa.update(web_messages)
        .where(web_messages.c.id.in_(ids), web_messages.c.seen_at.is_(None))
        .values(seen_at=at)
    )


def receipts_owed(db: Connection, visitor: str) -> list[tuple[str, datetime]]:
    """Replies the visitor's stream received whose delivery is not yet recorded: (reply id, when)."""
    m, s = web_messages.c, gateway_sends.c
    query = (
        sa.select(m.key, m.seen_at)
        .join(gateway_sends, s.reply_id == m.key)
        .where(m.visitor == visitor, m.kind == "reply", m.seen_at.is_not(None), s.state == "sent")
    )
    return [(row.key, row.seen_at) for row in db.execute(query)]
