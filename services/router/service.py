"""Router: applies the SOP's escalation rules (steps 3-7) and sends the one reply (step 8).

Registered inquiries go to their first unit (`sop.first_assignment`); an officer's result closes
their handover and either hands the case on (`sop.next_assignment`) or answers the citizen. Cases for
the data-editing unit and the pickup desk go through their bridges: the router hands them over
(`case.handover.<role>`), passes their units' results on (`case.result.<role>`: only the router
takes `task.result`), and replies when the bridge reports `case.resolved`, or hands the case to its
section head when the pickup desk reports `case.rerouted` (the document is not issued after all).
A question naming a registration number is routed by the document's state (shared/sop/documents.py).
A delivery receipt closes step 8.
"""

from __future__ import annotations

import uuid

from services.router.escalation import escalate_overdue
from shared.runtime import topology
from shared.runtime.errors import Rejected
from shared.runtime.worker import Outgoing, Route, ServiceSpec
from shared.sop import cases
from shared.sop.citizen import survey_choices
from shared.sop.classify import SERVICE_ROUTED_TOPICS
from shared.sop.context import Context, pipeline_context
from shared.sop.contracts import (
    ANSWER_LIMIT,
    CaseHandover,
    CaseReplied,
    CaseRerouted,
    CaseResolved,
    Channel,
    InquiryRegistered,
    NoticeKind,
    Outcome,
    Receipt,
    Reply,
    Role,
    TaskResult,
    schema_name,
)
from shared.sop.controlcard import (
    assign,
    close_handover,
    close_task,
    note_task,
    preload_cases,
    preload_open_tasks,
    record_step,
)
from shared.sop.documents import topic_by_status
from shared.sop.notices import notice
from shared.sop.rules import (
    BRIDGED_ROLES,
    REROUTE_NOTES,
    Assignment,
    first_assignment,
    next_assignment,
)


def route_registered(event: InquiryRegistered, ctx: Context) -> list[Outgoing]:
    topic, service = event.topic, event.service
    if topic is None or service is None:
        # The admin's first reading, automated: classify what upstream left out; when unsure,
        # the case goes to the admin as a triage task (step 3).
        text = cases.text_of(ctx, event.inquiry_id)
        topic, service = ctx.classifier.fill(text, topic, service)
        # A topic upstream set stays on the case even when it goes to triage for want of a
        # service, so the admin's triage routes it by that topic.
        kept = topic or event.topic
        by_state = topic_by_status(ctx.documents, text, ctx.classifier) if event.topic is None else None
        if by_state is not None:
            # "Is my document done?" naming a registration number: the office's export, not the
            # wording, says issued (step 7) or not yet (step 6, whose section head needs the service).
            kept = by_state
            topic = by_state if service is not None or by_state not in SERVICE_ROUTED_TOPICS else None
        cases.classify(ctx, event.inquiry_id, kept, service)
    first = first_assignment(topic, service, ctx.chart)
    return [_hand_over(ctx, event.inquiry_id, first, from_role=Role.admin)]


def preload_registered(events: list[InquiryRegistered], ctx: Context) -> None:
    """The batch's new cases, read at once for their first assignment. Not those the router must
    classify first: it writes their topic and service before assigning them."""
    preload_cases(ctx, [e.inquiry_id for e in events if e.topic is not None and e.service is not None])


def preload_results(results: list[TaskResult], ctx: Context) -> None:
    """The open handovers behind the batch's results, read (and locked) at once."""
    preload_open_tasks(ctx, [r.task_id for r in results if _bridged_role(r.task_id) is None])


