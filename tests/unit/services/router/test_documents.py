"""The document's real state routes a question naming a registration number (issued: the pickup
desk, step 7; not yet: the section head, step 6), and officers re-route a case between the two
steps when they find otherwise; each re-route is on the control card. One handler call each."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.pickup_bridge.service import SPEC as PICKUP
from services.router.service import SPEC as ROUTER
from shared.runtime import topology
from shared.runtime.storage import document_status, inquiries
from shared.runtime.worker import Outgoing
from shared.runtime.worker.harness import run_route
from shared.sop.context import Context, HandlerSetup
from shared.sop.contracts import (
    CaseHandover,
    CaseRerouted,
    CaseResolved,
    Outcome,
    Task,
    TaskResult,
    schema_name,
)
from shared.sop.documents import ExportRegistry
from tests.helpers import FrozenTime, refused_by
from tests.unit.services.router.test_service import (
    card,
    case_of,
    handover_message,
    keyed_task,
    registered,
    replied,
    result,
)

ISSUED, PENDING, UNKNOWN = "1471-2026-000123", "1471-2026-000124", "1471-2026-000999"
ASKED = "Min, KTP saya sudah jadi belum? nomor registrasi {}"


@pytest.fixture
def ctx(db: Connection, handler_setup: HandlerSetup, now: FrozenTime) -> Context:
    """The router's context with the office's export read through the test's transaction."""
    rows = [(ISSUED, "issued", "KTP-el"), (PENDING, "pending", "KTP-el")]
    db.execute(
        sa.insert(document_status),
        [{"number": n, "status": s, "document": d, "updated_at": now.at} for n, s, d in rows],
    )
    return replace(handler_setup, documents=ExportRegistry).context(db, None)


def routed(ctx: Context, text: str, **fields: object) -> list[Outgoing]:
    """A new inquiry with `text`, topic and service left to the router unless given."""
    return run_route(ROUTER, registered(ctx, text=text, **({"topic": None, "service": None} | fields)), ctx)


def pickup_task(ctx: Context, outgoing: list[Outgoing]) -> Task:
    """The router's handover to the pickup desk, taken on by its bridge: the desk's task."""
    _key, handover = handover_message(outgoing)
    [out] = run_route(PICKUP, handover, ctx)
    assert isinstance(out.message, Task)
    return out.message


def rows(ctx: Context, inquiry_id: str) -> list[tuple[Any, ...]]:
    """The card's steps 3-7 as (step, from, to, outcome, note)."""
    return [
        (r.step, r.from_role, r.to_role, r.outcome, r.note) for r in card(ctx, inquiry_id) if 3 <= r.step <= 7
    ]


def escalated(task: Task, **fields: object) -> TaskResult:
    return result(task, Outcome.escalated, text=None, **fields)


def on_through_bridge(ctx: Context, sent: TaskResult) -> list[Outgoing]:
    """A pickup desk's result: the router passes it on, the bridge handles it."""
    [passed] = run_route(ROUTER, sent, ctx)
    assert passed.routing_key == topology.result_key("pickup")
    return run_route(PICKUP, passed.message, ctx)


# --- routing by the document's state ------------------------------------------------------------


def test_an_issued_document_goes_to_the_pickup_desk_at_step_7(ctx: Context) -> None:
    key, handover = handover_message(routed(ctx, ASKED.format(ISSUED)))
    assert (key, handover.role, handover.step) == ("case.handover.pickup", "pickup", 7)
    assert (handover.from_role, handover.from_task_id) == (None, None)
    assert (case_of(ctx, handover.inquiry_id).topic, case_of(ctx, handover.inquiry_id).service) == (
        "dokumen_terbit",
        "ktp_el",
    )


def test_a_pending_document_goes_to_the_section_head_at_step_6(ctx: Context) -> None:
    key, task = keyed_task(routed(ctx, ASKED.format("1471.2026.000124")))
    assert (key, task.step, task.role, task.topic, task.service) == (
        "kasi.identitas_penduduk",
        6,
        "kasi",
        "belum_terbit",
        "ktp_el",
    )


