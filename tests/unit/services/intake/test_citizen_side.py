"""The citizen's side of intake, one handler call each against the real database and a frozen clock:
the ticket and its acknowledgement, status by chat (the asker's own case only), and the rating."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from services.intake.service import SPEC as INTAKE
from services.router.service import SPEC as ROUTER
from shared.runtime import topology
from shared.runtime.storage import handovers, inquiries, notices
from shared.runtime.worker import Outgoing
from shared.runtime.worker.harness import run_route
from shared.sop.context import CitizenSide, Context, HandlerSetup
from shared.sop.contracts import (
    CitizenNotice,
    Inquiry,
    InquiryRegistered,
    NoticeKind,
    Outcome,
    Receipt,
    Reply,
    Task,
    TaskResult,
    schema_name,
)
from shared.sop.dates import MONTHS
from shared.sop.notices import HOLDERS, NEXT
from shared.sop.orgchart import OrgChart
from shared.sop.rules import STEP_NAMES
from tests.helpers import INQUIRY, FrozenTime

ACCOUNT = str(INQUIRY["account"])
ADMIN, SECTION_HEAD, DIVISION_HEAD = "Budi Santoso", "Rina Wulandari", "Hendra Gunawan"
INDONESIA_WEST = ZoneInfo("Asia/Jakarta")
OFFICERS_CLOCK = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # what a result says; the router keeps its own


# --- helpers ------------------------------------------------------------------------------------


def inquiry(**fields: object) -> Inquiry:
    return Inquiry.model_validate({**INQUIRY, "id": uuid.uuid4().hex, **fields})


def send(ctx: Context, text: str, **fields: object) -> list[Outgoing]:
    """A citizen's chat message through intake."""
    return run_route(INTAKE, inquiry(text=text, **fields), ctx)


def only_notice(outgoing: list[Outgoing]) -> CitizenNotice:
    [out] = outgoing
    assert isinstance(out.message, CitizenNotice)
    assert (out.exchange, out.routing_key) == (topology.OUTBOUND, f"notice.{out.message.channel.value}")
    return out.message


def register(ctx: Context, **fields: object) -> tuple[InquiryRegistered, CitizenNotice]:
    """A new question: its registration and its acknowledgement."""
    event, acknowledgement = run_route(INTAKE, inquiry(**fields), ctx)
    assert isinstance(event.message, InquiryRegistered)
    assert isinstance(acknowledgement.message, CitizenNotice)
    return event.message, acknowledgement.message


def task_of(outgoing: list[Outgoing]) -> Task:
    [out] = outgoing
    assert isinstance(out.message, Task)
    return out.message


def result(task: Task, outcome: Outcome, officer: str, text: str | None = None) -> TaskResult:
    return TaskResult(task_id=task.task_id, officer=officer, outcome=outcome, text=text, at=OFFICERS_CLOCK)


def with_the_division_head(ctx: Context, now: FrozenTime) -> tuple[InquiryRegistered, Task]:
    """A case the admin and the section head escalated, now taken by the head of division (step 4)."""
    event, _ = register(ctx)
    admin_task = task_of(run_route(ROUTER, event, ctx))
    now.advance(minutes=2)
    section_task = task_of(run_route(ROUTER, result(admin_task, Outcome.escalated, ADMIN), ctx))
    now.advance(minutes=3)
    division_task = task_of(run_route(ROUTER, result(section_task, Outcome.escalated, SECTION_HEAD), ctx))
    # The head of division takes it, as `bamsos staff` (shared/staff/actions.take_next) records it.
    ctx.db.execute(
        sa.update(handovers)
        .where(handovers.c.task_id == division_task.task_id)
        .values(taken_at=now.at, officer=DIVISION_HEAD)
    )
    now.advance(minutes=1)
    return event, division_task


def answered(ctx: Context, now: FrozenTime, **fields: object) -> tuple[InquiryRegistered, Reply]:
    """A case the admin answered."""
    event, _ = register(ctx, **fields)
    admin_task = task_of(run_route(ROUTER, event, ctx))
    now.advance(minutes=2)
    reply = run_route(ROUTER, result(admin_task, Outcome.answered, ADMIN, "Syarat KIA: akta dan KK."), ctx)[0]
    assert isinstance(reply.message, Reply)
    return event, reply.message


def surveyed(ctx: Context, now: FrozenTime, **fields: object) -> tuple[InquiryRegistered, CitizenNotice]:
    """A case answered, its answer delivered, and the survey sent."""
    event, reply = answered(ctx, now, **fields)
    now.advance(minutes=1)
    survey = only_notice(run_route(ROUTER, Receipt(reply_id=reply.reply_id, delivered_at=now.at), ctx))
    assert survey.kind is NoticeKind.survey
    return event, survey


