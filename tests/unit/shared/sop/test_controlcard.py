"""The control card (kartu kendali): each handover written as the SOP asks — from and to whom, the
officer, handed, taken, done, the standard, the time taken in SOP seconds, breached or not — and
the step metrics moved only once the transaction commits."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from prometheus_client import Counter, Histogram
from sqlalchemy.engine import Connection, Engine

from services.router.service import SPEC as ROUTER
from shared.runtime import topology
from shared.runtime.settings import Settings
from shared.runtime.storage import handovers, inquiries, notices, ticket_counters
from shared.runtime.worker.harness import run_route
from shared.sop.clock import SopClock
from shared.sop.context import Context, HandlerSetup
from shared.sop.contracts import Outcome, Role, Service, Task, Topic
from shared.sop.controlcard import (
    Closed,
    assign,
    close_handover,
    close_task,
    preload_open_tasks,
    record_step,
)
from shared.sop.office_calendar import make_calendar
from shared.sop.rules import Assignment
from shared.staff.card import control_card
from tests.helpers import INQUIRY, FrozenTime
from tests.unit.services.router.test_service import only_task, registered, result

WIB = ZoneInfo("Asia/Jakarta")
KASI = Assignment(step=3, role=Role.kasi, seksi="identitas_penduduk", bidang="pdp")


def wib(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A wall-clock time in Pekanbaru (WIB), as the UTC instant the services use."""
    return datetime(year, month, day, hour, minute, tzinfo=WIB).astimezone(UTC)


def a_case(ctx: Context, now: FrozenTime) -> str:
    """A registered inquiry (a KIA question sent just now), without its step 3 yet."""
    return registered(ctx, sent_at=now.at).inquiry_id


def card_row(ctx: Context, inquiry_id: str, step: int) -> sa.Row[object]:
    """A step's row on the card, as the batch leaves it (its deferred writes written)."""
    ctx.writes.flush(ctx.db)
    return ctx.db.execute(
        sa.select(handovers).where(handovers.c.inquiry_id == inquiry_id, handovers.c.step == step)
    ).one()


def handed_to_kasi(ctx: Context, now: FrozenTime) -> Task:
    out = assign(ctx, a_case(ctx, now), KASI, from_role=Role.admin, handed_at=now.at)
    ctx.writes.flush(ctx.db)
    assert isinstance(out.message, Task)
    return out.message


def sample(metric: Counter | Histogram, suffix: str, step: int, role: str) -> float:
    return sum(
        s.value
        for family in metric.collect()
        for s in family.samples
        if s.name.endswith(suffix) and s.labels == {"step": str(step), "role": role}
    )


def commit(ctx: Context) -> None:
    """What the worker does once the transaction has committed."""
    for action in ctx.after_commit:
        action()
    ctx.after_commit.clear()


def test_a_finished_step_without_a_task_is_written_with_its_time_against_the_standard(
    ctx: Context, now: FrozenTime
) -> None:
    inquiry_id = a_case(ctx, now)
    handed = now.at
    record_step(
        ctx, inquiry_id, 8, Role.admin, Role.pemohon, handed_at=handed, done_at=handed + timedelta(seconds=90)
    )
    row = card_row(ctx, inquiry_id, 8)
    assert (row.from_role, row.to_role, row.officer, row.task_id) == ("admin", "pemohon", None, None)
    assert (row.handed_at, row.taken_at, row.done_at) == (handed, None, handed + timedelta(seconds=90))
    assert (row.standard_seconds, row.due_at) == (120, handed + timedelta(minutes=2))
    assert (row.duration_seconds, row.breached, row.next_notice_at) == (90, False, None)


def test_registration_writes_steps_1_and_2_by_the_citizen_to_the_admin(ctx: Context, now: FrozenTime) -> None:
    sent = now.at - timedelta(minutes=7)
    inquiry_id = registered(ctx, sent_at=sent).inquiry_id
    step1, step2 = card_row(ctx, inquiry_id, 1), card_row(ctx, inquiry_id, 2)
    assert (step1.from_role, step1.to_role, step1.handed_at, step1.done_at) == (
        "pemohon",
        "admin",
        sent,
        now.at,
    )
    assert (step1.standard_seconds, step1.duration_seconds, step1.breached) == (300, 420, True)
    assert (step2.standard_seconds, step2.duration_seconds, step2.breached) == (180, 0, False)