def test_the_state_overrides_the_classifiers_reading_of_the_wording(ctx: Context) -> None:
    # "Sudah bisa diambil?" reads as an issued document; the export says it is not yet.
    text = f"Min, KK saya sudah bisa diambil? no reg {PENDING}"
    assert ctx.classifier.fill(text, None, None)[0] == "dokumen_terbit"
    key, task = keyed_task(routed(ctx, text))
    assert (key, task.step, task.topic) == ("kasi.pendataan_penduduk", 6, "belum_terbit")


def test_a_pending_document_of_an_unknown_service_goes_to_the_admins_triage_with_its_topic(
    ctx: Context,
) -> None:
    key, task = keyed_task(routed(ctx, f"nomor registrasi {PENDING} gmn min?"))
    assert (key, task.step, task.topic, task.service) == ("admin", 3, "belum_terbit", None)


def test_an_unknown_number_is_routed_as_the_text_says(ctx: Context) -> None:
    key, task = keyed_task(routed(ctx, ASKED.format(UNKNOWN)))
    assert (key, task.step, task.topic) == ("kasi.identitas_penduduk", 6, "belum_terbit")
    key, _handover = handover_message(routed(ctx, f"Min, KK saya sudah bisa diambil? no reg {UNKNOWN}"))
    assert key == "case.handover.pickup"


def test_a_topic_set_upstream_still_counts(ctx: Context) -> None:
    key, task = keyed_task(routed(ctx, ASKED.format(ISSUED), topic="belum_terbit"))
    assert (key, task.step, task.topic) == ("kasi.identitas_penduduk", 6, "belum_terbit")


def test_a_data_error_citing_a_number_is_not_routed_by_the_documents_state(ctx: Context) -> None:
    text = f"KTP saya salah nama padahal sudah terbit, mohon diperbaiki. no reg {ISSUED}"
    assert ctx.classifier.fill(text, None, None)[0] == "kesalahan_data"
    key, _handover = handover_message(routed(ctx, text))
    assert key == "case.handover.editor"


def test_without_a_registry_the_text_alone_decides(db: Connection, handler_setup: HandlerSetup) -> None:
    ctx = handler_setup.context(db, None)
    assert ctx.documents is None
    key, task = keyed_task(routed(ctx, ASKED.format(ISSUED)))
    assert (key, task.step) == ("kasi.identitas_penduduk", 6)


# --- re-routes by officers ------------------------------------------------------------------------


def test_a_kasi_finding_the_document_issued_hands_the_case_to_the_pickup_desk(
    ctx: Context, now: FrozenTime
) -> None:
    _key, kasi = keyed_task(routed(ctx, ASKED.format(UNKNOWN)))
    now.advance(minutes=2)
    key, handover = handover_message(run_route(ROUTER, escalated(kasi, topic="dokumen_terbit"), ctx))
    assert (key, handover.step, handover.from_role, handover.from_task_id) == (
        "case.handover.pickup",
        7,
        "kasi",
        kasi.task_id,
    )
    assert case_of(ctx, kasi.inquiry_id).topic == "dokumen_terbit"
    desk = pickup_task(ctx, [Outgoing(topology.EVENTS, key, handover, "h")])
    assert (desk.step, desk.topic) == (7, "dokumen_terbit")
    assert rows(ctx, kasi.inquiry_id) == [
        (6, "admin", "kasi", "escalated", "dialihkan: dokumen sudah terbit"),
        (7, "kasi", "pickup", None, None),
    ]


def test_a_kabid_holding_step_6_may_re_route_it_too(ctx: Context) -> None:
    _key, kasi = keyed_task(routed(ctx, ASKED.format(PENDING)))
    key, kabid = keyed_task(run_route(ROUTER, escalated(kasi), ctx))
    assert (key, kabid.step) == ("kabid.pdp", 6)
    key, handover = handover_message(run_route(ROUTER, escalated(kabid, topic="dokumen_terbit"), ctx))
    assert (key, handover.from_role) == ("case.handover.pickup", "kabid")
    assert rows(ctx, kasi.inquiry_id)[1] == (
        6,
        "kasi",
        "kabid",
        "escalated",
        "dialihkan: dokumen sudah terbit",
    )