def case_of(ctx: Context, inquiry_id: str) -> sa.Row[Any]:
    return ctx.db.execute(sa.select(inquiries).where(inquiries.c.inquiry_id == inquiry_id)).one()


def count(ctx: Context, table: sa.Table) -> int:
    return int(ctx.db.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


def open_step(ctx: Context, inquiry_id: str) -> sa.Row[Any]:
    return ctx.db.execute(
        sa.select(handovers).where(handovers.c.inquiry_id == inquiry_id, handovers.c.done_at.is_(None))
    ).one()


def wib(moment: datetime) -> str:
    """A time as citizens read it: "30 November 2026 pukul 09.00 WIB"."""
    local = moment.astimezone(INDONESIA_WEST)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year} pukul {local:%H.%M} WIB"


def status_requests(setup: HandlerSetup, outcome: str) -> float:
    return float(setup.metrics.status_requests.labels(outcome)._value.get())


def words_of_the_case(ctx: Context, chart: OrgChart, inquiry_id: str) -> list[str]:
    """Everything a status text could tell about a case: its steps, units, times and question."""
    rows = ctx.db.execute(sa.select(handovers).where(handovers.c.inquiry_id == inquiry_id)).all()
    times = [wib(t) for row in rows for t in (row.handed_at, row.due_at)]
    units = [
        *HOLDERS.values(),
        *(s.nama for s in chart.seksi.values()),
        *(b.nama for b in chart.bidang.values()),
    ]
    return [*STEP_NAMES.values(), *units, *times, str(INQUIRY["text"]), str(INQUIRY["name"])]


# --- the ticket and the acknowledgement ---------------------------------------------------------


def test_a_new_question_gets_a_ticket_of_the_office_day(ctx: Context) -> None:
    event, _ = register(ctx)
    assert event.ticket == "BMS-261130-0001"
    assert case_of(ctx, event.inquiry_id).ticket == event.ticket
    assert register(ctx)[0].ticket == "BMS-261130-0002"


def test_a_question_after_midnight_wib_gets_the_next_days_ticket(ctx: Context, now: FrozenTime) -> None:
    now.advance(hours=15)  # 00:00 WIB on Tuesday, still Monday in UTC
    assert register(ctx)[0].ticket == "BMS-261201-0001"


def test_the_registration_is_acknowledged_once_with_its_ticket(ctx: Context, now: FrozenTime) -> None:
    outgoing = send(ctx, "Min, syarat bikin KIA apa aja?")
    assert [o.routing_key for o in outgoing] == [topology.REGISTERED, "notice.instagram"]
    event, notice = (o.message for o in outgoing)
    assert isinstance(event, InquiryRegistered) and isinstance(notice, CitizenNotice)
    assert (notice.kind, notice.inquiry_id, notice.ticket) == (
        NoticeKind.acknowledged,
        event.inquiry_id,
        event.ticket,
    )
    assert (notice.channel, notice.account, notice.created_at) == ("instagram", ACCOUNT, now.at)
    assert f"nomor tiket {event.ticket}" in notice.text and f"cek status {event.ticket}" in notice.text
    assert (outgoing[1].exchange, outgoing[1].message_id) == (topology.OUTBOUND, f"notice-{notice.notice_id}")


def test_the_acknowledgement_goes_back_on_the_channel_the_question_came_from(ctx: Context) -> None:
    outgoing = send(ctx, "Syarat KK apa?", channel="whatsapp", account="6281234567890")
    notice = outgoing[1].message
    assert outgoing[1].routing_key == "notice.whatsapp"
    assert isinstance(notice, CitizenNotice) and (notice.channel, notice.account) == (
        "whatsapp",
        "6281234567890",
    )


def test_with_acknowledgements_off_a_registration_sends_none_but_still_has_a_ticket(
    db: sa.Connection, handler_setup: HandlerSetup
) -> None:
    quiet = replace(handler_setup, citizen=CitizenSide(acknowledge=False)).context(db, None)
    [out] = send(quiet, "Syarat KK apa?")
    assert isinstance(out.message, InquiryRegistered) and out.message.ticket == "BMS-261130-0001"
    assert count(quiet, notices) == 0


