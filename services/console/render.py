"""Pages from templates, with what every page shows: the officer, the menu, the messages left by
the last request (`flash`), the session's CSRF token for its forms."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from services.console import queries, views
from services.console.security import CSRF_FIELD, csrf_token
from services.console.state import console_of
from shared.sop.orgchart import OrgChart
from shared.staff.officers import Officer


def flash(request: Request, kind: str, text: str) -> None:
    """A message for the next page the officer sees (the last five kept)."""
    request.session["flash"] = [*request.session.get("flash", []), [kind, text]][-5:]


def nav(officer: Officer | None, path: str, chart: OrgChart) -> list[tuple[str, str, bool]]:
    """The menu: (link, label, is the current page)."""
    if officer is None:
        return []
    if officer.is_dpo:
        links = [("/pdp/log", "Log akses"), ("/pdp/permohonan", "Permohonan subjek data")]
        return [(href, label, path == href or path.startswith(href + "/")) for href, label in links]
    links = [(f"/antrean/{u}", f"Antrean {views.unit_text(u, chart)}") for u in officer.units]
    if queries.heads(officer):
        links.append(("/peringatan", "Peringatan"))
    links.append(("/kartu", "Kartu kendali"))
    if queries.heads(officer):
        links.append(("/ringkasan", "Ringkasan"))
    return [(href, label, path == href or path.startswith(href + "/")) for href, label in links]


def render(
    request: Request, name: str, officer: Officer | None, status: int = 200, **context: Any
) -> Response:
    console = console_of(request)
    flashes = request.session.pop("flash", []) if "flash" in request.session else []
    base = {
        "officer": officer,
        "csrf": csrf_token(request.session),
        "csrf_field": CSRF_FIELD,
        "flashes": flashes,
        "nav": nav(officer, request.url.path, console.chart),
        "title": "",
    }
    return console.templates.TemplateResponse(request, name, base | context, status_code=status)


def error_page(request: Request, officer: Officer | None, status: int, title: str, message: str) -> Response:
    return render(request, "galat.html", officer, status=status, title=title, message=message)


def see_other(path: str) -> RedirectResponse:
    """After a POST, or to where the officer belongs: a GET of `path`."""
    return RedirectResponse(path, status_code=303)


def landing(officer: Officer) -> RedirectResponse:
    """Where an officer starts: their first unit's queue; the data-protection officer's access log."""
    return see_other("/pdp/log" if officer.is_dpo else f"/antrean/{officer.units[0]}")