def test_an_open_step_without_a_task_waits_for_its_due_time(ctx: Context, now: FrozenTime) -> None:
    inquiry_id = a_case(ctx, now)
    record_step(ctx, inquiry_id, 8, Role.admin, Role.pemohon, handed_at=now.at, done_at=None)
    row = card_row(ctx, inquiry_id, 8)
    assert (row.done_at, row.duration_seconds, row.breached) == (None, None, None)
    assert row.due_at == row.next_notice_at == now.at + timedelta(minutes=2)
    assert ctx.after_commit == [], "nothing to measure until it is done"


@pytest.mark.parametrize(("seconds", "breached"), [(119, False), (120, False), (121, True)])
def test_a_step_is_breached_only_when_it_takes_longer_than_its_standard(
    ctx: Context, now: FrozenTime, seconds: int, breached: bool
) -> None:
    inquiry_id = a_case(ctx, now)
    done = now.at + timedelta(seconds=seconds)
    record_step(ctx, inquiry_id, 8, Role.admin, Role.pemohon, handed_at=now.at, done_at=done)
    assert card_row(ctx, inquiry_id, 8).breached is breached


def test_handing_a_case_to_a_unit_opens_its_handover_and_makes_the_units_task(
    ctx: Context, now: FrozenTime
) -> None:
    inquiry_id = a_case(ctx, now)
    out = assign(ctx, inquiry_id, KASI, from_role=Role.admin, handed_at=now.at)
    assert (out.exchange, out.routing_key) == (topology.TASKS, "kasi.identitas_penduduk")
    task = out.message
    assert isinstance(task, Task) and out.message_id == task.task_id
    assert task.kind == "task" and task.task_id.startswith("kasi-")
    assert (task.step, task.role, task.seksi, task.bidang) == (3, Role.kasi, "identitas_penduduk", "pdp")
    assert (task.service, task.topic, task.summary) == (Service.kia, Topic.informasi, INQUIRY["text"])
    assert (task.assigned_at, task.due_at) == (now.at, now.at + timedelta(minutes=5))
    row = card_row(ctx, inquiry_id, 3)
    assert (row.from_role, row.to_role, row.seksi, row.bidang) == (
        "admin",
        "kasi",
        "identitas_penduduk",
        "pdp",
    )
    assert (row.task_id, row.officer, row.taken_at, row.done_at) == (task.task_id, None, None, None)
    assert (row.handed_at, row.due_at, row.next_notice_at) == (now.at, task.due_at, task.due_at)
    assert (row.standard_seconds, row.duration_seconds, row.breached) == (300, None, None)


def test_closing_a_task_records_the_officer_the_outcome_and_the_time_taken(
    ctx: Context, now: FrozenTime
) -> None:
    task = handed_to_kasi(ctx, now)
    done = now.advance(minutes=3)
    closed = close_task(ctx, task.task_id, officer="Kasi Hendra", outcome="answered", done_at=done)
    assert closed == Closed(
        task.inquiry_id, 3, Role.kasi, "identitas_penduduk", "pdp", 180, False, Topic.informasi, Service.kia
    )
    row = card_row(ctx, task.inquiry_id, 3)
    assert (row.officer, row.outcome, row.done_at, row.duration_seconds) == (
        "Kasi Hendra",
        "answered",
        done,
        180,
    )
    assert row.taken_at == done, "with no receipt recorded, the officer took it when they finished"
    assert (row.breached, row.next_notice_at) == (False, None)


def test_an_officers_earlier_receipt_stays_on_the_card_when_the_task_is_closed(
    ctx: Context, now: FrozenTime
) -> None:
    task = handed_to_kasi(ctx, now)
    taken = now.advance(minutes=1)
    # What `bamsos staff ambil` writes: the officer's initials and the time of receipt.
    ctx.db.execute(
        sa.update(handovers)
        .where(handovers.c.task_id == task.task_id)
        .values(taken_at=taken, officer="Hendra")
    )
    done = now.advance(minutes=2)
    close_task(ctx, task.task_id, officer="Hendra", outcome="escalated", done_at=done)
    row = card_row(ctx, task.inquiry_id, 3)
    assert (row.officer, row.taken_at, row.done_at, row.outcome) == ("Hendra", taken, done, "escalated")
    assert row.duration_seconds == 180, "the time runs from the handover, not from the receipt"


