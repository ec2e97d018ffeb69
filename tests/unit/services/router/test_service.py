"""The router's SOP rules, one handler call each, against the real database and a frozen clock."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from services.intake.service import SPEC as INTAKE
from services.router.service import SPEC as ROUTER
from shared.runtime import topology
from shared.runtime.errors import Rejected
from shared.runtime.storage import handovers
from shared.runtime.worker import Outgoing
from shared.runtime.worker.harness import run_route
from shared.sop.context import Context
from shared.sop.contracts import Inquiry, InquiryRegistered, Outcome, Task, TaskResult
from tests.helpers import INQUIRY, FrozenTime


def registered(ctx: Context, **fields: object) -> InquiryRegistered:
    """An inquiry through intake, as the router receives it."""
    inquiry = Inquiry.model_validate({**INQUIRY, "id": uuid.uuid4().hex, **fields})
    [out] = run_route(INTAKE, inquiry, ctx)
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


def test_an_information_question_goes_to_the_admin_at_step_3(ctx: Context) -> None:
    task = only_task(run_route(ROUTER, registered(ctx), ctx))
    assert (task.role.value, task.step, task.routing_key_hint if False else task.role.value) == (
        "admin",
        3,
        "admin",
    )


def test_an_answer_without_text_is_refused(ctx: Context) -> None:
    task = only_task(run_route(ROUTER, registered(ctx), ctx))
    with pytest.raises(Rejected) as refused:
        run_route(ROUTER, result(task, Outcome.answered, text="  "), ctx)
    assert refused.value.reason == "missing_text"


def test_the_admins_answer_is_the_one_reply_and_closes_step_3(ctx: Context, now: FrozenTime) -> None:
    task = only_task(run_route(ROUTER, registered(ctx), ctx))
    now.advance(minutes=2)
    outgoing = run_route(ROUTER, result(task, Outcome.answered), ctx)
    assert [o.routing_key for o in outgoing] == ["reply.instagram", topology.CASE_REPLIED]
    step3 = ctx.db.execute(sa.select(handovers).where(handovers.c.task_id == task.task_id)).one()
    assert step3.duration_seconds == 120 and not step3.breached
