"""The heads' pages (kasi, kabid, kadis): open breach notices (`/peringatan`), the day's summary
(`/ringkasan`), the month's laporan (`/laporan/YYYY-MM.pdf|xlsx`: the register masked; in full only
for the kadis who asks for it by a form, recorded in the access log)."""

from __future__ import annotations

import re
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from services.console import queries, views
from services.console.guards import Denied, Missing, checked_form, head, logged_in
from services.console.looks import record_look
from services.console.render import render
from services.console.state import console_of
from shared.laporan import Office, Period, write_laporan
from shared.privacy.access_log import Action
from shared.runtime import logs
from shared.staff.officers import Officer

log = logs.get("bamsos.console")
_LAPORAN = re.compile(r"^(\d{4}-\d{2})\.(pdf|xlsx)$")
MEDIA = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@logged_in
@head
async def notices_page(request: Request, officer: Officer, units: list[str]) -> Response:
    console = console_of(request)
    found = await run_in_threadpool(queries.open_breaches, console.engine, officer, console.chart, units)
    now = datetime.now(UTC)
    rows = [(b, views.step_clock(console.clock, b.due_at, b.standard_seconds, now)) for b in found]
    return render(
        request, "peringatan.html", officer, title="Peringatan keterlambatan", rows=rows, units=units
    )


@logged_in
@head
async def summary_page(request: Request, officer: Officer, units: list[str]) -> Response:
    console = console_of(request)
    now = datetime.now(UTC)
    day = console.clock.office_day(now)
    received, steps = await run_in_threadpool(
        queries.steps_of_day, console.engine, officer, console.chart, units, day, console.clock.zone
    )
    found = await run_in_threadpool(queries.open_breaches, console.engine, officer, console.chart, units)
    month = day.strftime("%Y-%m")
    last_month = (day.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    return render(
        request,
        "ringkasan.html",
        officer,
        title="Ringkasan hari ini",
        day=day,
        day_text=f"{day.day:02d}-{day.month:02d}-{day.year}",
        units=units,
        received=received,
        steps=steps,
        breaches=[(b, views.step_clock(console.clock, b.due_at, b.standard_seconds, now)) for b in found],
        months=[month, last_month],
        kadis="kadis" in queries.roles_of(officer),
    )


def _period_of(request: Request) -> tuple[Period, str, str]:
    """The laporan the path names (`YYYY-MM.pdf|xlsx`): its period, month and format; Missing if none."""
    wanted = _LAPORAN.match(request.path_params["name"])
    if wanted is None:
        raise Missing("Laporan itu tidak ada: gunakan /laporan/YYYY-MM.pdf atau .xlsx.")
    month, fmt = wanted.group(1), wanted.group(2)
    try:
        return Period.month(month, console_of(request).clock.zone), month, fmt
    except ValueError:
        raise Missing(f"Bulan {month} tidak dikenal.") from None


async def _laporan_file(request: Request, officer: Officer, *, mask: bool) -> Response:
    console = console_of(request)
    period, month, fmt = _period_of(request)
    folder = Path(tempfile.mkdtemp(prefix="bamsos-laporan-"))
    out = folder / f"laporan-{month}{'' if mask else '-tanpa-sensor'}.{fmt}"
    office = Office.from_settings(console.settings)
    try:
        if not mask:  # recorded before the file exists: no unmasked copy the log does not name
            reference = f"{period.start.isoformat()}/{period.end.isoformat()}"
            await record_look(request, officer, Action.LAPORAN_UNMASKED, reference=reference)
        kind: Literal["pdf", "xlsx"] = "pdf" if fmt == "pdf" else "xlsx"
        await run_in_threadpool(write_laporan, console.engine, period, kind, out, office=office, mask=mask)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    log.info("laporan", user=officer.username, month=month, format=fmt, masked=mask)
    cleanup = BackgroundTask(shutil.rmtree, folder, ignore_errors=True)
    return FileResponse(out, media_type=MEDIA[fmt], filename=out.name, background=cleanup)


@logged_in
@head
async def laporan(request: Request, officer: Officer, _units: list[str]) -> Response:
    """The month's laporan, its register masked (names, accounts and questions): for every head."""
    return await _laporan_file(request, officer, mask=True)


@logged_in
@head
async def laporan_unmasked(request: Request, officer: Officer, _units: list[str]) -> Response:
    """The register in full: the kadis's explicit choice (a form), recorded in the access log."""
    await checked_form(request)
    if "kadis" not in queries.roles_of(officer):
        raise Denied("Laporan tanpa sensor hanya untuk kepala dinas.")
    return await _laporan_file(request, officer, mask=False)


routes = [
    Route("/peringatan", notices_page, methods=["GET"]),
    Route("/ringkasan", summary_page, methods=["GET"]),
    Route("/laporan/{name}", laporan, methods=["GET"]),
    Route("/laporan/{name}", laporan_unmasked, methods=["POST"]),
]