def apply_result(result: TaskResult, ctx: Context) -> list[Outgoing]:
    bridged = _bridged_role(result.task_id)
    if bridged is not None:
        # The unit's bridge tracks its own tasks: pass the result on, unread.
        _check_sender(ctx, bridged.value)
        key = topology.result_key(bridged.value)
        return [Outgoing(topology.EVENTS, key, result, f"result-{result.task_id}")]
    now = ctx.clock.now()
    if result.outcome is not Outcome.escalated and not (result.text and result.text.strip()):
        raise Rejected("missing_text", f"an '{result.outcome.value}' result must carry the answer")
    closed = close_task(
        ctx, result.task_id, officer=result.officer, outcome=result.outcome.value, done_at=now
    )
    if closed is None:
        raise Rejected("unknown_task", "no open task has this task_id")
    _check_sender(ctx, closed.assignment.queue_key)  # raising undoes the close
    topic = result.topic or closed.case_topic
    service = result.service or closed.case_service
    if result.topic or result.service:
        # The admin's triage: the case now has the topic and service they set.
        cases.classify(ctx, closed.inquiry_id, topic, service)
    following = next_assignment(
        closed.assignment, result.outcome, topic=topic, service=service, chart=ctx.chart
    )
    if following is None:
        assert result.text is not None  # checked above for every non-escalated outcome
        return send_reply(ctx, closed.inquiry_id, result.text)
    return [_hand_on(ctx, closed.inquiry_id, result.task_id, closed.assignment, following)]


def reroute(event: CaseRerouted, ctx: Context) -> list[Outgoing]:
    """A bridge's unit sent its case back (the pickup desk: not issued after all): hand it on."""
    service = cases.reclassify(ctx, event.inquiry_id, event.topic, event.service)
    held = Assignment(step=event.step, role=event.role)
    following = next_assignment(held, Outcome.escalated, topic=event.topic, service=service, chart=ctx.chart)
    assert following is not None  # an escalation goes on or is refused
    return [_hand_on(ctx, event.inquiry_id, event.task_id, held, following)]


def _hand_on(ctx: Context, inquiry_id: str, task_id: str, held: Assignment, to: Assignment) -> Outgoing:
    """Hand a case on from the task that closed; a re-route between steps 6 and 7 is noted on
    that task's row of the card, and the handover to a bridge names it (the way may repeat)."""
    note = REROUTE_NOTES.get((held.step, to.step))
    if note is None:
        return _hand_over(ctx, inquiry_id, to, from_role=held.role)
    note_task(ctx, task_id, note)
    return _hand_over(ctx, inquiry_id, to, from_role=held.role, rerouted_by=task_id)


def _check_sender(ctx: Context, queue_key: str) -> None:
    """Where units have their own broker users, a result counts only from the unit holding the
    task (or from the console, which checks the officer's unit itself), so the officer's initials
    on the control card can be trusted."""
    if ctx.unit_user_prefix is None:
        return
    allowed = {topology.unit_user(queue_key), topology.CONSOLE_USER}
    if ctx.sender not in {ctx.unit_user_prefix + user for user in allowed}:
        raise Rejected("wrong_sender", f"a result for a task of unit {queue_key} must come from that unit")


def reply_for_resolved(event: CaseResolved, ctx: Context) -> list[Outgoing]:
    return send_reply(ctx, event.inquiry_id, event.text)


def close_delivery(receipt: Receipt, ctx: Context) -> list[Outgoing]:
    """The connector delivered the reply: step 8 is done, and the citizen is asked how it went."""
    case = ctx.preloaded.pop(("delivered", receipt.reply_id), None) or cases.mark_delivered(
        ctx, [receipt]
    ).get(receipt.reply_id)
    if case is None:
        raise Rejected("unknown_reply", "no undelivered reply has this reply_id")
    close_handover(ctx, case, done_at=receipt.delivered_at)
    return [survey(ctx, case.inquiry_id, Channel(case.case_channel), case.case_account, case.case_ticket)]


def preload_receipts(receipts: list[Receipt], ctx: Context) -> None:
    """The batch's deliveries marked at once, as each handler would first do for its own."""
    for reply_id, case in cases.mark_delivered(ctx, receipts).items():
        ctx.preloaded[("delivered", reply_id)] = case


def survey(ctx: Context, inquiry_id: str, channel: Channel, account: str, ticket: str | None) -> Outgoing:
    """The answer reached the citizen: ask how the service was (SKM), once per case (the caller
    set the case's `survey_sent_at`, from which a rating is awaited)."""
    text = ctx.citizen.templates.render(NoticeKind.survey, ticket=ticket, choices=survey_choices())
    return notice(ctx, NoticeKind.survey, channel, account, text, inquiry_id=inquiry_id, ticket=ticket)


