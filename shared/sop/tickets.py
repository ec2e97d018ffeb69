"""Ticket numbers: BMS-<yymmdd>-<nnnn> (BMS, or the office's own prefix), the office day a case
was registered and its number that day, from 0001. Short enough to read aloud and type on a phone,
unique per office (one counter row per day, taken under its row lock), and free of personal data."""

from __future__ import annotations

from datetime import date

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection

from shared.runtime.storage import ticket_counters
from shared.sop.office import DEFAULT_TICKET_PREFIX


def ticket_text(day: date, number: int, prefix: str = DEFAULT_TICKET_PREFIX) -> str:
    return f"{prefix}-{day:%y%m%d}-{number:04d}"


def next_ticket(db: Connection, day: date, prefix: str = DEFAULT_TICKET_PREFIX) -> str:
    """The next ticket of `day`, in the caller's transaction (a rollback gives the number back)."""
    stmt = (
        insert(ticket_counters)
        .values(day=day, last=1)
        .on_conflict_do_update(
            index_elements=[ticket_counters.c.day], set_={"last": ticket_counters.c.last + 1}
        )
        .returning(ticket_counters.c.last)
    )
    number = db.scalar(stmt)
    assert number is not None
    return ticket_text(day, int(number), prefix)
