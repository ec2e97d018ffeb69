"""The editor and pickup bridges (SOP steps 5 and 7): a handover becomes the unit's task on the card,
and the unit's result closes it and resolves the case. One handler call each, real database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

import pytest
import sqlalchemy as sa

from services.editor_bridge.service import SPEC as EDITOR
from services.intake.service import SPEC as INTAKE
from services.pickup_bridge.service import SPEC as PICKUP
from services.router.service import SPEC as ROUTER
from shared.runtime import topology
from shared.runtime.storage import handovers
from shared.runtime.worker import ServiceSpec
from shared.runtime.worker.harness import run_route
from shared.sop.context import Context
from shared.sop.contracts import CaseHandover, CaseResolved, Inquiry, Task, TaskResult
from tests.helpers import INQUIRY, FrozenTime, refused_by


@dataclass(frozen=True)
class Unit:
    """A bridged unit: its role, its bridge, the topic that leads to it, its step and standard."""

    role: str
    spec: ServiceSpec[Context]
    topic: str
    step: int
    minutes: int


UNITS = [Unit("editor", EDITOR, "kesalahan_data", 5, 5), Unit("pickup", PICKUP, "dokumen_terbit", 7, 3)]


@pytest.fixture(params=UNITS, ids=lambda unit: unit.role)
def unit(request: pytest.FixtureRequest) -> Unit:
    return cast(Unit, request.param)


def other(unit: Unit) -> Unit:
    return next(u for u in UNITS if u is not unit)


def handover(ctx: Context, unit: Unit) -> CaseHandover:
    """What the router hands the unit's bridge for a newly registered inquiry."""
    inquiry = Inquiry.model_validate({**INQUIRY, "id": uuid.uuid4().hex, "topic": unit.topic})
    registered, _acknowledgement = run_route(INTAKE, inquiry, ctx)
    [out] = run_route(ROUTER, registered.message, ctx)
    assert isinstance(out.message, CaseHandover)
    return out.message


def unit_task_of(ctx: Context, unit: Unit, case: CaseHandover) -> Task:
    [out] = run_route(unit.spec, case, ctx)
    assert isinstance(out.message, Task)
    return out.message


def unit_task(ctx: Context, unit: Unit) -> Task:
    """The unit's task for a new case."""
    return unit_task_of(ctx, unit, handover(ctx, unit))


def result(task_id: str, outcome: str = "done", text: str | None = "Dokumen siap di loket 2.") -> TaskResult:
    at = "2026-11-30T02:00:00Z"
    return TaskResult.model_validate(
        {"task_id": task_id, "officer": "Operator B", "outcome": outcome, "text": text, "at": at}
    )


def handover_row(ctx: Context, task_id: str) -> sa.Row[Any]:
    return ctx.db.execute(sa.select(handovers).where(handovers.c.task_id == task_id)).one()


def test_the_bridge_gives_its_unit_a_task_at_its_step(ctx: Context, unit: Unit) -> None:
    case = handover(ctx, unit)
    [out] = run_route(unit.spec, case, ctx)
    task = out.message
    assert isinstance(task, Task)
    assert (out.exchange, out.routing_key, out.message_id) == (topology.TASKS, unit.role, task.task_id)
    assert (task.kind, task.role, task.step, task.inquiry_id, task.topic) == (
        "task",
        unit.role,
        unit.step,
        case.inquiry_id,
        unit.topic,
    )
    assert task.task_id.startswith(f"{unit.role}-") and (task.seksi, task.bidang) == (None, None)
    assert (task.assigned_at, task.due_at) == (
        case.handed_at,
        case.handed_at + timedelta(minutes=unit.minutes),
    )


