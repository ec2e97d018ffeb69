"""A unit's queue: the page (`/antrean/{unit}`), taking the next case (`…/ambil`), the live list
(`…/live`, see `live`)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pika.exceptions
from sse_starlette import EventSourceResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.console import live, views
from services.console.guards import checked_form, logged_in, own_unit, plain_refusals
from services.console.render import flash, render, see_other
from services.console.state import Console, console_of
from shared.runtime import logs
from shared.staff.actions import Refused, StaffTask, find_task, open_tasks, queue_view, take_next
from shared.staff.officers import Officer
from shared.staff.vocabulary import TAKE

log = logs.get("bamsos.console")
MAX_NOTICES_READ = 100  # breach notices read in front of a case by one "Ambil"
# The router records a handover on the control card, commits, then publishes the task: for that
# moment the list shows a case the queue does not hold yet. "Ambil" waits for it that long at most.
ARRIVAL_WAIT_SECONDS = 5.0
ARRIVAL_POLL_SECONDS = 0.1


@logged_in
@own_unit
async def queue_page(request: Request, officer: Officer, unit: str) -> Response:
    console = console_of(request)
    tasks = await run_in_threadpool(open_tasks, console.engine, unit, console.chart)
    items = live.queue_context(console, tasks, datetime.now(UTC))
    unread = await run_in_threadpool(unread_notices, console, unit, len(items["waiting"]))
    title = f"Antrean {views.unit_text(unit, console.chart)}"
    return render(
        request, "antrean.html", officer, title=title, unit=unit, me=officer.name, unread=unread, **items
    )


def unread_notices(console: Console, unit: str, waiting_tasks: int) -> int | None:
    """Breach notices waiting on the unit's queue: its messages less its waiting tasks."""
    try:
        view = queue_view(console.engine, console.amqp_url, unit, console.chart)
    except (pika.exceptions.AMQPError, Refused):
        return None
    return max(0, view.waiting - waiting_tasks)


def waiting_on_card(console: Console, unit: str) -> bool:
    """Whether the control card shows a case of the unit waiting to be taken."""
    return any(t.taken_at is None for t in open_tasks(console.engine, unit, console.chart))


def take(console: Console, unit: str, officer: Officer) -> tuple[StaffTask | None, list[str]]:
    """The next case (notices in front of it are read on the way), and the notices read. A queue
    found empty while the list still shows a case waiting is asked again until the case arrives."""
    read: list[str] = []
    deadline = time.monotonic() + ARRIVAL_WAIT_SECONDS
    while len(read) < MAX_NOTICES_READ:
        task = take_next(console.engine, console.amqp_url, unit, officer.name, console.chart)
        if task is None:
            if time.monotonic() < deadline and waiting_on_card(console, unit):
                time.sleep(ARRIVAL_POLL_SECONDS)
                continue
            return None, read
        if task.kind != "notice":
            return find_task(console.engine, task.task_id), read
        read.append(task.summary)
    return None, read


@logged_in
@own_unit
async def take_page(request: Request, officer: Officer, unit: str) -> Response:
    console = console_of(request)
    await checked_form(request)
    try:
        task, read = await run_in_threadpool(take, console, unit, officer)
    except Refused as e:
        console.metrics.actions.labels(TAKE, "refused").inc()
        flash(request, "galat", str(e))
        return see_other(f"/antrean/{unit}")
    if read:
        log.info("notices_read", user=officer.username, unit=unit, count=len(read))
        for text in read[:3]:
            flash(request, "peringatan", text)
        if len(read) > 3:
            flash(request, "peringatan", f"… dan {len(read) - 3} peringatan lain (lihat Peringatan).")
    if task is None:
        flash(request, "info", "Antrean kosong: tidak ada kasus untuk diambil.")
        return see_other(f"/antrean/{unit}")
    console.metrics.actions.labels(TAKE, "ok").inc()
    log.info("take", user=officer.username, unit=unit, task_id=task.task_id)
    return see_other(f"/kasus/{task.task_id}")


@plain_refusals
@logged_in
@own_unit
async def queue_live(request: Request, officer: Officer, unit: str) -> Response:
    console = console_of(request)
    template = console.templates.env.get_template("_daftar.html")
    stream = live.queue_stream(console, template, officer.username, officer.name, unit)
    return EventSourceResponse(stream, ping=15, headers={"Cache-Control": "no-store"})


routes = [
    Route("/antrean/{unit}", queue_page, methods=["GET"]),
    Route("/antrean/{unit}/ambil", take_page, methods=["POST"]),
    Route("/antrean/{unit}/live", queue_live, methods=["GET"]),
]
