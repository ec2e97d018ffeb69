"""What an officer sees when a request can't be answered: the login page when logged out, a 403
page saying why (another unit's page, a form without its token), 404, 503 while the broker or the
database is away, 400 for what the staff actions refuse."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pika.exceptions
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from services.console.guards import Forbidden, LoginNeeded, Missing, current_officer
from services.console.render import error_page, see_other
from services.console.state import console_of
from shared.runtime import logs
from shared.staff.actions import Refused

log = logs.get("bamsos.console")


async def login_needed(request: Request, _exc: Exception) -> Response:
    return see_other("/masuk")


async def forbidden(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Forbidden)
    officer = await current_officer(request)
    console_of(request).metrics.denied.labels(exc.reason).inc()
    log.warning(exc.event, user=officer.username if officer else None, path=request.url.path)
    return error_page(request, officer, 403, exc.title, str(exc) or "Akses ditolak.")


async def missing(request: Request, exc: Exception) -> Response:
    if isinstance(exc, HTTPException) and exc.status_code != 404:
        return PlainTextResponse(exc.detail, status_code=exc.status_code)
    officer = await current_officer(request)
    message = str(exc) if isinstance(exc, Missing) else "Halaman tidak ditemukan."
    return error_page(request, officer, 404, "Tidak ditemukan", message)


async def unavailable(request: Request, exc: Exception) -> Response:
    log.warning("unavailable", error=type(exc).__name__, path=request.url.path)
    message = "Server antrean atau basis data sedang tidak dapat dihubungi. Tunggu sebentar, lalu coba lagi."
    # No officer looked up: the database may be the thing that is away.
    return error_page(request, None, 503, "Layanan sementara tidak tersedia", message)


async def refused(request: Request, exc: Exception) -> Response:
    officer = await current_officer(request)
    return error_page(request, officer, 400, "Tidak dapat dilakukan", str(exc))


handlers: dict[Any, Callable[[Request, Exception], Any]] = {
    LoginNeeded: login_needed,
    Forbidden: forbidden,
    Missing: missing,
    HTTPException: missing,
    pika.exceptions.AMQPError: unavailable,
    OperationalError: unavailable,
    InterfaceError: unavailable,
    DisconnectionError: unavailable,
    Refused: refused,
}