def send_reply(ctx: Context, inquiry_id: str, text: str) -> list[Outgoing]:
    """Answer the citizen (step 8): exactly one reply per inquiry, whatever arrives twice."""
    now = ctx.clock.now()
    reply_id = uuid.uuid4().hex
    case = cases.mark_replied(ctx, inquiry_id, reply_id, text, now)
    if case is None:
        return []  # already answered: the citizen gets one reply
    record_step(ctx, inquiry_id, 8, Role.admin, Role.pemohon, handed_at=now, done_at=None)
    ctx.on_commit(lambda: ctx.metrics.replies.labels(case.channel).inc())
    reply = Reply(
        reply_id=reply_id,
        inquiry_id=inquiry_id,
        in_reply_to=case.upstream_id,
        channel=case.channel,
        account=case.account,
        text=with_ticket(text, case.ticket),
        created_at=now,
        ticket=case.ticket,
    )
    replied = CaseReplied(
        inquiry_id=inquiry_id,
        reply_id=reply_id,
        channel=case.channel,
        topic=case.topic,
        path=case.path,
        received_at=case.received_at,
        replied_at=now,
    )
    return [
        Outgoing(topology.OUTBOUND, f"reply.{case.channel}", reply, reply_id),
        Outgoing(topology.EVENTS, topology.CASE_REPLIED, replied, f"replied-{inquiry_id}"),
    ]


def with_ticket(text: str, ticket: str | None) -> str:
    """The answer as the citizen gets it: the officer's text, then the case's ticket."""
    if ticket is None:
        return text
    return f"{text[:ANSWER_LIMIT]}\n\nNomor tiket: {ticket}"


def _hand_over(
    ctx: Context, inquiry_id: str, to: Assignment, *, from_role: Role, rerouted_by: str | None = None
) -> Outgoing:
    now = ctx.clock.now()
    if to.role in BRIDGED_ROLES:
        handover = CaseHandover(
            inquiry_id=inquiry_id,
            role=to.role,
            step=to.step,
            handed_at=now,
            from_role=from_role if rerouted_by else None,
            from_task_id=rerouted_by,
        )
        message_id = f"handover-{to.role.value}-{inquiry_id}" + (f"-{rerouted_by}" if rerouted_by else "")
        key = topology.handover_key(to.role.value)
        return Outgoing(topology.EVENTS, key, handover, message_id)
    return assign(ctx, inquiry_id, to, from_role=from_role, handed_at=now)


def _bridged_role(task_id: str) -> Role | None:
    """The bridged unit a task belongs to: task ids begin with their role (controlcard.new_task_id)."""
    return next((role for role in BRIDGED_ROLES if task_id.startswith(f"{role.value}-")), None)


SPEC = ServiceSpec(
    name="router",
    context=pipeline_context,
    metrics_port=9102,
    publishes=(topology.EVENTS, topology.TASKS, topology.OUTBOUND),
    tick=escalate_overdue,
    routes={
        schema_name(InquiryRegistered): Route(
            InquiryRegistered,
            route_registered,
            key=lambda m, _id: f"registered:{m.inquiry_id}",
            consumes=((topology.EVENTS, topology.REGISTERED),),
            preload=preload_registered,
        ),
        schema_name(TaskResult): Route(
            TaskResult,
            apply_result,
            key=lambda m, _id: f"result:{m.task_id}",
            consumes=((topology.EVENTS, topology.TASK_RESULT),),
            preload=preload_results,
        ),
        schema_name(CaseResolved): Route(
            CaseResolved,
            reply_for_resolved,
            key=lambda m, _id: f"resolved:{m.task_id}",
            consumes=((topology.EVENTS, topology.CASE_RESOLVED),),
        ),
        schema_name(CaseRerouted): Route(
            CaseRerouted,
            reroute,
            key=lambda m, _id: f"rerouted:{m.task_id}",
            consumes=((topology.EVENTS, topology.CASE_REROUTED),),
        ),
        schema_name(Receipt): Route(
            Receipt,
            close_delivery,
            key=lambda m, _id: f"receipt:{m.reply_id}",
            consumes=((topology.INBOUND, "receipt.*"),),
            preload=preload_receipts,
        ),
    },
)
