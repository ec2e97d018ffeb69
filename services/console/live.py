"""The live queue: `/antrean/{unit}/live`, server-sent events that htmx's SSE extension morphs in
(idiomorph: unchanged rows stay the same elements, so the keyboard focus stays).

About once a second the server reads the unit's open tasks from the control card (one small
indexed query) and, when the list changed — a case arrived, was taken or finished, or a clock
turned amber or red — sends the list's HTML fragment as an `antrean` event; otherwise once a minute
(`REFRESH_SECONDS`), as the list shows whole minutes. The list is an aria-live region: sending it
only on a change or once a minute keeps a screen reader from re-reading it every second. The page's
own copy is the same fragment, so a browser without the stream still shows the queue as it was when
loaded. The officer's account is checked again every `RECHECK_POLLS` polls: a deactivated
officer's stream ends.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import anyio
import jinja2
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from services.console import views
from services.console.state import Console
from shared.runtime import logs
from shared.staff.actions import StaffTask, open_tasks
from shared.staff.officers import find_officer

log = logs.get("bamsos.console")
EVENT = "antrean"
REFRESH_SECONDS = 60.0
RECHECK_POLLS = 30


@dataclass(frozen=True)
class QueueRow:
    task: StaffTask
    clock: views.Clock


def queue_context(console: Console, tasks: list[StaffTask], now: datetime) -> dict[str, Any]:
    """What the list fragment shows: the cases waiting (oldest first) and those held."""
    rows = [
        QueueRow(t, views.step_clock(console.clock, t.due_at, t.standard_seconds, now, whole=True))
        for t in tasks
    ]
    return {
        "waiting": [r for r in rows if r.task.taken_at is None],
        "held": [r for r in rows if r.task.taken_at is not None],
        "updated": now,
    }


def _signature(context: dict[str, Any]) -> tuple[tuple[str, str | None, bool, str], ...]:
    rows: list[QueueRow] = [*context["waiting"], *context["held"]]
    return tuple((r.task.task_id, r.task.officer, r.task.taken_at is not None, r.clock.state) for r in rows)


async def queue_stream(
    console: Console, template: jinja2.Template, username: str, me: str, unit: str
) -> AsyncIterator[dict[str, str]]:
    last: tuple[tuple[str, str | None, bool, str], ...] | None = None
    sent_at = -math.inf
    polls = 0
    console.metrics.live.inc()
    try:
        while True:
            if polls and polls % RECHECK_POLLS == 0:
                officer = await run_in_threadpool(find_officer, console.engine, username)
                if officer is None or not officer.holds(unit):
                    return
            try:
                tasks = await run_in_threadpool(open_tasks, console.engine, unit, console.chart)
            except SQLAlchemyError as e:  # the database away for a moment: keep the stream, try again
                log.warning("live_unavailable", unit=unit, error=type(e).__name__)
                tasks = None
            if tasks is not None:
                context = queue_context(console, tasks, datetime.now(UTC))
                signature = _signature(context)
                if signature != last or time.monotonic() - sent_at >= REFRESH_SECONDS:
                    yield {"event": EVENT, "data": template.render(unit=unit, me=me, **context)}
                    last, sent_at = signature, time.monotonic()
            polls += 1
            await anyio.sleep(console.poll_seconds)
    finally:
        console.metrics.live.dec()
