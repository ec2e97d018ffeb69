"""A case: its page (`/kasus/{task_id}`) with the forms of what its holder may do, and doing it
(`/kasus/{task_id}/{action}`) through the staff actions, in the officer's own name."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.console import views
from services.console.guards import Denied, Missing, checked_form, logged_in, own_task
from services.console.looks import record_look
from services.console.render import flash, render, see_other
from services.console.saran import inserted_from, record_sent, suggestions_for
from services.console.state import Console, console_of
from shared.privacy.access_log import Action as PrivacyAction
from shared.privacy.masking import mask_personal
from shared.runtime import logs
from shared.sop.contracts import ANSWER_LIMIT, Service, Topic
from shared.staff.actions import Refused, StaffTask, office_time, perform
from shared.staff.officers import Officer
from shared.staff.vocabulary import Action, allowed_actions, confirmation, reroute_to

log = logs.get("bamsos.console")
# Why the holder of a case shows its text unmasked: code (the form's value) -> what the log keeps.
REVEAL_REASONS = {
    "verifikasi": "verifikasi data pemohon",
    "perbaikan": "perbaikan data",
    "permintaan": "permintaan pemohon",
    "lainnya": "lainnya",
}


def holds(task: StaffTask, officer: Officer) -> bool:
    """Whether the officer has taken this task and it is still open."""
    return task.done_at is None and task.taken_at is not None and task.officer == officer.name


def case_page(
    request: Request,
    officer: Officer,
    task: StaffTask,
    *,
    status: int = 200,
    error: str | None = None,
    text: str = "",
    revealed: bool = False,
) -> Response:
    """The case's page; the citizen's text masked unless `revealed` (`reveal`, logged)."""
    console = console_of(request)
    answers = console.answers.for_service(task.service)
    mine = holds(task, officer)
    actions = allowed_actions(task.to_role, task.step) if mine else ()
    suggestions = suggestions_for(console.suggester, task) if Action.jawab in actions else []
    inserted = None
    if not text and mine:
        picked = request.query_params.get("templat", "")
        if picked.isdigit() and int(picked) < len(answers):
            text = answers[int(picked)][1].teks
        # Without JavaScript "Pakai saran ini" comes back here; with it, the page fills the box.
        chosen = request.query_params.get("saran", "")
        if chosen.isdigit() and int(chosen) < len(suggestions):
            inserted = suggestions[int(chosen)]
            text = inserted.teks
    groups: dict[str, list[tuple[int, Any]]] = {}
    for n, (group, answer) in enumerate(answers):
        groups.setdefault(group, []).append((n, answer))
    masked = mask_personal(task.text)
    now = datetime.now(UTC)
    clock = None if task.done_at else views.step_clock(console.clock, task.due_at, task.standard_seconds, now)
    return render(
        request,
        "kasus.html",
        officer,
        status=status,
        title=f"Kasus {task.ticket or task.task_id}",
        task=task,
        mine=mine,
        actions=actions,
        clock=clock,
        answers=answers,
        answer_groups=list(groups.items()),
        answers_data=[{"judul": a.judul, "dasar": a.dasar, "teks": a.teks} for _, a in answers],
        suggestions=suggestions,
        suggestions_data=[
            {"judul": s.judul, "teks": s.teks, "kunci": s.kunci, "sumber": s.sumber} for s in suggestions
        ],
        inserted=inserted,
        topics=[(t.value, views.topic_text(t.value)) for t in Topic],
        services=[(s.value, views.service_text(s.value)) for s in Service],
        error=error,
        text=text,
        question=task.text if revealed else masked,
        masked=not revealed and masked != task.text,
        reasons=REVEAL_REASONS,
    )


@logged_in
@own_task
async def case_view(request: Request, officer: Officer, task: StaffTask) -> Response:
    await record_look(request, officer, PrivacyAction.OPEN_CASE, case_id=task.inquiry_id)
    return case_page(request, officer, task)


def problem(task: StaffTask, officer: Officer, action: Action, zone: Any) -> str | None:
    """Why the officer may not do `action` to the task now, or None."""
    if task.done_at is not None:
        return f"Tugas ini sudah selesai pada {office_time(task.done_at, zone, named=True)}."
    if task.taken_at is None:
        return "Kasus ini belum diambil: ambil kasus dari antrean (yang terlama lebih dulu)."
    if task.officer != officer.name:
        return f"Kasus ini sedang dipegang {task.officer}."
    if action not in allowed_actions(task.to_role, task.step):
        return "Tindakan ini tidak tersedia untuk langkah ini."
    return None


@logged_in
@own_task
async def case_action(request: Request, officer: Officer, task: StaffTask) -> Response:
    console = console_of(request)
    try:
        action = Action(request.path_params["action"])
    except ValueError:
        raise Missing("Tindakan itu tidak dikenal.") from None
    form = await checked_form(request)
    text = str(form.get("teks", ""))[:ANSWER_LIMIT]
    refused = problem(task, officer, action, console.clock.zone)
    if refused is not None:
        console.metrics.actions.labels(action, "refused").inc()
        return case_page(request, officer, task, status=409, error=refused, text=text)
    try:
        done = await run_in_threadpool(act, console, task, officer, action, form, text)
    except Refused as e:
        console.metrics.actions.labels(action, "refused").inc()
        return case_page(request, officer, task, status=400, error=str(e), text=text)
    console.metrics.actions.labels(action, "ok").inc()
    if action is Action.jawab:
        inserted = inserted_from(form)
        now = datetime.now(UTC)
        await run_in_threadpool(
            record_sent, console.engine, console.suggestion_metrics, task, inserted, text, now
        )
    log.info("action", user=officer.username, action=action.value, task_id=task.task_id, unit=task.unit)
    flash(request, "ok", done)
    return see_other(f"/antrean/{task.unit}")


def choice(form: FormData, name: str, kind: type[Topic] | type[Service]) -> Any:
    """A picked topic or service, None if none; Refused if it is not one."""
    value = str(form.get(name, "")).strip()
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        raise Refused(f"pilihan {name} '{value}' tidak dikenal") from None


def act(
    console: Console, task: StaffTask, officer: Officer, action: Action, form: FormData, text: str
) -> str:
    """Do it through the staff actions; what to tell the officer when it is sent."""
    to = reroute_to(task.to_role, task.step) if action is Action.alihkan else None
    triage = action is Action.eskalasi and task.to_role == "admin"
    perform(
        console.engine,
        console.amqp_url,
        task.task_id,
        action,
        officer=officer.name,
        text=text,
        topic=choice(form, "topik", Topic) if triage else None,
        service=choice(form, "layanan", Service) if triage or to == "kasi" else None,
        to=to,
        now=datetime.now(UTC),
        zone=console.clock.zone,
    )
    ticket = f" (tiket {task.ticket})" if task.ticket else ""
    return confirmation(action, role=task.to_role, to=to) + ticket + "."


@logged_in
@own_task
async def reveal(request: Request, officer: Officer, task: StaffTask) -> Response:
    """The case's text unmasked, for its holder, with a reason from the list; logged first. Shown
    in this response only: the next visit is masked again."""
    form = await checked_form(request)
    if not holds(task, officer):
        raise Denied("Hanya petugas yang sedang memegang kasus ini yang dapat menampilkan data lengkap.")
    reason = REVEAL_REASONS.get(str(form.get("alasan", "")))
    if reason is None:
        return case_page(request, officer, task, status=400, error="Pilih alasan menampilkan data lengkap.")
    await record_look(
        request, officer, PrivacyAction.REVEAL, case_id=task.inquiry_id, reference=f"alasan: {reason}"
    )
    log.info("reveal", user=officer.username, task_id=task.task_id)
    return case_page(request, officer, task, revealed=True)


routes = [
    Route("/kasus/{task_id}", case_view, methods=["GET"]),
    Route("/kasus/{task_id}/tampilkan", reveal, methods=["POST"]),
    Route("/kasus/{task_id}/{action:str}", case_action, methods=["POST"]),
]
