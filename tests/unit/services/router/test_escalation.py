"""Escalation on the clock, one scan at a time: a step past its due time is marked breached on the
control card and a notice goes one level up the ladder (admin -> kasi -> kabid -> kadis), once per
level, counted on the 24x7 calendar and on the office calendar (nights, weekends, holidays skipped)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import sqlalchemy as sa
from prometheus_client import Counter
from sqlalchemy.engine import Connection

from services.router.service import SPEC as ROUTER
from shared.runtime import topology
from shared.runtime.settings import Settings
from shared.runtime.storage import handovers
from shared.runtime.worker import Outgoing
from shared.runtime.worker.harness import run_route, run_tick
from shared.sop.clock import SopClock
from shared.sop.context import Context, HandlerSetup
from shared.sop.contracts import Outcome, Receipt, Reply, Role, Task
from shared.sop.office_calendar import OfficeCalendar, make_calendar
from tests.helpers import FrozenTime
from tests.unit.services.router.test_service import only_task, registered, result

WIB = ZoneInfo("Asia/Jakarta")
SECOND = timedelta(seconds=1)
# The default chart: KIA belongs to Seksi Identitas Penduduk, in Bidang Pendaftaran Penduduk (pdp).
KIA_KASI, KIA_KABID = "kasi.identitas_penduduk", "kabid.pdp"


def wib(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A wall-clock time in Pekanbaru (WIB), as the UTC instant the services use."""
    return datetime(year, month, day, hour, minute, tzinfo=WIB).astimezone(UTC)


def notices(outgoing: list[Outgoing]) -> list[tuple[str, Task]]:
    """The breach notices of a scan, each with the unit queue it goes to."""
    out = []
    for o in outgoing:
        assert o.exchange == topology.TASKS
        assert isinstance(o.message, Task) and o.message.kind == "notice"
        out.append((o.routing_key, o.message))
    return out


def step(db: Connection, inquiry_id: str, number: int) -> sa.Row[object]:
    return db.execute(
        sa.select(handovers).where(handovers.c.inquiry_id == inquiry_id, handovers.c.step == number)
    ).one()


def counted(counter: Counter, step: int, role: str) -> float:
    return sum(
        s.value
        for family in counter.collect()
        for s in family.samples
        if s.name.endswith("_total") and s.labels == {"step": str(step), "role": role}
    )


def admin_task(ctx: Context, now: FrozenTime) -> Task:
    """An information question, sent just now, handed to the admin at step 3."""
    return only_task(run_route(ROUTER, registered(ctx, sent_at=now.at), ctx))


def scan_at(ctx: Context, now: FrozenTime, moment: datetime) -> list[tuple[str, Task]]:
    now.at = moment
    return notices(run_tick(ROUTER, ctx))


def office_context(db: Connection, handler_setup: HandlerSetup, now: FrozenTime) -> Context:
    calendar = make_calendar(Settings(calendar="office"))
    assert isinstance(calendar, OfficeCalendar)
    setup = dataclasses.replace(handler_setup, clock=SopClock(calendar=calendar, now=now))
    return setup.context(db, None)


def test_nothing_is_sent_while_a_step_is_within_its_standard(ctx: Context, now: FrozenTime) -> None:
    task = admin_task(ctx, now)
    assert scan_at(ctx, now, task.due_at - SECOND) == []
    row = step(ctx.db, task.inquiry_id, 3)
    assert (row.breached, row.escalation_level, row.next_notice_at) == (None, 0, task.due_at)


def test_the_admins_late_step_3_is_breached_and_the_kasi_of_its_seksi_hears(
    ctx: Context, now: FrozenTime
) -> None:
    task = admin_task(ctx, now)
    [(queue, notice)] = scan_at(ctx, now, task.due_at + SECOND)
    assert queue == KIA_KASI
    assert (notice.role, notice.seksi, notice.bidang) == (Role.kasi, "identitas_penduduk", "pdp")
    assert (notice.inquiry_id, notice.step, notice.due_at) == (task.inquiry_id, 3, task.due_at)
    assert notice.task_id.startswith("notice-") and notice.task_id != task.task_id
    assert notice.summary.startswith("PERINGATAN ke-1: langkah 3 (Informasi pelayanan)")
    row = step(ctx.db, task.inquiry_id, 3)
    assert row.breached is True and row.done_at is None and row.escalation_level == 1