def test_the_pickup_desk_sends_a_case_not_ready_back_to_the_kasi_and_it_may_come_again(
    ctx: Context, now: FrozenTime
) -> None:
    desk = pickup_task(ctx, routed(ctx, ASKED.format(ISSUED)))
    now.advance(minutes=1)
    [out] = on_through_bridge(ctx, escalated(desk, topic="belum_terbit"))
    assert isinstance(out.message, CaseRerouted)
    assert (out.exchange, out.routing_key, out.message_id) == (
        topology.EVENTS,
        "case.rerouted",
        f"rerouted-{desk.task_id}",
    )
    assert (out.message.step, out.message.role, out.message.topic) == (7, "pickup", "belum_terbit")
    key, kasi = keyed_task(run_route(ROUTER, out.message, ctx))
    assert (key, kasi.step, kasi.topic) == ("kasi.identitas_penduduk", 6, "belum_terbit")
    assert case_of(ctx, desk.inquiry_id).topic == "belum_terbit"

    # Signed after all: the kasi sends it to the desk again, a handover of its own.
    _key, again = handover_message(run_route(ROUTER, escalated(kasi, topic="dokumen_terbit"), ctx))
    # The bridge tells this handover from the case's first by the task it closed.
    key_of = PICKUP.routes[schema_name(CaseHandover)].key
    first = CaseHandover(inquiry_id=desk.inquiry_id, role="pickup", step=7, handed_at=again.handed_at)
    assert key_of(again, "m") == f"handover:{desk.inquiry_id}:7:{kasi.task_id}"
    assert key_of(first, "m") == f"handover:{desk.inquiry_id}:7"
    desk_again = pickup_task(ctx, [Outgoing(topology.EVENTS, "case.handover.pickup", again, "h")])
    now.advance(minutes=1)
    [done] = on_through_bridge(ctx, result(desk_again, Outcome.done, text="Silakan ambil di loket 2."))
    assert isinstance(done.message, CaseResolved)
    reply, event = replied(run_route(ROUTER, done.message, ctx))
    assert event.path == "7-6" and reply.inquiry_id == desk.inquiry_id
    assert rows(ctx, desk.inquiry_id) == [
        (7, "admin", "pickup", "escalated", "dialihkan: dokumen belum terbit"),
        (6, "pickup", "kasi", "escalated", "dialihkan: dokumen sudah terbit"),
        (7, "kasi", "pickup", "done", None),
    ]


def test_re_routes_the_sop_does_not_allow_are_refused(ctx: Context) -> None:
    desk = pickup_task(ctx, routed(ctx, ASKED.format(ISSUED)))
    [passed] = run_route(ROUTER, escalated(desk), ctx)
    assert refused_by(PICKUP, passed.message, ctx) == "escalation_not_allowed", "no topic: nowhere to go"
    [passed] = run_route(ROUTER, escalated(desk, topic="kebijakan"), ctx)
    assert refused_by(PICKUP, passed.message, ctx) == "escalation_not_allowed"
    assert card(ctx, desk.inquiry_id)[-1].done_at is None, "a refusal leaves the step open"


def test_a_case_of_no_known_service_is_not_sent_back_without_one(ctx: Context) -> None:
    desk = pickup_task(ctx, routed(ctx, ASKED.format(ISSUED)))
    # The pickup desk needs no service, so a case may reach it without one.
    ctx.db.execute(sa.update(inquiries).where(inquiries.c.inquiry_id == desk.inquiry_id).values(service=None))
    [passed] = run_route(ROUTER, escalated(desk, topic="belum_terbit"), ctx)
    assert refused_by(PICKUP, passed.message, ctx) == "escalation_not_allowed"
    [passed] = run_route(ROUTER, escalated(desk, topic="belum_terbit", service="kk"), ctx)
    [out] = run_route(PICKUP, passed.message, ctx)
    key, kasi = keyed_task(run_route(ROUTER, out.message, ctx))
    assert (key, kasi.step, kasi.service) == ("kasi.pendataan_penduduk", 6, "kk")