def test_the_acknowledgement_is_on_the_card_as_kind_and_time_without_its_text(
    ctx: Context, now: FrozenTime
) -> None:
    event, notice = register(ctx)
    row = ctx.db.execute(sa.select(notices)).one()
    assert (row.notice_id, row.inquiry_id, row.kind, row.channel, row.created_at) == (
        notice.notice_id,
        event.inquiry_id,
        "acknowledged",
        "instagram",
        now.at,
    )
    assert "text" not in notices.c


# --- status by chat -------------------------------------------------------------------------------


def test_a_status_request_opens_no_case_and_makes_no_task(ctx: Context, now: FrozenTime) -> None:
    event, _ = register(ctx)
    run_route(ROUTER, event, ctx)
    before = (count(ctx, inquiries), count(ctx, handovers))
    notice = only_notice(send(ctx, f"cek status {event.ticket}"))
    assert notice.kind is NoticeKind.status
    assert (count(ctx, inquiries), count(ctx, handovers)) == before
    assert ctx.db.execute(sa.select(handovers.c.done_at).where(handovers.c.step == 3)).scalar_one() is None


def test_a_status_request_says_who_holds_the_case_since_when_and_what_comes_next(
    ctx: Context, now: FrozenTime
) -> None:
    event, _ = register(ctx)
    run_route(ROUTER, event, ctx)
    step3 = open_step(ctx, event.inquiry_id)
    now.advance(minutes=1)
    notice = only_notice(send(ctx, f"Cek Status {str(event.ticket).lower()}?"))
    assert (notice.inquiry_id, notice.ticket, notice.account) == (event.inquiry_id, event.ticket, ACCOUNT)
    assert notice.text == (
        f"Tiket {event.ticket}: pertanyaan Bapak/Ibu sedang ditangani oleh {HOLDERS['admin']} sejak "
        f"{wib(step3.handed_at)}. {NEXT['admin']}"
    )


def test_the_status_shows_no_internal_step_name_nor_standard_even_past_it(
    ctx: Context, now: FrozenTime
) -> None:
    event, _ = register(ctx)
    run_route(ROUTER, event, ctx)
    step3 = open_step(ctx, event.inquiry_id)
    now.advance(minutes=30)  # far past the step's 5-minute standard
    notice = only_notice(send(ctx, f"status {event.ticket}"))
    assert not [name for name in STEP_NAMES.values() if name in notice.text]
    assert wib(step3.due_at) not in notice.text and "Batas waktu" not in notice.text


def test_the_status_names_the_unit_holding_the_case_never_an_officer(
    ctx: Context, now: FrozenTime, chart: OrgChart
) -> None:
    event, _ = with_the_division_head(ctx, now)
    step4 = open_step(ctx, event.inquiry_id)
    assert (step4.step, step4.officer) == (4, DIVISION_HEAD)
    notice = only_notice(send(ctx, f"status {event.ticket}"))
    assert f"ditangani oleh {chart.bidang[step4.bidang].nama} sejak {wib(step4.handed_at)}" in notice.text
    assert NEXT["kabid"] in notice.text
    for officer in (ADMIN, SECTION_HEAD, DIVISION_HEAD):
        assert officer not in notice.text
        assert officer.split()[0] not in notice.text


def test_the_status_of_an_answered_case_says_it_was_answered_and_when(ctx: Context, now: FrozenTime) -> None:
    event, reply = answered(ctx, now)
    now.advance(hours=1)
    notice = only_notice(send(ctx, f"cek tiket {event.ticket} min"))
    assert notice.kind is NoticeKind.status
    assert f"sudah kami jawab pada {wib(reply.created_at)}" in notice.text
    assert not any(step in notice.text for step in STEP_NAMES.values())


def test_a_status_request_between_two_steps_names_the_last_holder(ctx: Context) -> None:
    event, _ = register(ctx)  # registered, not yet routed: steps 1 and 2 are done, nothing is open
    notice = only_notice(send(ctx, str(event.ticket)))
    assert f"ditangani oleh {HOLDERS['admin']}" in notice.text


@pytest.mark.parametrize(
    "asker",
    [
        {"account": "@orang_lain"},
        {"channel": "whatsapp"},
        {"channel": "whatsapp", "account": "6281234567890"},
    ],
    ids=["another account", "another channel", "another person elsewhere"],
)
def test_a_status_request_for_someone_elses_case_tells_nothing_about_it(
    ctx: Context, now: FrozenTime, chart: OrgChart, asker: dict[str, str]
) -> None:
    event, _ = with_the_division_head(ctx, now)
    notice = only_notice(send(ctx, f"cek status {event.ticket}", **asker))
    assert (notice.kind, notice.inquiry_id, notice.ticket) == (NoticeKind.unknown_ticket, None, None)
    assert notice.text == ctx.citizen.templates.render(NoticeKind.unknown_ticket, ticket=event.ticket)
    leaked = [word for word in words_of_the_case(ctx, chart, event.inquiry_id) if word in notice.text]
    assert leaked == []
    assert (notice.channel, notice.account) == (
        asker.get("channel", "instagram"),
        asker.get("account", ACCOUNT),
    )


