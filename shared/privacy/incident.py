"""After a breach (UU 27/2022 art. 46: notify within 3x24 hours): whose data did a given officer, or
a given client address, see in a window? Read from the access log.

A row names a case (the case's account is read from `inquiries`), or an account by its keyed hash
(matched against the accounts BAMSOS holds, hashed again), or, for an unmasked laporan, a period
(every account with a case received in it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared.privacy.access_log import AccessLog, Account, Action, entries
from shared.runtime.storage import inquiries


@dataclass
class Exposed:
    """One account that was seen, how and how often; `hash` when it can't be named any more."""

    account: Account | None
    hash: str
    actions: dict[str, int] = field(default_factory=dict)


def exposed_accounts(
    db: Connection,
    log: AccessLog,
    *,
    since: datetime,
    until: datetime,
    actor: str | None = None,
    client: str | None = None,
) -> list[Exposed]:
    """The accounts whose data `actor` (or `client`) saw in [since, until), the most seen first."""
    found: dict[str, Exposed] = {}
    unnamed: list[tuple[str, str]] = []  # (account hash, action) still to be named

    def saw(account: Account, action: str) -> None:
        key = log.account_hash(account)
        seen = found.setdefault(key, Exposed(account, key))
        seen.actions[action] = seen.actions.get(action, 0) + 1

    i = inquiries.c
    for entry in entries(db, since=since, until=until, actor=actor, client=client):
        if entry.action == Action.INCIDENT_QUERY:
            continue
        if entry.case_id:
            row = db.execute(sa.select(i.channel, i.account).where(i.inquiry_id == entry.case_id)).first()
            if row:
                saw(Account(row.channel, row.account), entry.action)
                continue
        if entry.account_hash:
            unnamed.append((entry.account_hash, entry.action))
        elif entry.action == Action.LAPORAN_UNMASKED and entry.reference and "/" in entry.reference:
            first, _, last = entry.reference.partition("/")
            period = sa.and_(
                i.received_at >= datetime.fromisoformat(first), i.received_at < datetime.fromisoformat(last)
            )
            for row in db.execute(sa.select(i.channel, i.account).where(period).distinct()):
                saw(Account(row.channel, row.account), entry.action)
    if unnamed:
        _name_by_hash(db, log, unnamed, found)
    return sorted(found.values(), key=lambda e: (-sum(e.actions.values()), e.hash))


def _name_by_hash(
    db: Connection, log: AccessLog, unnamed: list[tuple[str, str]], found: dict[str, Exposed]
) -> None:
    """Name hashed accounts by hashing every account held (one pass; the log keeps no account)."""
    wanted = {h for h, _ in unnamed}
    names: dict[str, Account] = {}
    held = sa.select(inquiries.c.channel, inquiries.c.account).distinct().execution_options(yield_per=5000)
    for row in db.execute(held):
        account = Account(row.channel, row.account)
        key = log.account_hash(account)
        if key in wanted:
            names[key] = account
    for key, action in unnamed:
        seen = found.setdefault(key, Exposed(names.get(key), key))
        seen.actions[action] = seen.actions.get(action, 0) + 1