def test_a_task_closed_after_its_standard_is_breached(ctx: Context, now: FrozenTime) -> None:
    task = handed_to_kasi(ctx, now)
    closed = close_task(
        ctx, task.task_id, officer="Hendra", outcome="answered", done_at=now.advance(minutes=7)
    )
    assert closed is not None and closed.breached and closed.duration_seconds == 420
    assert card_row(ctx, task.inquiry_id, 3).breached is True


def test_closing_a_task_twice_returns_none_the_second_time_and_leaves_the_card_as_it_was(
    ctx: Context, now: FrozenTime
) -> None:
    task = handed_to_kasi(ctx, now)
    first = now.advance(minutes=2)
    assert close_task(ctx, task.task_id, officer="A", outcome="answered", done_at=first) is not None
    before = card_row(ctx, task.inquiry_id, 3)
    again = close_task(ctx, task.task_id, officer="B", outcome="done", done_at=now.advance(minutes=9))
    assert again is None
    assert card_row(ctx, task.inquiry_id, 3) == before


def test_closing_a_task_nobody_was_given_returns_none(ctx: Context, now: FrozenTime) -> None:
    assert close_task(ctx, "kasi-no-such-task", officer="A", outcome="answered", done_at=now.at) is None


def test_a_done_time_before_the_handover_never_makes_the_time_negative(ctx: Context, now: FrozenTime) -> None:
    inquiry_id = a_case(ctx, now)
    record_step(ctx, inquiry_id, 8, Role.admin, Role.pemohon, handed_at=now.at, done_at=None)
    closed = close_handover(ctx, card_row(ctx, inquiry_id, 8), done_at=now.at - timedelta(seconds=30))
    row = card_row(ctx, inquiry_id, 8)
    assert (closed.duration_seconds, row.duration_seconds, row.done_at, row.taken_at) == (
        0,
        0,
        now.at,
        now.at,
    )


def test_durations_are_recorded_in_sop_seconds_when_the_clock_runs_faster(
    db: Connection, handler_setup: HandlerSetup, now: FrozenTime
) -> None:
    fast = dataclasses.replace(handler_setup, clock=SopClock(time_scale=60, now=now)).context(db, None)
    task = handed_to_kasi(fast, now)
    assert task.due_at == now.at + timedelta(seconds=5), "5 SOP minutes pass in 5 seconds at x60"
    closed = close_task(fast, task.task_id, officer="A", outcome="answered", done_at=now.advance(seconds=6))
    assert closed is not None and (closed.duration_seconds, closed.breached) == (360, True)
    assert card_row(fast, task.inquiry_id, 3).standard_seconds == 300


def test_night_hours_do_not_count_toward_a_steps_time_on_the_office_calendar(
    db: Connection, handler_setup: HandlerSetup, now: FrozenTime
) -> None:
    calendar = make_calendar(Settings(calendar="office"))
    office = dataclasses.replace(handler_setup, clock=SopClock(calendar=calendar, now=now)).context(db, None)
    now.at = wib(2026, 11, 24, 15, 58)  # Tuesday, two minutes before closing
    task = handed_to_kasi(office, now)
    assert task.due_at == calendar.add(now.at, 300) == wib(2026, 11, 25, 7, 33)
    closed = close_task(
        office, task.task_id, officer="A", outcome="answered", done_at=wib(2026, 11, 25, 7, 33)
    )
    assert closed is not None and (closed.duration_seconds, closed.breached) == (300, False)


def test_the_step_duration_histogram_and_breaches_counter_move_only_after_commit(
    ctx: Context, now: FrozenTime, handler_setup: HandlerSetup
) -> None:
    metrics = handler_setup.metrics
    late, on_time = handed_to_kasi(ctx, now), handed_to_kasi(ctx, now)
    close_task(ctx, on_time.task_id, officer="A", outcome="answered", done_at=now.at + timedelta(minutes=2))
    close_task(ctx, late.task_id, officer="A", outcome="answered", done_at=now.at + timedelta(minutes=8))
    assert sample(metrics.step_duration, "_count", 3, "kasi") == 0
    assert sample(metrics.breaches, "_total", 3, "kasi") == 0
    commit(ctx)
    assert sample(metrics.step_duration, "_count", 3, "kasi") == 2
    assert sample(metrics.step_duration, "_sum", 3, "kasi") == 120 + 480
    assert sample(metrics.breaches, "_total", 3, "kasi") == 1, "only the late one"