def test_the_notice_climbs_to_kabid_then_kadis_one_standard_apart_and_then_stops(
    ctx: Context, now: FrozenTime
) -> None:
    task = admin_task(ctx, now)
    standard = timedelta(minutes=5)
    first = task.due_at + SECOND
    assert [q for q, _ in scan_at(ctx, now, first)] == [KIA_KASI]
    assert scan_at(ctx, now, first + standard - SECOND) == []
    [(queue, notice)] = scan_at(ctx, now, first + standard)
    assert (queue, notice.role, notice.bidang, notice.seksi) == (KIA_KABID, Role.kabid, "pdp", None)
    assert scan_at(ctx, now, first + 2 * standard - SECOND) == []
    [(queue, notice)] = scan_at(ctx, now, first + 2 * standard)
    assert (queue, notice.role) == ("kadis", Role.kadis)
    assert notice.summary.startswith("PERINGATAN ke-3:")
    row = step(ctx.db, task.inquiry_id, 3)
    assert (row.escalation_level, row.next_notice_at) == (3, None), "kadis is the top of the ladder"
    assert scan_at(ctx, now, first + 10 * standard) == []
    assert step(ctx.db, task.inquiry_id, 3).breached is True, "the breach stays on the card"


def test_a_second_scan_at_the_same_instant_sends_nothing_more(ctx: Context, now: FrozenTime) -> None:
    task = admin_task(ctx, now)
    late = task.due_at + SECOND
    assert len(scan_at(ctx, now, late)) == 1
    assert scan_at(ctx, now, late) == []
    assert len(scan_at(ctx, now, late + timedelta(minutes=5))) == 1
    assert scan_at(ctx, now, late + timedelta(minutes=5)) == []


def test_the_breach_notices_metric_counts_each_notice_by_step_and_role_notified(
    ctx: Context, now: FrozenTime, handler_setup: HandlerSetup
) -> None:
    metric = handler_setup.metrics.notices
    task = admin_task(ctx, now)
    first = task.due_at + SECOND
    for n in range(3):
        scan_at(ctx, now, first + n * timedelta(minutes=5))
        scan_at(ctx, now, first + n * timedelta(minutes=5))  # a repeat scan counts nothing
    assert [counted(metric, 3, role) for role in ("kasi", "kabid", "kadis", "admin")] == [1, 1, 1, 0]


def test_an_answer_before_the_due_time_closes_the_step_and_nothing_is_sent_for_it(
    ctx: Context, now: FrozenTime
) -> None:
    task = admin_task(ctx, now)
    now.advance(minutes=4)
    run_route(ROUTER, result(task, Outcome.answered), ctx)
    late = scan_at(ctx, now, task.due_at + timedelta(hours=1))
    assert [n.step for _, n in late] == [8], "only the reply's undelivered step 8, never step 3"
    row = step(ctx.db, task.inquiry_id, 3)
    assert (row.breached, row.escalation_level, row.next_notice_at) == (False, 0, None)


def test_a_late_policy_question_held_by_the_kasi_is_noticed_to_its_kabid_then_kadis(
    ctx: Context, now: FrozenTime
) -> None:
    event = registered(ctx, sent_at=now.at, topic="kebijakan", service="akta_kematian")
    task = only_task(run_route(ROUTER, event, ctx))
    assert (task.role, task.seksi) == (Role.kasi, "kelahiran_kematian")
    first = task.due_at + SECOND
    assert [(q, n.role) for q, n in scan_at(ctx, now, first)] == [("kabid.pcs", Role.kabid)]
    assert [(q, n.role) for q, n in scan_at(ctx, now, first + timedelta(minutes=5))] == [
        ("kadis", Role.kadis)
    ]
    assert step(ctx.db, task.inquiry_id, 3).next_notice_at is None


def replied(ctx: Context, now: FrozenTime) -> Reply:
    """The admin answers an information question a minute after it came: the reply goes out and
    step 8 waits for its delivery receipt."""
    task = admin_task(ctx, now)
    now.advance(minutes=1)
    reply = run_route(ROUTER, result(task, Outcome.answered), ctx)[0].message
    assert isinstance(reply, Reply)
    return reply


