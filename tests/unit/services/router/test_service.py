"""The router's SOP rules, one handler call each, against the real database and a frozen clock."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import BaseModel

from services.editor_bridge.service import SPEC as EDITOR
from services.intake.service import SPEC as INTAKE
from services.pickup_bridge.service import SPEC as PICKUP
from services.router.service import SPEC as ROUTER
from services.router.service import close_delivery, preload_receipts
from shared.runtime import topology
from shared.runtime.storage import handovers, inquiries
from shared.runtime.worker import Outgoing, ServiceSpec
from shared.runtime.worker.harness import run_route
from shared.sop.context import Context, HandlerSetup
from shared.sop.contracts import (
    CaseHandover,
    CaseReplied,
    CaseResolved,
    CitizenNotice,
    Inquiry,
    InquiryRegistered,
    Outcome,
    Receipt,
    Reply,
    Task,
    TaskResult,
)
from tests.helpers import INQUIRY, FrozenTime, refused_by


def registered(ctx: Context, **fields: object) -> InquiryRegistered:
    """An inquiry through intake, as the router receives it."""
    inquiry = Inquiry.model_validate({**INQUIRY, "id": uuid.uuid4().hex, **fields})
    out, _acknowledgement = run_route(INTAKE, inquiry, ctx)
    assert isinstance(out.message, InquiryRegistered)
    return out.message


def only_task(outgoing: list[Outgoing]) -> Task:
    [out] = outgoing
    assert out.exchange == topology.TASKS
    assert isinstance(out.message, Task)
    return out.message


def result(
    task: Task, outcome: Outcome, text: str | None = "Syaratnya KK dan akta.", **fields: object
) -> TaskResult:
    return TaskResult.model_validate(
        {
            "task_id": task.task_id,
            "officer": "Petugas A",
            "outcome": outcome,
            "text": text,
            "at": "2026-11-30T02:00:00Z",
        }
        | fields
    )


def refusal(message: BaseModel, ctx: Context) -> str:
    return refused_by(ROUTER, message, ctx)


def card(ctx: Context, inquiry_id: str) -> list[sa.Row[Any]]:
    """The case's control card, in the order it was written."""
    query = sa.select(handovers).where(handovers.c.inquiry_id == inquiry_id).order_by(handovers.c.id)
    return list(ctx.db.execute(query))


def handover_of(ctx: Context, task: Task) -> sa.Row[Any]:
    return ctx.db.execute(sa.select(handovers).where(handovers.c.task_id == task.task_id)).one()


def case_of(ctx: Context, inquiry_id: str) -> sa.Row[Any]:
    return ctx.db.execute(sa.select(inquiries).where(inquiries.c.inquiry_id == inquiry_id)).one()


def keyed_task(outgoing: list[Outgoing]) -> tuple[str, Task]:
    """The one task published, with the routing key (the unit's queue) it goes out on."""
    return outgoing[0].routing_key, only_task(outgoing)


def first_task(ctx: Context, **fields: object) -> tuple[str, Task]:
    """A registered inquiry's first task, with the routing key it goes out on."""
    return keyed_task(run_route(ROUTER, registered(ctx, **fields), ctx))


def handover_message(outgoing: list[Outgoing]) -> tuple[str, CaseHandover]:
    [out] = outgoing
    assert out.exchange == topology.EVENTS
    assert isinstance(out.message, CaseHandover)
    return out.routing_key, out.message


def officer_text(reply: Reply) -> str:
    """The officer's text in a reply, after checking that the case's ticket closes it."""
    text, _, ticket = reply.text.rpartition("\n\nNomor tiket: ")
    assert reply.ticket is not None and ticket == reply.ticket
    return text


def replied(outgoing: list[Outgoing]) -> tuple[Reply, CaseReplied]:
    """The reply to the citizen and the event that it went out, in that order."""
    reply, event = outgoing
    assert (reply.exchange, event.exchange) == (topology.OUTBOUND, topology.EVENTS)
    assert isinstance(reply.message, Reply) and isinstance(event.message, CaseReplied)
    return reply.message, event.message


