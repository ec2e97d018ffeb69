"""A bridge hands a unit its cases and tracks them to done: the data-editing unit (step 5) and
the document-pickup desk (step 7) work the same way, so both bridge services are built here.

The unit's work happens outside BAMSOS (in SIAK); the bridge gives the unit a task on its queue,
closes the handover when the unit's result arrives, and tells the router the case is resolved, or
(the pickup desk finding the document not yet issued) that it goes back to its section head.
"""

from __future__ import annotations

from shared.runtime import topology
from shared.runtime.errors import Rejected
from shared.runtime.worker import Outgoing, Route, ServiceSpec
from shared.sop.context import Context, pipeline_context
from shared.sop.contracts import (
    CaseHandover,
    CaseRerouted,
    CaseResolved,
    Outcome,
    Role,
    TaskResult,
    schema_name,
)
from shared.sop.controlcard import assign, close_task, note_task, preload_cases, preload_open_tasks
from shared.sop.rules import REROUTE_NOTES, Assignment, next_assignment


def bridge_spec(role: Role, metrics_port: int) -> ServiceSpec[Context]:
    """The service spec of the bridge to `role`'s unit (editor or pickup)."""

    def hand_over(event: CaseHandover, ctx: Context) -> list[Outgoing]:
        to = Assignment(step=event.step, role=role)
        from_role = event.from_role or Role.admin  # a head re-routing the case, else the admin
        return [assign(ctx, event.inquiry_id, to, from_role=from_role, handed_at=event.handed_at)]

    def track(result: TaskResult, ctx: Context) -> list[Outgoing]:
        if result.outcome is Outcome.escalated:
            return send_back(result, ctx)
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

    def send_back(result: TaskResult, ctx: Context) -> list[Outgoing]:
        """The unit can't finish: the pickup desk finds the document not yet issued (topic
        `belum_terbit`) and sends the case back to its section head, through the router. The
        SOP's rules say who may (`next_assignment`); anything else is refused."""
        now = ctx.clock.now()
        closed = close_task(
            ctx, result.task_id, officer=result.officer, outcome=result.outcome.value, done_at=now
        )
        if closed is None:
            raise Rejected("unknown_task", "no open task has this task_id")
        topic = result.topic or closed.case_topic
        service = result.service or closed.case_service
        # Raises escalation_not_allowed (also for want of a service), which undoes the close.
        following = next_assignment(
            closed.assignment, result.outcome, topic=topic, service=service, chart=ctx.chart
        )
        note = REROUTE_NOTES.get((closed.step, following.step)) if following else None
        if note is None or topic is None:
            raise Rejected("escalation_not_allowed", f"the {role.value} unit answers or finishes")
        note_task(ctx, result.task_id, note)
        rerouted = CaseRerouted(
            inquiry_id=closed.inquiry_id,
            task_id=result.task_id,
            step=closed.step,
            role=role,
            topic=topic,
            service=result.service,
            at=now,
        )
        return [Outgoing(topology.EVENTS, topology.CASE_REROUTED, rerouted, f"rerouted-{result.task_id}")]

    return ServiceSpec(
        name=f"{role.value}_bridge",
        context=pipeline_context,
        metrics_port=metrics_port,
        publishes=(topology.EVENTS, topology.TASKS),
        routes={
            schema_name(CaseHandover): Route(
                CaseHandover,
                hand_over,
                # A re-routed case may come back: its handover is told apart by the task it closed.
                key=lambda m, _id: (
                    f"handover:{m.inquiry_id}:{m.step}" + (f":{m.from_task_id}" if m.from_task_id else "")
                ),
                consumes=((topology.EVENTS, topology.handover_key(role.value)),),
                wants=lambda m: m.role is role,
                preload=lambda events, ctx: preload_cases(ctx, [e.inquiry_id for e in events]),
            ),
            schema_name(TaskResult): Route(
                TaskResult,
                track,
                key=lambda m, _id: f"result:{m.task_id}",
                consumes=((topology.EVENTS, topology.result_key(role.value)),),
                wants=lambda m: m.task_id.startswith(f"{role.value}-"),
                preload=lambda results, ctx: preload_open_tasks(ctx, [r.task_id for r in results]),
            ),
        },
    )
