"""The heads' pages (kasi, kabid, kadis): open breach notices (`/peringatan`), the day's summary
(`/ringkasan`), the month's laporan (`/laporan/YYYY-MM.pdf|xlsx`)."""

from __future__ import annotations

import re
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from services.console import queries, views
from services.console.guards import Missing, head, logged_in
from services.console.render import render
from services.console.state import console_of
from shared.laporan import Office, Period, write_laporan
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
    )


@logged_in
@head
async def laporan(request: Request, officer: Officer, _units: list[str]) -> Response:
    console = console_of(request)
    wanted = _LAPORAN.match(request.path_params["name"])
    if wanted is None:
        raise Missing("Laporan itu tidak ada: gunakan /laporan/YYYY-MM.pdf atau .xlsx.")
    month, fmt = wanted.group(1), wanted.group(2)
    try:
        period = Period.month(month, console.clock.zone)
    except ValueError:
        raise Missing(f"Bulan {month} tidak dikenal.") from None
    # The register names citizens: in full for the kadis, who signs it; masked for the heads of
    # a section or division, whose console shows them only their own cases.
    mask = "kadis" not in queries.roles_of(officer)
    folder = Path(tempfile.mkdtemp(prefix="bamsos-laporan-"))
    out = folder / f"laporan-{month}.{fmt}"
    office = Office.from_settings(console.settings)
    try:
        await run_in_threadpool(
            write_laporan,
            console.engine,
            period,
            "pdf" if fmt == "pdf" else "xlsx",
            out,
            office=office,
            mask=mask,
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    log.info("laporan", user=officer.username, month=month, format=fmt, masked=mask)
    cleanup = BackgroundTask(shutil.rmtree, folder, ignore_errors=True)
    return FileResponse(out, media_type=MEDIA[fmt], filename=out.name, background=cleanup)


routes = [
    Route("/peringatan", notices_page, methods=["GET"]),
    Route("/ringkasan", summary_page, methods=["GET"]),
    Route("/laporan/{name}", laporan, methods=["GET"]),
]