# --- path 3: service information --------------------------------------------------------------


def test_an_information_question_goes_to_the_admin_at_step_3(ctx: Context) -> None:
    key, task = first_task(ctx)
    assert (key, task.role.value, task.step, task.seksi, task.bidang) == ("admin", "admin", 3, None, None)
    assert (task.topic, task.service, task.summary) == ("informasi", "kia", INQUIRY["text"])


def test_the_admins_step_3_is_on_the_card_due_in_5_minutes(ctx: Context, now: FrozenTime) -> None:
    _, task = first_task(ctx)
    step1, step2, step3 = card(ctx, task.inquiry_id)
    assert (step1.step, step2.step) == (1, 2)
    assert (step3.step, step3.from_role, step3.to_role, step3.task_id) == (3, "admin", "admin", task.task_id)
    assert (step3.handed_at, step3.due_at, step3.standard_seconds) == (
        now.at,
        now.at + timedelta(minutes=5),
        300,
    )
    assert step3.done_at is None and task.due_at == step3.due_at


def test_an_answer_without_text_is_refused(ctx: Context) -> None:
    _, task = first_task(ctx)
    assert refusal(result(task, Outcome.answered, text="  "), ctx) == "missing_text"
    assert refusal(result(task, Outcome.done, text=None), ctx) == "missing_text"
    assert handover_of(ctx, task).done_at is None


def test_the_admins_answer_is_the_one_reply_and_closes_step_3(ctx: Context, now: FrozenTime) -> None:
    _, task = first_task(ctx)
    now.advance(minutes=2)
    outgoing = run_route(ROUTER, result(task, Outcome.answered), ctx)
    assert [o.routing_key for o in outgoing] == ["reply.instagram", topology.CASE_REPLIED]
    step3 = handover_of(ctx, task)
    assert step3.duration_seconds == 120 and not step3.breached


def test_the_reply_goes_to_the_citizens_account_with_the_officers_text(ctx: Context, now: FrozenTime) -> None:
    _, task = first_task(ctx)
    now.advance(minutes=1)
    reply, event = replied(run_route(ROUTER, result(task, Outcome.answered, text="Bawa KK asli."), ctx))
    assert (reply.channel, reply.account, reply.in_reply_to) == (
        "instagram",
        "@sitilestari",
        case_of(ctx, task.inquiry_id).upstream_id,
    )
    assert (officer_text(reply), reply.inquiry_id, reply.created_at) == (
        "Bawa KK asli.",
        task.inquiry_id,
        now.at,
    )
    assert reply.ticket == case_of(ctx, task.inquiry_id).ticket
    assert (event.reply_id, event.path, event.topic, event.replied_at) == (
        reply.reply_id,
        "3",
        "informasi",
        now.at,
    )


def test_the_answered_case_records_its_reply_and_path_3(ctx: Context, now: FrozenTime) -> None:
    _, task = first_task(ctx)
    reply, _ = replied(run_route(ROUTER, result(task, Outcome.answered, text="Bawa KK asli."), ctx))
    case = case_of(ctx, task.inquiry_id)
    assert (case.reply_id, case.reply_text, case.replied_at, case.path) == (
        reply.reply_id,
        "Bawa KK asli.",
        now.at,
        "3",
    )


def test_the_closed_step_carries_the_officer_outcome_and_times(ctx: Context, now: FrozenTime) -> None:
    _, task = first_task(ctx)
    done = now.advance(minutes=7)
    run_route(ROUTER, result(task, Outcome.answered, officer="AS"), ctx)
    step3 = handover_of(ctx, task)
    assert (step3.officer, step3.outcome, step3.taken_at, step3.done_at) == ("AS", "answered", done, done)
    assert step3.duration_seconds == 420 and step3.breached