def test_a_reply_without_a_delivery_receipt_breaches_step_8_after_2_minutes_and_the_admin_hears_first(
    ctx: Context, now: FrozenTime, handler_setup: HandlerSetup
) -> None:
    reply = replied(ctx, now)
    sent = now.at
    assert scan_at(ctx, now, sent + timedelta(minutes=2) - SECOND) == []
    [(queue, notice)] = scan_at(ctx, now, sent + timedelta(minutes=2) + SECOND)
    assert (queue, notice.role, notice.step) == ("admin", Role.admin, 8)
    assert notice.inquiry_id == reply.inquiry_id
    row = step(ctx.db, reply.inquiry_id, 8)
    assert (row.to_role, row.breached, row.escalation_level) == ("pemohon", True, 1)
    # Then on up the ladder: the kasi of the service's seksi, two minutes later.
    [(queue, _)] = scan_at(ctx, now, sent + timedelta(minutes=4) + SECOND)
    assert queue == KIA_KASI
    assert counted(handler_setup.metrics.notices, 8, "admin") == 1


def test_a_reply_delivered_in_time_is_never_noticed(ctx: Context, now: FrozenTime) -> None:
    reply = replied(ctx, now)
    delivered = now.advance(seconds=30)
    run_route(ROUTER, Receipt(reply_id=reply.reply_id, delivered_at=delivered), ctx)
    assert scan_at(ctx, now, delivered + timedelta(hours=1)) == []
    row = step(ctx.db, reply.inquiry_id, 8)
    assert (row.breached, row.duration_seconds, row.next_notice_at) == (False, 30, None)


def test_a_case_handed_over_on_friday_evening_is_not_late_over_the_weekend_and_is_due_monday_morning(
    db: Connection, handler_setup: HandlerSetup, now: FrozenTime
) -> None:
    friday_evening = now.at = wib(2026, 11, 27, 18, 0)  # after Friday's 16:30 closing
    ctx = office_context(db, handler_setup, now)
    task = admin_task(ctx, now)
    monday_due = wib(2026, 11, 30, 7, 35)  # Monday's 07:30 opening + the 5-minute standard
    assert task.due_at == monday_due == ctx.clock.calendar.add(friday_evening, 300)
    for moment in (
        wib(2026, 11, 27, 23, 59),
        wib(2026, 11, 28, 12, 0),  # Saturday
        wib(2026, 11, 29, 12, 0),  # Sunday
        wib(2026, 11, 30, 7, 30),  # Monday, the office opens
        monday_due - SECOND,
    ):
        assert scan_at(ctx, now, moment) == [], f"late at {moment.astimezone(WIB):%a %H:%M:%S}"
    assert [q for q, _ in scan_at(ctx, now, monday_due + SECOND)] == [KIA_KASI]
    # The next notice is a further standard of office time after this one.
    assert step(ctx.db, task.inquiry_id, 3).next_notice_at == monday_due + SECOND + timedelta(minutes=5)


def test_a_case_handed_over_the_working_day_before_a_public_holiday_skips_the_holiday(
    db: Connection, handler_setup: HandlerSetup, now: FrozenTime
) -> None:
    christmas = date(2026, 12, 25)  # a Friday
    assert christmas in holidays.country_holidays("ID", years=2026)
    ctx = office_context(db, handler_setup, now)
    calendar = ctx.clock.calendar
    assert isinstance(calendar, OfficeCalendar)
    assert calendar.is_working_day(date(2026, 12, 24)) and not calendar.is_working_day(christmas)
    thursday = now.at = wib(2026, 12, 24, 15, 58)  # two minutes before closing
    task = admin_task(ctx, now)
    # Two minutes on Thursday, none on Christmas or the weekend, three on Monday morning.
    assert task.due_at == calendar.add(thursday, 300) == wib(2026, 12, 28, 7, 33)
    for moment in (wib(2026, 12, 24, 16, 5), wib(2026, 12, 25, 10, 0), wib(2026, 12, 27, 10, 0)):
        assert scan_at(ctx, now, moment) == [], f"late at {moment.astimezone(WIB):%a %d %H:%M}"
    assert scan_at(ctx, now, task.due_at - SECOND) == []
    assert [q for q, _ in scan_at(ctx, now, task.due_at + SECOND)] == [KIA_KASI]