def test_a_status_request_for_a_ticket_that_does_not_exist_is_unknown(ctx: Context) -> None:
    notice = only_notice(send(ctx, "cek status BMS-261130-0999"))
    assert (notice.kind, notice.inquiry_id, notice.ticket) == (NoticeKind.unknown_ticket, None, None)
    assert "BMS-261130-0999 tidak kami temukan" in notice.text
    assert count(ctx, inquiries) == 0
    row = ctx.db.execute(sa.select(notices)).one()
    assert (row.kind, row.inquiry_id) == ("unknown_ticket", None)


def test_status_requests_are_counted_by_outcome_after_the_commit(
    ctx: Context, handler_setup: HandlerSetup
) -> None:
    event, _ = register(ctx)
    route = INTAKE.routes[schema_name(Inquiry)]
    route.handle(inquiry(text=f"cek status {event.ticket}"), ctx)
    route.handle(inquiry(text=f"cek status {event.ticket}", account="@orang_lain"), ctx)
    route.handle(inquiry(text="cek status BMS-261130-0999"), ctx)
    assert (status_requests(handler_setup, "answered"), status_requests(handler_setup, "unknown_ticket")) == (
        0,
        0,
    )
    for action in ctx.after_commit:  # the commit
        action()
    assert (status_requests(handler_setup, "answered"), status_requests(handler_setup, "unknown_ticket")) == (
        1,
        2,
    )


def test_a_question_that_mentions_a_ticket_is_a_new_question(ctx: Context) -> None:
    event, _ = register(ctx)
    question = (
        f"Min, pertanyaan saya dengan tiket {event.ticket} sudah dijawab, terima kasih. Sekarang saya mau "
        "tanya lagi, syarat membuat akta kelahiran untuk anak kedua apa saja ya?"
    )
    outgoing = send(ctx, question)
    assert [o.routing_key for o in outgoing] == [topology.REGISTERED, "notice.instagram"]
    assert count(ctx, inquiries) == 2


# --- the survey's rating --------------------------------------------------------------------------


def test_a_rating_within_the_window_is_recorded_and_thanked(ctx: Context, now: FrozenTime) -> None:
    event, survey = surveyed(ctx, now)
    assert survey.ticket == event.ticket and case_of(ctx, event.inquiry_id).survey_sent_at == now.at
    rated_at = now.advance(hours=3)
    thanks = only_notice(send(ctx, "4"))
    assert (thanks.kind, thanks.inquiry_id, thanks.ticket) == (
        NoticeKind.thanks,
        event.inquiry_id,
        event.ticket,
    )
    assert "4 dari 4, sangat baik" in thanks.text and str(event.ticket) in thanks.text
    case = case_of(ctx, event.inquiry_id)
    assert (case.rating, case.rated_at) == (4, rated_at)
    assert count(ctx, inquiries) == 1


@pytest.mark.parametrize(("text", "score"), [("⭐⭐⭐⭐", 4), ("kurang puas", 2), ("3 dari 4", 3)])
def test_a_rating_in_stars_or_words_is_recorded_as_its_score(
    ctx: Context, now: FrozenTime, text: str, score: int
) -> None:
    event, _ = surveyed(ctx, now)
    assert only_notice(send(ctx, text)).kind is NoticeKind.thanks
    assert case_of(ctx, event.inquiry_id).rating == score


def test_a_second_rating_is_ignored(ctx: Context, now: FrozenTime) -> None:
    event, _ = surveyed(ctx, now)
    send(ctx, "4")
    now.advance(minutes=5)
    assert send(ctx, "3") == []
    assert case_of(ctx, event.inquiry_id).rating == 4
    assert count(ctx, inquiries) == 1
    assert [r.kind for r in ctx.db.execute(sa.select(notices.c.kind).order_by(notices.c.created_at))] == [
        "acknowledged",
        "survey",
        "thanks",
    ]


def test_ratings_are_counted_after_the_commit(
    ctx: Context, now: FrozenTime, handler_setup: HandlerSetup
) -> None:
    surveyed(ctx, now)
    route = INTAKE.routes[schema_name(Inquiry)]
    route.handle(inquiry(text="4"), ctx)
    ratings, points = handler_setup.metrics.ratings, handler_setup.metrics.rating_points
    assert (ratings.labels("instagram")._value.get(), points.labels("instagram")._value.get()) == (0, 0)
    for action in ctx.after_commit:  # the commit
        action()
    assert (ratings.labels("instagram")._value.get(), points.labels("instagram")._value.get()) == (1, 4)