def test_the_handover_to_the_unit_is_on_the_card(ctx: Context, now: FrozenTime, unit: Unit) -> None:
    case = handover(ctx, unit)
    now.advance(minutes=1)  # the bridge takes it a minute later: the step still counts from the handover
    task = unit_task_of(ctx, unit, case)
    row = handover_row(ctx, task.task_id)
    assert (row.inquiry_id, row.step, row.from_role, row.to_role) == (
        case.inquiry_id,
        unit.step,
        "admin",
        unit.role,
    )
    assert (row.handed_at, row.standard_seconds, row.done_at, row.officer) == (
        case.handed_at,
        unit.minutes * 60,
        None,
        None,
    )


def test_the_bridge_passes_over_a_handover_for_the_other_unit(ctx: Context, unit: Unit) -> None:
    case = handover(ctx, other(unit))
    assert run_route(unit.spec, case, ctx) == []
    assert ctx.db.scalar(sa.select(sa.func.count()).where(handovers.c.inquiry_id == case.inquiry_id)) == 2


def test_the_bridge_passes_over_a_result_for_the_other_units_task(ctx: Context, unit: Unit) -> None:
    task = unit_task(ctx, other(unit))
    assert run_route(unit.spec, result(task.task_id), ctx) == []
    assert handover_row(ctx, task.task_id).done_at is None


def test_a_done_result_closes_the_step_and_resolves_the_case_with_its_text(
    ctx: Context, now: FrozenTime, unit: Unit
) -> None:
    task = unit_task(ctx, unit)
    now.advance(minutes=2)
    [out] = run_route(unit.spec, result(task.task_id), ctx)
    resolved = out.message
    assert isinstance(resolved, CaseResolved)
    assert (out.exchange, out.routing_key, out.message_id) == (
        topology.EVENTS,
        "case.resolved",
        f"resolved-{task.task_id}",
    )
    assert (resolved.inquiry_id, resolved.task_id, resolved.text, resolved.at) == (
        task.inquiry_id,
        task.task_id,
        "Dokumen siap di loket 2.",
        now.at,
    )
    row = handover_row(ctx, task.task_id)
    assert (row.officer, row.outcome, row.taken_at, row.done_at) == ("Operator B", "done", now.at, now.at)
    assert (row.duration_seconds, row.breached) == (120, False)


def test_a_unit_over_its_standard_breaches_its_step(ctx: Context, now: FrozenTime, unit: Unit) -> None:
    task = unit_task(ctx, unit)
    now.advance(minutes=unit.minutes, seconds=1)
    run_route(unit.spec, result(task.task_id), ctx)
    row = handover_row(ctx, task.task_id)
    assert (row.duration_seconds, row.breached) == (unit.minutes * 60 + 1, True)


def test_a_unit_cannot_escalate(ctx: Context, unit: Unit) -> None:
    task = unit_task(ctx, unit)
    assert (
        refused_by(unit.spec, result(task.task_id, "escalated", text=None), ctx) == "escalation_not_allowed"
    )
    assert refused_by(unit.spec, result(task.task_id, "escalated"), ctx) == "escalation_not_allowed"
    assert handover_row(ctx, task.task_id).done_at is None


def test_a_result_without_text_is_refused(ctx: Context, unit: Unit) -> None:
    task = unit_task(ctx, unit)
    assert refused_by(unit.spec, result(task.task_id, text=None), ctx) == "missing_text"
    assert refused_by(unit.spec, result(task.task_id, "answered", text=" \n"), ctx) == "missing_text"
    assert handover_row(ctx, task.task_id).done_at is None


def test_a_result_for_an_unknown_task_is_refused(ctx: Context, unit: Unit) -> None:
    assert refused_by(unit.spec, result(f"{unit.role}-no-such-task"), ctx) == "unknown_task"


def test_a_result_for_a_task_already_done_is_refused(ctx: Context, unit: Unit) -> None:
    task = unit_task(ctx, unit)
    run_route(unit.spec, result(task.task_id), ctx)
    assert refused_by(unit.spec, result(task.task_id, text="Lagi."), ctx) == "unknown_task"
