"""Ticket numbers: BMS-yymmdd-nnnn, counted from 0001 each office day, in the caller's transaction,
against the real database."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from shared.runtime.storage import ticket_counters
from shared.sop.citizen import status_request
from shared.sop.tickets import next_ticket, ticket_text
from tests.helpers import wait_for

MONDAY = date(2026, 11, 30)
TUESDAY = date(2026, 12, 1)
# A day of its own for the tests that commit (two connections), cleared after them.
FAR_DAY = date(2039, 1, 3)
TICKET_FORMAT = re.compile(r"^BMS-\d{6}-\d{4,}$")


def test_the_first_ticket_of_a_day_is_0001(db: Connection) -> None:
    assert next_ticket(db, MONDAY) == "BMS-261130-0001"


def test_tickets_count_up_within_the_day(db: Connection) -> None:
    assert [next_ticket(db, MONDAY) for _ in range(3)] == [
        "BMS-261130-0001",
        "BMS-261130-0002",
        "BMS-261130-0003",
    ]


def test_a_new_office_day_starts_again_at_0001(db: Connection) -> None:
    next_ticket(db, MONDAY)
    next_ticket(db, MONDAY)
    assert next_ticket(db, TUESDAY) == "BMS-261201-0001"
    assert next_ticket(db, MONDAY) == "BMS-261130-0003"  # Monday's count goes on where it was


def test_a_ticket_reads_bms_the_day_as_yymmdd_and_four_digits() -> None:
    assert ticket_text(date(2027, 1, 5), 7) == "BMS-270105-0007"
    assert TICKET_FORMAT.match(ticket_text(MONDAY, 1))


def test_the_10000th_ticket_of_a_day_has_five_digits(db: Connection) -> None:
    db.execute(sa.insert(ticket_counters).values(day=MONDAY, last=9999))
    ticket = next_ticket(db, MONDAY)
    assert ticket == "BMS-261130-10000"
    assert TICKET_FORMAT.match(ticket)
    assert status_request(f"cek status {ticket}") == ticket  # a citizen can still ask about it


def test_the_number_comes_back_after_a_rollback(db: Connection) -> None:
    assert next_ticket(db, MONDAY) == "BMS-261130-0001"
    undone = db.begin_nested()
    assert next_ticket(db, MONDAY) == "BMS-261130-0002"
    undone.rollback()
    # The registration that took 0002 did not happen: the next one gets 0002, and no ticket is
    # given twice among the cases that exist.
    assert next_ticket(db, MONDAY) == "BMS-261130-0002"
    assert db.scalar(sa.select(ticket_counters.c.last).where(ticket_counters.c.day == MONDAY)) == 2


# --- two transactions at once -----------------------------------------------------------------


@pytest.fixture
def far_day(engine: Engine) -> Iterator[date]:
    yield FAR_DAY
    with engine.begin() as db:
        db.execute(sa.delete(ticket_counters).where(ticket_counters.c.day == FAR_DAY))


def waiting_on_a_lock(engine: Engine, pid: int) -> bool:
    with engine.connect() as db:
        wait = db.scalar(
            sa.text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
        )
    return wait == "Lock"


def ticket_in_another_transaction(
    engine: Engine, day: date, *, commit: bool
) -> tuple[threading.Thread, dict]:
    """Start a second registration on a thread; it takes its ticket and commits or rolls back."""
    got: dict = {}
    ready = threading.Event()

    def run() -> None:
        with engine.connect() as db, db.begin() as transaction:
            db.execute(sa.text("SET LOCAL lock_timeout = '20s'"))
            got["pid"] = db.scalar(sa.text("SELECT pg_backend_pid()"))
            ready.set()
            got["ticket"] = next_ticket(db, day)
            if not commit:
                transaction.rollback()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(10)
    return thread, got


def test_a_concurrent_registration_waits_and_gets_the_number_a_rolled_back_one_gave_back(
    engine: Engine, far_day: date
) -> None:
    with engine.connect() as first:
        undone = first.begin()
        assert next_ticket(first, far_day) == "BMS-390103-0001"
        second, got = ticket_in_another_transaction(engine, far_day, commit=True)
        wait_for(lambda: waiting_on_a_lock(engine, got["pid"]), what="the second registration to wait")
        undone.rollback()
    second.join(20)
    assert got["ticket"] == "BMS-390103-0001"


def test_a_concurrent_registration_waits_and_gets_the_next_number_after_a_commit(
    engine: Engine, far_day: date
) -> None:
    with engine.connect() as first:
        with first.begin():
            assert next_ticket(first, far_day) == "BMS-390103-0001"
            second, got = ticket_in_another_transaction(engine, far_day, commit=False)
            wait_for(lambda: waiting_on_a_lock(engine, got["pid"]), what="the second registration to wait")
        second.join(20)
    assert got["ticket"] == "BMS-390103-0002"
