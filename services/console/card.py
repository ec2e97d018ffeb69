"""Control cards: the search (`/kartu?q=…`, by ticket, account or date; the cases' texts masked, a
search by account that finds cases logged) and a case's card (`/kartu/{case}`, by ticket, case or
task id), the step where the delay happened marked."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.console import queries
from services.console.guards import Denied, Missing, logged_in
from services.console.looks import record_look
from services.console.render import render, see_other
from services.console.state import Console, console_of
from shared.privacy.access_log import Account, Action
from shared.staff.actions import Refused
from shared.staff.card import control_card, find_case
from shared.staff.officers import Officer


@logged_in
async def card_search(request: Request, officer: Officer) -> Response:
    console = console_of(request)
    q = request.query_params.get("q", "").strip()
    found = None
    if q:
        found = await run_in_threadpool(
            queries.search_cases, console.engine, officer, console.chart, q, console.clock.zone
        )
        if found.exact is not None:
            return see_other(f"/kartu/{found.exact}")
        if found.by == "akun" and found.cases:
            accounts = dict.fromkeys(Account(c.channel, c.account) for c in found.cases)
            await record_look(request, officer, Action.CARD_SEARCH, accounts=accounts)
    return render(request, "kartu_cari.html", officer, title="Kartu kendali", q=q, found=found)


def card_of(console: Console, officer: Officer, named: str) -> dict[str, Any]:
    """What the card's page shows of the case `named` (a ticket, case or task id); Missing if no
    case has it, Denied if it is not one the officer may see."""
    with console.engine.connect() as db:
        found = find_case(db, queries.normal_ticket(named) or named)
    if found is None:
        raise Missing("Kasus, tugas atau tiket itu tidak ditemukan.")
    inquiry_id = found[0]
    if not queries.may_see_case(console.engine, officer, console.chart, inquiry_id):
        raise Denied("Kartu kendali ini milik kasus unit lain.")
    head = queries.case_head(console.engine, inquiry_id)
    if head is None:
        raise Missing("Kasus, tugas atau tiket itu tidak ditemukan.")
    try:
        card = control_card(console.engine, inquiry_id, console.clock.zone)
    except Refused:  # a case with no handover written yet
        card = None
    return {
        "head": head,
        "rows": card.rows if card else [],
        "worst": card.worst.id if card and card.worst else None,
        "notes": card.notes() if card else [],
    }


@logged_in
async def card_view(request: Request, officer: Officer) -> Response:
    console = console_of(request)
    card = await run_in_threadpool(card_of, console, officer, request.path_params["case"])
    title = f"Kartu kendali {card['head'].ticket or card['head'].inquiry_id}"
    return render(request, "kartu.html", officer, title=title, **card)


routes = [
    Route("/kartu", card_search, methods=["GET"]),
    Route("/kartu/{case}", card_view, methods=["GET"]),
]