def test_a_transaction_that_does_not_commit_moves_no_metric(
    ctx: Context, now: FrozenTime, handler_setup: HandlerSetup
) -> None:
    task = handed_to_kasi(ctx, now)
    close_task(ctx, task.task_id, officer="A", outcome="answered", done_at=now.at + timedelta(minutes=8))
    ctx.after_commit.clear()  # what the worker does when it rolls the batch back
    assert sample(handler_setup.metrics.step_duration, "_count", 3, "kasi") == 0
    assert sample(handler_setup.metrics.breaches, "_total", 3, "kasi") == 0


def test_the_printed_control_card_names_the_step_where_the_delay_happened(
    engine: Engine, handler_setup: HandlerSetup, now: FrozenTime
) -> None:
    # `control_card` reads through its own connection, so this case is committed, then deleted.
    with engine.begin() as db:
        ctx = handler_setup.context(db, None)
        task = only_task(run_route(ROUTER, registered(ctx, sent_at=now.at), ctx))
        now.advance(minutes=8)
        run_route(ROUTER, result(task, Outcome.answered, officer="Rina"), ctx)
    try:
        by_task = control_card(engine, task.task_id, WIB).lines()
        by_case = control_card(engine, task.inquiry_id, WIB).lines()
        by_ticket = control_card(engine, task.ticket or "", WIB).lines()
    finally:
        with engine.begin() as db:
            db.execute(sa.delete(handovers).where(handovers.c.inquiry_id == task.inquiry_id))
            db.execute(sa.delete(notices).where(notices.c.inquiry_id == task.inquiry_id))
            db.execute(sa.delete(inquiries).where(inquiries.c.inquiry_id == task.inquiry_id))
            db.execute(sa.delete(ticket_counters))
    assert by_task == by_case == by_ticket
    assert by_task[0] == f"KARTU KENDALI  kasus {task.inquiry_id}  tiket {task.ticket}"
    assert any(line.startswith("Pemberitahuan ke pemohon: tanda terima ") for line in by_task)
    steps = [line for line in by_task if line[:2] in ("1.", "2.", "3.", "8.")]
    assert [line[:2] for line in steps] == ["1.", "2.", "3.", "8."]
    assert steps[2].endswith("8.0/5 mnt  TERLAMBAT") and "Rina" in steps[2]
    assert not any(line.endswith("TERLAMBAT") for line in (steps[0], steps[1], steps[3]))
    assert by_task[-1] == (
        "Keterlambatan terjadi pada langkah 3 (Informasi pelayanan), dipegang Rina (admin), "
        "lewat 3.0 menit dari baku 5 menit."
    )


def test_a_batch_reads_its_tasks_ahead_in_one_statement_and_closes_them_without_another(
    ctx: Context, now: FrozenTime
) -> None:
    tasks = [handed_to_kasi(ctx, now) for _ in range(3)]
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.split()[0])

    sa.event.listen(ctx.db, "before_cursor_execute", count)
    try:
        preload_open_tasks(ctx, [t.task_id for t in tasks] + ["kasi-unknown"])
        assert statements == ["SELECT"]
        closed = [
            close_task(ctx, t.task_id, officer="A", outcome="answered", done_at=now.advance(seconds=60))
            for t in tasks
        ]
        assert statements == ["SELECT"], "closing a preloaded task reads nothing more"
        assert close_task(ctx, "kasi-unknown", officer="A", outcome="answered", done_at=now.at) is None
    finally:
        sa.event.remove(ctx.db, "before_cursor_execute", count)
    assert [c.inquiry_id for c in closed if c] == [t.inquiry_id for t in tasks]
    assert all(c and c.case_topic is Topic.informasi for c in closed)
    assert [card_row(ctx, t.inquiry_id, 3).duration_seconds for t in tasks] == [60, 120, 180]