def test_the_reply_opens_step_8_from_admin_to_the_citizen_due_in_2_minutes(
    ctx: Context, now: FrozenTime
) -> None:
    _, task = first_task(ctx)
    run_route(ROUTER, result(task, Outcome.answered), ctx)
    step8 = card(ctx, task.inquiry_id)[-1]
    assert (step8.step, step8.from_role, step8.to_role, step8.task_id) == (8, "admin", "pemohon", None)
    assert (step8.handed_at, step8.due_at, step8.done_at) == (now.at, now.at + timedelta(minutes=2), None)


# --- path 3 -> 4: a policy question ----------------------------------------------------------


def test_a_policy_question_goes_to_the_kasi_of_the_services_section_at_step_3(ctx: Context) -> None:
    key, task = first_task(ctx, topic="kebijakan", service="kk")
    assert (key, task.role.value, task.step) == ("kasi.pendataan_penduduk", "kasi", 3)
    assert (task.seksi, task.bidang) == ("pendataan_penduduk", "pdp")
    step3 = card(ctx, task.inquiry_id)[-1]
    assert (step3.from_role, step3.to_role, step3.seksi, step3.bidang) == (
        "admin",
        "kasi",
        "pendataan_penduduk",
        "pdp",
    )


def test_a_kasi_in_doubt_sends_it_to_the_kabid_of_that_bidang_at_step_4(
    ctx: Context, now: FrozenTime
) -> None:
    _, kasi = first_task(ctx, topic="kebijakan", service="akta_kematian")
    now.advance(minutes=4)
    key, kabid = keyed_task(run_route(ROUTER, result(kasi, Outcome.escalated, text=None), ctx))
    assert (key, kabid.role.value, kabid.step) == ("kabid.pcs", "kabid", 4)
    assert (kabid.seksi, kabid.bidang, kabid.assigned_at) == ("kelahiran_kematian", "pcs", now.at)
    step3, step4 = card(ctx, kasi.inquiry_id)[-2:]
    assert (step3.outcome, step3.duration_seconds, step3.breached) == ("escalated", 240, False)
    assert (step4.step, step4.from_role, step4.to_role, step4.bidang, step4.done_at) == (
        4,
        "kasi",
        "kabid",
        "pcs",
        None,
    )


def test_the_kabids_answer_is_the_reply_and_the_path_is_3_4(ctx: Context, now: FrozenTime) -> None:
    _, kasi = first_task(ctx, topic="kebijakan", service="kk")
    kabid = only_task(run_route(ROUTER, result(kasi, Outcome.escalated, text=None), ctx))
    now.advance(minutes=6)
    reply, event = replied(
        run_route(ROUTER, result(kabid, Outcome.answered, text="Boleh, dengan surat."), ctx)
    )
    assert (officer_text(reply), event.path) == ("Boleh, dengan surat.", "3-4")
    assert case_of(ctx, kasi.inquiry_id).path == "3-4"
    step4 = handover_of(ctx, kabid)
    assert (step4.duration_seconds, step4.breached) == (360, True)


def test_a_kasi_who_answers_sends_the_reply_on_path_3(ctx: Context) -> None:
    _, kasi = first_task(ctx, topic="kebijakan", service="kk")
    reply, event = replied(run_route(ROUTER, result(kasi, Outcome.answered, text="Tidak bisa."), ctx))
    assert (officer_text(reply), event.path) == ("Tidak bisa.", "3")


def test_the_kabid_has_no_one_to_escalate_to(ctx: Context) -> None:
    _, kasi = first_task(ctx, topic="kebijakan", service="kk")
    kabid = only_task(run_route(ROUTER, result(kasi, Outcome.escalated, text=None), ctx))
    assert refusal(result(kabid, Outcome.escalated, text=None), ctx) == "escalation_not_allowed"
    assert handover_of(ctx, kabid).done_at is None


# --- path 5: a data-entry error, through the editor bridge -----------------------------------