def test_a_rating_after_the_window_is_a_new_question_with_its_own_ticket(
    ctx: Context, now: FrozenTime
) -> None:
    event, _ = surveyed(ctx, now)
    now.advance(hours=24, seconds=1)
    outgoing = send(ctx, "4")
    assert [o.routing_key for o in outgoing] == [topology.REGISTERED, "notice.instagram"]
    new_case = outgoing[0].message
    assert isinstance(new_case, InquiryRegistered)
    assert new_case.ticket is not None and new_case.ticket != event.ticket
    assert case_of(ctx, event.inquiry_id).rating is None
    assert case_of(ctx, new_case.inquiry_id).text == "4"


def test_a_shorter_window_set_by_the_office_is_kept(
    db: sa.Connection, handler_setup: HandlerSetup, now: FrozenTime
) -> None:
    ctx = replace(handler_setup, citizen=CitizenSide(survey_hours=0.5)).context(db, None)
    first, _ = surveyed(ctx, now)
    now.advance(minutes=29)
    assert only_notice(send(ctx, "4")).kind is NoticeKind.thanks
    second, _ = surveyed(ctx, now)
    now.advance(minutes=31)
    assert isinstance(send(ctx, "4")[0].message, InquiryRegistered)
    assert (case_of(ctx, first.inquiry_id).rating, case_of(ctx, second.inquiry_id).rating) == (4, None)


def test_a_rating_from_another_account_is_a_new_question(ctx: Context, now: FrozenTime) -> None:
    event, _ = surveyed(ctx, now)
    outgoing = send(ctx, "4", account="@orang_lain")
    assert isinstance(outgoing[0].message, InquiryRegistered)
    assert case_of(ctx, event.inquiry_id).rating is None


def test_a_rating_before_any_survey_is_a_new_question(ctx: Context, now: FrozenTime) -> None:
    event, _ = answered(ctx, now)  # answered, but its delivery not yet confirmed: no survey
    outgoing = send(ctx, "5")
    assert isinstance(outgoing[0].message, InquiryRegistered)
    assert case_of(ctx, event.inquiry_id).rating is None


def test_a_rating_goes_to_the_accounts_latest_surveyed_case(ctx: Context, now: FrozenTime) -> None:
    older, _ = surveyed(ctx, now)
    now.advance(minutes=10)
    newer, _ = surveyed(ctx, now)
    thanks = only_notice(send(ctx, "3"))
    assert thanks.ticket == newer.ticket
    assert (case_of(ctx, older.inquiry_id).rating, case_of(ctx, newer.inquiry_id).rating) == (None, 3)


# --- the notices on the control card ---------------------------------------------------------------


def test_each_case_has_its_notices_on_the_card_by_kind_and_time(ctx: Context, now: FrozenTime) -> None:
    first, _ = register(ctx)
    acknowledged_at = now.at
    other, _ = register(ctx, account="@orang_lain")
    status_at = now.advance(minutes=1)
    send(ctx, f"cek status {first.ticket}")
    send(ctx, f"cek status {first.ticket}", account="@orang_lain")  # not theirs: no case's notice
    admin_task = task_of(run_route(ROUTER, first, ctx))
    reply = run_route(ROUTER, result(admin_task, Outcome.answered, ADMIN, "Bawa KK asli."), ctx)[0].message
    assert isinstance(reply, Reply)
    survey_at = now.advance(minutes=2)
    run_route(ROUTER, Receipt(reply_id=reply.reply_id, delivered_at=now.at), ctx)
    thanks_at = now.advance(minutes=3)
    send(ctx, "4")

    def card(inquiry_id: str | None) -> list[tuple[str, datetime]]:
        query = sa.select(notices.c.kind, notices.c.created_at).where(
            notices.c.inquiry_id.is_(None) if inquiry_id is None else notices.c.inquiry_id == inquiry_id
        )
        return [(r.kind, r.created_at) for r in ctx.db.execute(query.order_by(notices.c.created_at))]

    assert card(first.inquiry_id) == [
        ("acknowledged", acknowledged_at),
        ("status", status_at),
        ("survey", survey_at),
        ("thanks", thanks_at),
    ]
    assert card(other.inquiry_id) == [("acknowledged", acknowledged_at)]
    assert card(None) == [("unknown_ticket", status_at)]
