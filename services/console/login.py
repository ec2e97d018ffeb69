"""Logging in and out: `/masuk` (a rate limit per name and address), `/keluar`."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.console.guards import checked_form, current_officer
from services.console.looks import client_of
from services.console.render import error_page, flash, landing, render, see_other
from services.console.security import csrf_token
from services.console.state import console_of
from shared.runtime import logs
from shared.staff.officers import authenticate

log = logs.get("bamsos.console")


async def home(request: Request) -> Response:
    officer = await current_officer(request)
    return landing(officer) if officer else see_other("/masuk")


async def login_form(request: Request) -> Response:
    officer = await current_officer(request)
    if officer is not None:
        return landing(officer)
    return render(request, "masuk.html", None, title="Masuk", error=None, username="")


async def login(request: Request) -> Response:
    console = console_of(request)
    form = await checked_form(request)
    username = str(form.get("username", "")).strip().lower()[:40]
    password = str(form.get("password", ""))[:1024]
    key = (username, client_of(request))
    if console.limiter.blocked(key):
        console.metrics.logins.labels("limited").inc()
        log.warning("login_limited", user=username, client=key[1])
        message = (
            "Terlalu banyak percobaan masuk yang gagal untuk nama pengguna ini. "
            "Tunggu beberapa menit, lalu coba lagi."
        )
        return error_page(request, None, 429, "Terlalu banyak percobaan", message)
    officer = await run_in_threadpool(authenticate, console.engine, username, password) if username else None
    if officer is None:
        console.limiter.fail(key)
        console.metrics.logins.labels("bad").inc()
        log.warning("login_failed", user=username, client=key[1])
        error = "Nama pengguna atau kata sandi salah."
        return render(request, "masuk.html", None, status=401, title="Masuk", error=error, username=username)
    console.limiter.reset(key)
    request.session.clear()  # a new session: a new CSRF token, nothing carried over
    request.session["u"] = officer.username
    csrf_token(request.session)
    console.metrics.logins.labels("ok").inc()
    log.info("login", user=officer.username, client=key[1])
    return landing(officer)


async def logout(request: Request) -> Response:
    await checked_form(request)
    username = request.session.get("u")
    request.session.clear()
    if username:
        log.info("logout", user=username)
    flash(request, "info", "Anda sudah keluar.")
    return see_other("/masuk")


routes = [
    Route("/", home, methods=["GET"]),
    Route("/masuk", login_form, methods=["GET"]),
    Route("/masuk", login, methods=["POST"]),
    Route("/keluar", logout, methods=["POST"]),
]
