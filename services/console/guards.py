"""Who may see a page, written once: `logged_in` (an officer, read again from the database on
each request, so a deactivated one is out at once; not the data-protection officer, who reads no
case), `own_unit` and `own_task` (a queue or a case of the officer's own units: another unit's is
403, by link or typed URL alike), `head` (the pages of kasi, kabid and kadis), `dpo_only` (the
data-protection officer's pages: the access log, data subjects' requests), and the CSRF check of
every POST form. A refusal is an exception the
app's error handlers turn into a page (`errors`); `plain_refusals` answers a stream plainly.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from services.console import queries
from services.console.security import CSRF_FIELD, csrf_ok
from services.console.state import console_of
from shared.staff.actions import StaffTask, find_task
from shared.staff.officers import Officer, find_officer

Endpoint = Callable[[Request], Awaitable[Response]]
OfficerPage = Callable[[Request, Officer], Awaitable[Response]]


class LoginNeeded(Exception):
    """No officer is logged in: to `/masuk`."""


class Forbidden(Exception):
    """Refused with 403 and a page saying why; `reason` is the metric's label."""

    reason = "forbidden"
    event = "denied"
    title = "Akses ditolak"


class Denied(Forbidden):
    """Not this officer's unit (or not a head for a head's page)."""


class BadForm(Forbidden):
    """A POST form without the session's CSRF token: nothing done."""

    reason = "csrf"
    event = "csrf_refused"
    title = "Formulir ditolak"

    def __init__(self) -> None:
        super().__init__("Formulir ini tidak sah atau sudah kedaluwarsa. Muat ulang halaman, lalu coba lagi.")


class Missing(Exception):
    """No such task, case or page: 404."""


async def current_officer(request: Request) -> Officer | None:
    """The logged-in officer, if any and still active (a deactivated one's session is cleared)."""
    username = request.session.get("u")
    if not isinstance(username, str):
        return None
    officer = await run_in_threadpool(find_officer, console_of(request).engine, username)
    if officer is None:
        request.session.clear()
    return officer


async def _officer_or_login(request: Request) -> Officer:
    officer = await current_officer(request)
    if officer is None:
        raise LoginNeeded
    return officer


def logged_in(page: OfficerPage) -> Endpoint:
    """A page of the officers' work (queues, cases, cards, the heads' pages), for a logged-in
    officer, who is passed to it; anyone else goes to `/masuk`. The data-protection officer is
    refused: those pages show case text, and whoever audits the looks does not look."""

    @functools.wraps(page)
    async def endpoint(request: Request) -> Response:
        officer = await _officer_or_login(request)
        if officer.is_dpo:
            raise Denied("Petugas pelindungan data tidak membuka antrean, kasus atau kartu kendali.")
        return await page(request, officer)

    return endpoint


def dpo_only(page: OfficerPage) -> Endpoint:
    """A page of the data-protection officer (role `pdp`) only; other officers get 403."""

    @functools.wraps(page)
    async def endpoint(request: Request) -> Response:
        officer = await _officer_or_login(request)
        if not officer.is_dpo:
            raise Denied("Halaman ini hanya untuk petugas pelindungan data pribadi (PDP).")
        return await page(request, officer)

    return endpoint


def own_unit(page: Callable[[Request, Officer, str], Awaitable[Response]]) -> OfficerPage:
    """The page of the unit in the path (`{unit}`), for its own officers only."""

    @functools.wraps(page)
    async def checked(request: Request, officer: Officer) -> Response:
        unit = request.path_params["unit"]
        if not officer.holds(unit):
            raise Denied(f"Antrean {unit} bukan unit Anda.")
        return await page(request, officer, unit)

    return checked


def own_task(page: Callable[[Request, Officer, StaffTask], Awaitable[Response]]) -> OfficerPage:
    """The page of the task in the path (`{task_id}`), for the officers of its unit only."""

    @functools.wraps(page)
    async def checked(request: Request, officer: Officer) -> Response:
        task_id = request.path_params["task_id"]
        task = await run_in_threadpool(find_task, console_of(request).engine, task_id)
        if task is None:
            raise Missing(f"Tugas {task_id} tidak ditemukan.")
        if not officer.holds(task.unit):
            raise Denied("Kasus ini milik unit lain.")
        return await page(request, officer, task)

    return checked


def head(page: Callable[[Request, Officer, list[str]], Awaitable[Response]]) -> OfficerPage:
    """A page for kasi, kabid and kadis, passed the officer's units that are heads'."""

    @functools.wraps(page)
    async def checked(request: Request, officer: Officer) -> Response:
        units = queries.heads(officer)
        if not units:
            raise Denied("Halaman ini untuk kepala seksi, kepala bidang dan kepala dinas.")
        return await page(request, officer, units)

    return checked


def plain_refusals(endpoint: Endpoint) -> Endpoint:
    """For a stream an EventSource reads, not a page: no login is 401, another unit 403, in plain text."""

    @functools.wraps(endpoint)
    async def answered(request: Request) -> Response:
        try:
            return await endpoint(request)
        except LoginNeeded:
            return PlainTextResponse("masuk dulu", status_code=401)
        except Denied as e:
            console_of(request).metrics.denied.labels(e.reason).inc()
            return PlainTextResponse("bukan unit Anda", status_code=403)

    return answered


async def checked_form(request: Request) -> FormData:
    """The POST form, if it carries the session's CSRF token; BadForm if not."""
    form = await request.form(max_files=0, max_fields=20)
    if not csrf_ok(request.session, form.get(CSRF_FIELD)):
        raise BadForm
    return form