def test_a_data_error_is_handed_to_the_editor_bridge_at_step_5(ctx: Context, now: FrozenTime) -> None:
    event = registered(ctx, topic="kesalahan_data", service="kk")
    [out] = run_route(ROUTER, event, ctx)
    key, handover = handover_message([out])
    assert (key, out.message_id) == ("case.handover.editor", f"handover-editor-{event.inquiry_id}")
    assert (handover.inquiry_id, handover.role, handover.step, handover.handed_at) == (
        event.inquiry_id,
        "editor",
        5,
        now.at,
    )
    assert [row.step for row in card(ctx, event.inquiry_id)] == [1, 2]  # the bridge writes step 5


# --- path 6: a document not yet issued -------------------------------------------------------


def test_a_document_not_yet_issued_goes_to_the_kasi_of_the_services_section_at_step_6(ctx: Context) -> None:
    key, task = first_task(ctx, topic="belum_terbit", service="akta_kelahiran")
    assert (key, task.role.value, task.step) == ("kasi.kelahiran_kematian", "kasi", 6)
    assert (task.seksi, task.bidang, task.due_at - task.assigned_at) == (
        "kelahiran_kematian",
        "pcs",
        timedelta(minutes=5),
    )


def test_the_kasi_of_step_6_pushes_it_to_the_kabid_who_stays_at_step_6(ctx: Context) -> None:
    _, kasi = first_task(ctx, topic="belum_terbit", service="ktp_el")
    key, kabid = keyed_task(run_route(ROUTER, result(kasi, Outcome.escalated, text=None), ctx))
    assert (key, kabid.role.value, kabid.step, kabid.seksi) == ("kabid.pdp", "kabid", 6, "identitas_penduduk")
    _, event = replied(run_route(ROUTER, result(kabid, Outcome.done, text="Sudah ditandatangani."), ctx))
    assert event.path == "6" and case_of(ctx, kasi.inquiry_id).path == "6"


def test_a_question_without_service_goes_to_the_section_of_other_services(ctx: Context) -> None:
    key, task = first_task(ctx, topic="belum_terbit", service="lainnya")
    assert (key, task.seksi, task.bidang) == ("kasi.inovasi_pelayanan", "inovasi_pelayanan", "pdip")


# --- path 7: an issued document, through the pickup bridge -----------------------------------


def test_an_issued_document_is_handed_to_the_pickup_bridge_at_step_7(ctx: Context, now: FrozenTime) -> None:
    event = registered(ctx, topic="dokumen_terbit", service="ktp_el")
    [out] = run_route(ROUTER, event, ctx)
    key, handover = handover_message([out])
    assert (key, out.message_id) == ("case.handover.pickup", f"handover-pickup-{event.inquiry_id}")
    assert (handover.role, handover.step, handover.handed_at) == ("pickup", 7, now.at)


# --- bridged units' results and their resolution ---------------------------------------------


@pytest.mark.parametrize("role", ["editor", "pickup"])
def test_a_result_for_a_bridged_units_task_is_passed_on_unread(ctx: Context, role: str) -> None:
    message = TaskResult.model_validate(
        {
            "task_id": f"{role}-not-even-known",
            "officer": "E",
            "outcome": "escalated",
            "at": "2026-11-30T02:00:00Z",
        }
    )
    [out] = run_route(ROUTER, message, ctx)
    assert (out.exchange, out.routing_key, out.message_id) == (
        topology.EVENTS,
        f"case.result.{role}",
        f"result-{role}-not-even-known",
    )
    assert out.message == message


@pytest.mark.parametrize(
    ("topic", "bridge", "path"), [("kesalahan_data", EDITOR, "5"), ("dokumen_terbit", PICKUP, "7")]
)
def test_a_bridged_case_is_answered_with_the_units_text_on_its_path(
    ctx: Context, topic: str, bridge: ServiceSpec[Context], path: str
) -> None:
    _, handover = handover_message(run_route(ROUTER, registered(ctx, topic=topic), ctx))
    unit_task = only_task(run_route(bridge, handover, ctx))
    [passed_on] = run_route(ROUTER, result(unit_task, Outcome.done, text="Sudah beres, silakan ambil."), ctx)
    [resolved] = run_route(bridge, passed_on.message, ctx)
    assert isinstance(resolved.message, CaseResolved)
    reply, event = replied(run_route(ROUTER, resolved.message, ctx))
    assert (officer_text(reply), event.path, event.topic) == ("Sudah beres, silakan ambil.", path, topic)
    assert [row.step for row in card(ctx, handover.inquiry_id)] == [1, 2, int(path), 8]


