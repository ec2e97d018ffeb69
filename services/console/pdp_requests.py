"""A data subject's request handled by the data-protection officer (`/pdp/permohonan`): the
account and the request's number; what is held about it (counts and the open cases' tickets, no
content); a copy as JSON or PDF (`…/ekspor`, a download); erasure (`…/hapus`) after a confirmation
step, with its result. Export and erasure are recorded in the access log with the request's number
and the client address, as `bamsos pdp ekspor|hapus` record theirs."""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from services.console.guards import checked_form, dpo_only
from services.console.looks import client_of, record_look
from services.console.render import render
from services.console.state import Console, console_of
from shared.privacy.access_log import Account, Action
from shared.privacy.cli_parts import REFERENCE
from shared.privacy.erasure import ErasureReport, erase
from shared.privacy.export_pdf import write_pdf
from shared.privacy.subject import CHANNELS, Holdings, find
from shared.runtime import logs
from shared.staff.officers import Officer

log = logs.get("bamsos.console")
TEMPLATE = "pdp_permohonan.html"
EMPTY = {"kanal": "", "akun": "", "nomor": ""}


def _asked(form: FormData) -> tuple[dict[str, str], Account | None, str | None]:
    """The form's fields as typed, the account and the reference; an error message if one is wrong."""
    typed = {k: str(form.get(k, "")).strip()[:200] for k in ("kanal", "akun", "nomor")}
    if typed["kanal"] not in CHANNELS:
        return typed, None, "Pilih kanal akun pemohon."
    if not typed["akun"]:
        return typed, None, "Isi akun pemohon, persis seperti tercatat."
    if not REFERENCE.match(typed["nomor"]):
        return (
            typed,
            None,
            "Nomor permohonan wajib: huruf, angka, titik, garis miring, garis bawah atau tanda "
            "hubung (1-60).",
        )
    return typed, Account(typed["kanal"], typed["akun"]), None


def _find(console: Console, account: Account) -> Holdings:
    with console.engine.connect() as db:
        return find(db, console.amqp_url, account)


def _page(request: Request, officer: Officer, status: int = 200, **context: object) -> Response:
    base: dict[str, Any] = {"title": "Permohonan subjek data", "stage": "isi", "typed": EMPTY, "error": None}
    return render(request, TEMPLATE, officer, status=status, channels=CHANNELS, **(base | context))


async def _held(
    request: Request, officer: Officer, form: FormData
) -> tuple[dict[str, str], Holdings | Response]:
    """The request as typed and what is held about its account; or the form again, saying why."""
    typed, account, error = _asked(form)
    if account is None:
        return typed, _page(request, officer, 400, typed=typed, error=error)
    held = await run_in_threadpool(_find, console_of(request), account)
    if not held.found:
        error = (
            f"Tidak ada data tentang akun itu di kanal {typed['kanal']}: "
            "tidak ada yang diekspor atau dihapus."
        )
        return typed, _page(request, officer, 404, typed=typed, error=error)
    return typed, held


@dpo_only
async def request_form(request: Request, officer: Officer) -> Response:
    return _page(request, officer)


@dpo_only
async def holdings(request: Request, officer: Officer) -> Response:
    """What is held about the account, counted, with the choices: a copy, or erasure."""
    typed, held = await _held(request, officer, await checked_form(request))
    if isinstance(held, Response):
        return held
    return _page(request, officer, stage="temuan", typed=typed, held=held)


@dpo_only
async def export(request: Request, officer: Officer) -> Response:
    """The copy as a download (JSON or PDF), recorded before it is made."""
    form = await checked_form(request)
    typed, held = await _held(request, officer, form)
    if isinstance(held, Response):
        return held
    console, fmt = console_of(request), form.get("format")
    reference = typed["nomor"]
    await record_look(request, officer, Action.SUBJECT_EXPORT, accounts=[held.account], reference=reference)
    log.info("subject_export", user=officer.username)
    name = f"ekspor-{typed['nomor'].replace('/', '-')}"
    if fmt != "pdf":
        disposition = {"Content-Disposition": f'attachment; filename="{name}.json"'}
        return Response(held.as_json(), media_type="application/json", headers=disposition)
    folder = Path(tempfile.mkdtemp(prefix="bamsos-ekspor-"))
    out = folder / f"{name}.pdf"
    now = datetime.now(UTC)
    try:
        await run_in_threadpool(
            write_pdf, held, out, reference=typed["nomor"], made_at=now, zone=console.clock.zone
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    cleanup = BackgroundTask(shutil.rmtree, folder, ignore_errors=True)
    return FileResponse(out, media_type="application/pdf", filename=out.name, background=cleanup)


@dpo_only
async def erasure(request: Request, officer: Officer) -> Response:
    """First the confirmation (what will be erased, what stays open); with `konfirmasi=ya`, the
    erasure, recorded in its transaction, and its result."""
    form = await checked_form(request)
    typed, held = await _held(request, officer, form)
    if isinstance(held, Response):
        return held
    if form.get("konfirmasi") != "ya":
        return _page(request, officer, stage="konfirmasi", typed=typed, held=held)
    console = console_of(request)
    done: ErasureReport = await run_in_threadpool(
        erase,
        console.engine,
        console.amqp_url,
        held,
        console.access_log,
        actor=officer.username,
        reference=typed["nomor"],
        now=datetime.now(UTC),
        client=client_of(request),
    )
    log.info("subject_erasure", user=officer.username, cases=done.cases, left_open=len(done.left_open))
    return _page(request, officer, stage="hasil", typed=typed, held=held, done=done)


routes = [
    Route("/pdp/permohonan", request_form, methods=["GET"]),
    Route("/pdp/permohonan", holdings, methods=["POST"]),
    Route("/pdp/permohonan/ekspor", export, methods=["POST"]),
    Route("/pdp/permohonan/hapus", erasure, methods=["POST"]),
]
