"""A bridge hands a unit its cases and tracks them to done: the data-editing unit (step 5) and
the document-pickup desk (step 7) work the same way, so both bridge services are built here.

The unit's work happens outside BAMSOS (in SIAK); the bridge gives the unit a task on its queue,
closes the handover when the unit's result arrives, and tells the router the case is resolved.
"""

from __future__ import annotations

from shared.runtime import topology
from shared.runtime.errors import Rejected
from shared.runtime.worker import Outgoing, Route, ServiceSpec
from shared.sop.context import Context, pipeline_context
from shared.sop.contracts import CaseHandover, CaseResolved, Outcome, Role, TaskResult, schema_name
from shared.sop.controlcard import assign, close_task
from shared.sop.rules import Assignment


def bridge_spec(role: Role, metrics_port: int) -> ServiceSpec[Context]:
    """The service spec of the bridge to `role`'s unit (editor or pickup)."""

    def hand_over(event: CaseHandover, ctx: Context) -> list[Outgoing]:
        to = Assignment(step=event.step, role=role)
        return [assign(ctx, event.inquiry_id, to, from_role=Role.admin, handed_at=event.handed_at)]

    def track(result: TaskResult, ctx: Context) -> list[Outgoing]:
        if result.outcome is Outcome.escalated:
            raise Rejected("escalation_not_allowed", f"the {role.value} unit answers or finishes")
        if not (result.text and result.text.strip()):
            raise Rejected("missing_text", f"a '{result.outcome.value}' result must carry the answer")
        now = ctx.clock.now()
        closed = close_task(
            ctx, result.task_id, officer=result.officer, outcome=result.outcome.value, done_at=now
        )
        if closed is None:
            raise Rejected("unknown_task", "no open task has this task_id")
        resolved = CaseResolved(
            inquiry_id=closed.inquiry_id, task_id=result.task_id, text=result.text, at=now
        )
        message_id = f"resolved-{result.task_id}"
        return [Outgoing(topology.EVENTS, topology.CASE_RESOLVED, resolved, message_id)]

    return ServiceSpec(
        name=f"{role.value}_bridge",
        context=pipeline_context,
        metrics_port=metrics_port,
        publishes=(topology.EVENTS, topology.TASKS),
        routes={
            schema_name(CaseHandover): Route(
                CaseHandover,
                hand_over,
                key=lambda m, _id: f"handover:{m.inquiry_id}:{m.step}",
                consumes=((topology.EVENTS, topology.handover_key(role.value)),),
                wants=lambda m: m.role is role,
            ),
            schema_name(TaskResult): Route(
                TaskResult,
                track,
                key=lambda m, _id: f"result:{m.task_id}",
                consumes=((topology.EVENTS, topology.result_key(role.value)),),
                wants=lambda m: m.task_id.startswith(f"{role.value}-"),
            ),
        },
    )