# --- one reply per inquiry --------------------------------------------------------------------


def test_a_second_answer_for_an_answered_inquiry_sends_no_second_reply(ctx: Context, now: FrozenTime) -> None:
    _, task = first_task(ctx)
    first, _ = replied(run_route(ROUTER, result(task, Outcome.answered, text="Jawaban pertama."), ctx))
    now.advance(minutes=1)
    late = CaseResolved(inquiry_id=task.inquiry_id, task_id="editor-late", text="Jawaban kedua.", at=now.at)
    assert run_route(ROUTER, late, ctx) == []
    case = case_of(ctx, task.inquiry_id)
    assert (case.reply_id, case.reply_text) == (first.reply_id, "Jawaban pertama.")
    assert [row.step for row in card(ctx, task.inquiry_id)].count(8) == 1


# --- refusals ---------------------------------------------------------------------------------


def test_a_result_for_an_unknown_task_is_refused(ctx: Context) -> None:
    stranger = TaskResult.model_validate(
        {
            "task_id": "admin-nope",
            "officer": "A",
            "outcome": "answered",
            "text": "x",
            "at": "2026-11-30T02:00:00Z",
        }
    )
    assert refusal(stranger, ctx) == "unknown_task"


def test_a_result_for_a_task_already_closed_is_refused_and_changes_nothing(
    ctx: Context, now: FrozenTime
) -> None:
    _, task = first_task(ctx)
    run_route(ROUTER, result(task, Outcome.answered, officer="A"), ctx)
    before = handover_of(ctx, task)
    now.advance(minutes=10)
    assert refusal(result(task, Outcome.answered, officer="B", text="Lagi."), ctx) == "unknown_task"
    assert handover_of(ctx, task) == before
    assert case_of(ctx, task.inquiry_id).reply_text == "Syaratnya KK dan akta."


# --- unit users enforced: a result counts only from the unit holding the task -----------------


@pytest.fixture
def enforced(handler_setup: HandlerSetup) -> HandlerSetup:
    """Units have their own broker users, named `staff.<queue key>` (no prefix)."""
    return replace(handler_setup, unit_user_prefix="")


def test_a_result_from_another_unit_is_refused_and_the_task_stays_open(
    ctx: Context, enforced: HandlerSetup
) -> None:
    _, task = first_task(ctx)
    from_editor = enforced.context(ctx.db, "staff.editor")
    assert refusal(result(task, Outcome.answered), from_editor) == "wrong_sender"
    assert handover_of(ctx, task).done_at is None


def test_a_result_from_the_console_counts_for_any_unit(ctx: Context, enforced: HandlerSetup) -> None:
    # The console logs each officer in and lets them act only on their own units.
    _, task = first_task(ctx)
    from_console = enforced.context(ctx.db, topology.CONSOLE_USER)
    replied(run_route(ROUTER, result(task, Outcome.answered), from_console))
    assert handover_of(ctx, task).done_at is not None


def test_a_result_from_the_unit_holding_the_task_counts(ctx: Context, enforced: HandlerSetup) -> None:
    _, task = first_task(ctx)
    from_admin = enforced.context(ctx.db, "staff.admin")
    replied(run_route(ROUTER, result(task, Outcome.answered), from_admin))
    assert handover_of(ctx, task).officer == "Petugas A"


def test_a_kasis_task_counts_only_from_that_kasis_unit(ctx: Context, enforced: HandlerSetup) -> None:
    _, task = first_task(ctx, topic="kebijakan", service="kk")
    from_other_kasi = enforced.context(ctx.db, "staff.kasi.identitas_penduduk")
    assert refusal(result(task, Outcome.escalated, text=None), from_other_kasi) == "wrong_sender"
    from_own_kasi = enforced.context(ctx.db, "staff.kasi.pendataan_penduduk")
    assert (
        only_task(run_route(ROUTER, result(task, Outcome.escalated, text=None), from_own_kasi)).role
        == "kabid"
    )


