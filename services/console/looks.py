"""Looks at personal data from the console, written to the access log (shared/privacy/access_log.py):
who (the officer's username), what, which case or account, and from where (the client address).

A look is recorded before the page that shows it is sent, in a transaction of its own: if the row
can't be written (the database away), the page is not shown either.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from services.console.state import Console, console_of
from shared.privacy.access_log import Account, Action
from shared.runtime.storage import inquiries
from shared.staff.officers import Officer


def client_of(request: Request) -> str:
    """The client's address (uvicorn puts a trusted proxy's X-Forwarded-For there)."""
    return request.client.host if request.client else "-"


def _record(
    console: Console,
    actor: str,
    action: Action,
    client: str,
    case_id: str | None,
    accounts: list[Account],
    reference: str | None,
) -> None:
    with console.engine.begin() as db:
        if case_id is not None:
            row = db.execute(
                sa.select(inquiries.c.channel, inquiries.c.account).where(inquiries.c.inquiry_id == case_id)
            ).first()
            accounts = [Account(row.channel, row.account)] if row else []
        shown: list[Account | None] = [*accounts] or [None]
        for account in shown:
            console.access_log.record(
                db, actor, action, case_id=case_id, account=account, client=client, reference=reference
            )


async def record_look(
    request: Request,
    officer: Officer,
    action: Action,
    *,
    case_id: str | None = None,
    accounts: Iterable[Account] = (),
    reference: str | None = None,
) -> None:
    """One row for the look (one per account when it shows several; a case's account is read from
    the case)."""
    await run_in_threadpool(
        _record,
        console_of(request),
        officer.username,
        action,
        client_of(request),
        case_id,
        list(accounts),
        reference,
    )
