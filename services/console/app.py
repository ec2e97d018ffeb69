"""The console's web app, assembled: the pages by area (`login`, `queue`, `case`, `card`,
`heads`, the data-protection officer's `pdp_log` and `pdp_requests`), the error pages (`errors`),
the static files, sessions and security headers.

Every page but `/masuk` needs a logged-in officer, read again from the database on each request;
a queue or a case of a unit that is not theirs is 403 (`guards`), the work's pages are 403 for the
data-protection officer and the officer's pages for everyone else. Citizens' NIK/KK, phone numbers
and e-mail addresses are masked on every page; every look at personal data is recorded in the
access log (`looks`). Every POST form carries the
session's CSRF token (`security`). What an officer does goes through `shared.staff.actions` with
their own name from their account, and is logged as who, which task, what — never the citizen's
text or account.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from services.console import card, case, errors, heads, login, pdp_log, pdp_requests, queue
from services.console.security import SecurityHeaders
from services.console.state import HERE, Console

SESSION_COOKIE = "bamsos_konsol"
SESSION_HOURS = 12  # a working day; then log in again
MAX_BODY_BYTES = 64 * 1024


async def healthz(_request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


def create_app(console: Console) -> Starlette:
    routes: list[BaseRoute] = [
        *login.routes,
        *queue.routes,
        *case.routes,
        *card.routes,
        *heads.routes,
        *pdp_log.routes,
        *pdp_requests.routes,
        Route("/healthz", healthz, methods=["GET"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    session = Middleware(
        SessionMiddleware,
        secret_key=console.secret,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_HOURS * 3600,
        same_site="strict",
        https_only=console.settings.console_secure_cookie,
    )
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders), session],
        exception_handlers=errors.handlers,
        max_body_size=MAX_BODY_BYTES,
    )
    app.state.console = console
    return app