def test_a_result_for_a_bridged_units_task_from_another_unit_is_refused(
    ctx: Context, enforced: HandlerSetup
) -> None:
    message = TaskResult.model_validate(
        {"task_id": "editor-1", "officer": "E", "outcome": "done", "text": "ok", "at": "2026-11-30T02:00:00Z"}
    )
    assert refusal(message, enforced.context(ctx.db, "staff.admin")) == "wrong_sender"
    [out] = run_route(ROUTER, message, enforced.context(ctx.db, "staff.editor"))
    assert out.routing_key == "case.result.editor"


# --- triage and classification ----------------------------------------------------------------


def test_an_inquiry_the_classifier_cannot_read_goes_to_the_admin_for_triage(ctx: Context) -> None:
    key, task = first_task(ctx, topic=None, service=None, text="Halo min, selamat pagi")
    assert (key, task.role.value, task.step, task.topic, task.service) == ("admin", "admin", 3, None, None)
    case = case_of(ctx, task.inquiry_id)
    assert (case.topic, case.service) == (None, None)


def test_the_admins_triage_routes_the_case_on_and_records_its_topic_and_service(ctx: Context) -> None:
    _, triage = first_task(ctx, topic=None, service=None, text="Halo min, selamat pagi")
    routed = result(triage, Outcome.escalated, text=None, topic="belum_terbit", service="akta_perkawinan")
    key, kasi = keyed_task(run_route(ROUTER, routed, ctx))
    assert (key, kasi.step, kasi.topic, kasi.service) == (
        "kasi.perkawinan_perceraian",
        6,
        "belum_terbit",
        "akta_perkawinan",
    )
    case = case_of(ctx, triage.inquiry_id)
    assert (case.topic, case.service) == ("belum_terbit", "akta_perkawinan")
    assert handover_of(ctx, triage).outcome == "escalated"


def test_a_topic_set_upstream_survives_triage_for_want_of_a_service(ctx: Context) -> None:
    _, triage = first_task(ctx, topic="belum_terbit", service=None, text="Halo min, selamat pagi")
    assert (triage.role.value, triage.step) == ("admin", 3)
    assert case_of(ctx, triage.inquiry_id).topic == "belum_terbit"
    routed = result(triage, Outcome.escalated, text=None, service="kk")
    key, kasi = keyed_task(run_route(ROUTER, routed, ctx))
    assert (key, kasi.step, kasi.topic) == ("kasi.pendataan_penduduk", 6, "belum_terbit")


def test_a_triaged_cases_path_starts_with_the_admins_step_3(ctx: Context) -> None:
    _, triage = first_task(ctx, topic=None, service=None, text="Halo min, selamat pagi")
    routed = result(triage, Outcome.escalated, text=None, topic="belum_terbit", service="kk")
    kasi = only_task(run_route(ROUTER, routed, ctx))
    _, event = replied(run_route(ROUTER, result(kasi, Outcome.done, text="Sudah terbit."), ctx))
    assert event.path == "3-6" and case_of(ctx, triage.inquiry_id).path == "3-6"


def test_the_admins_triage_to_a_data_error_hands_it_to_the_editor_bridge(ctx: Context) -> None:
    _, triage = first_task(ctx, topic=None, service=None, text="Halo min, selamat pagi")
    routed = result(triage, Outcome.escalated, text=None, topic="kesalahan_data", service="kk")
    key, handover = handover_message(run_route(ROUTER, routed, ctx))
    assert (key, handover.role, handover.step) == ("case.handover.editor", "editor", 5)


def test_the_admin_escalating_without_a_topic_asks_the_kasi_of_the_service(ctx: Context) -> None:
    _, task = first_task(ctx, service="akta_perceraian")
    key, kasi = keyed_task(run_route(ROUTER, result(task, Outcome.escalated, text=None), ctx))
    assert (key, kasi.step, kasi.role.value) == ("kasi.perkawinan_perceraian", 3, "kasi")


def test_a_clear_text_is_classified_and_routed_without_triage(ctx: Context) -> None:
    key, task = first_task(ctx, topic=None, service=None, text="min cara bikin akta kelahiran anak gmn?")
    assert (key, task.step, task.topic, task.service) == ("admin", 3, "informasi", "akta_kelahiran")
    case = case_of(ctx, task.inquiry_id)
    assert (case.topic, case.service) == ("informasi", "akta_kelahiran")


def test_a_clear_text_about_a_late_document_goes_straight_to_its_kasi(ctx: Context) -> None:
    key, task = first_task(ctx, topic=None, service=None, text="min ktp sy blm jadi udh sebulan")
    assert (key, task.step, task.topic, task.service) == (
        "kasi.identitas_penduduk",
        6,
        "belum_terbit",
        "ktp_el",
    )


# --- step 8: the delivery receipt -------------------------------------------------------------


def test_a_delivery_receipt_closes_step_8(ctx: Context, now: FrozenTime) -> None:
    _, task = first_task(ctx)
    reply, _ = replied(run_route(ROUTER, result(task, Outcome.answered), ctx))
    delivered = now.advance(minutes=3)
    [survey] = run_route(ROUTER, Receipt(reply_id=reply.reply_id, delivered_at=delivered), ctx)
    assert isinstance(survey.message, CitizenNotice)
    assert (survey.routing_key, survey.message.kind, survey.message.ticket) == (
        "notice.instagram",
        "survey",
        reply.ticket,
    )
    step8 = card(ctx, task.inquiry_id)[-1]
    assert (step8.step, step8.done_at, step8.duration_seconds, step8.breached) == (8, delivered, 180, True)
    assert case_of(ctx, task.inquiry_id).delivered_at == delivered


def test_a_batch_of_receipts_is_marked_delivered_in_one_statement_ahead_of_its_handlers(
    ctx: Context, now: FrozenTime
) -> None:
    replies = []
    for _ in range(3):
        _, task = first_task(ctx)
        replies.append(replied(run_route(ROUTER, result(task, Outcome.answered), ctx))[0])
    delivered = now.advance(minutes=1)
    receipts = [Receipt(reply_id=r.reply_id, delivered_at=delivered) for r in replies]
    unknown = Receipt(reply_id="no-such-reply", delivered_at=delivered)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.split()[0])

    sa.event.listen(ctx.db, "before_cursor_execute", count)
    try:
        preload_receipts([*receipts, unknown], ctx)
        assert statements == ["UPDATE"], "the three cases marked, and their steps 8 read, at once"
        surveys = [close_delivery(r, ctx) for r in receipts]
        assert statements == ["UPDATE"], "the handlers find their rows ahead"
    finally:
        sa.event.remove(ctx.db, "before_cursor_execute", count)
    assert [s.message.kind for [s] in surveys] == ["survey"] * 3
    ctx.writes.flush(ctx.db)
    for reply in replies:
        step8 = card(ctx, reply.inquiry_id)[-1]
        assert (step8.step, step8.done_at, step8.duration_seconds) == (8, delivered, 60)
    assert refusal(unknown, ctx) == "unknown_reply"


def test_a_receipt_for_an_unknown_reply_is_refused(ctx: Context, now: FrozenTime) -> None:
    assert refusal(Receipt(reply_id="no-such-reply", delivered_at=now.at), ctx) == "unknown_reply"


def test_a_second_receipt_for_the_same_reply_is_refused(ctx: Context, now: FrozenTime) -> None:
    _, task = first_task(ctx)
    reply, _ = replied(run_route(ROUTER, result(task, Outcome.answered), ctx))
    run_route(ROUTER, Receipt(reply_id=reply.reply_id, delivered_at=now.at), ctx)
    assert (
        refusal(Receipt(reply_id=reply.reply_id, delivered_at=now.advance(minutes=1)), ctx) == "unknown_reply"
    )
