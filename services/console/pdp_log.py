"""The data-protection officer's access log (`/pdp/log`): who looked at or exported whose personal
data, filtered by date (WIB), officer and account (hashed again, as `bamsos pdp log --akun` does);
the newest first, at most `LIMIT` rows. Heads and units get 403 (`dpo_only`)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.console.guards import dpo_only
from services.console.queries import day_bounds
from services.console.render import render
from services.console.state import Console, console_of
from shared.privacy.access_log import Account, Entry, entries
from shared.privacy.subject import CHANNELS
from shared.staff.officers import Officer

LIMIT = 500
DEFAULT_DAYS = 7  # what the page shows before a filter is chosen: the last week


@dataclass(frozen=True)
class LogFilter:
    """The filter as typed (shown back in the form) and as read."""

    dari: str
    sampai: str
    petugas: str
    kanal: str
    akun: str

    def window(self, console: Console) -> tuple[datetime, datetime]:
        """[start of `dari`, end of `sampai`) in UTC; ValueError in Bahasa Indonesia if not dates."""
        try:
            first, last = date.fromisoformat(self.dari), date.fromisoformat(self.sampai)
        except ValueError:
            raise ValueError("Tanggal harus berbentuk TTTT-BB-HH, misalnya 2026-12-01.") from None
        if last < first:
            raise ValueError("Tanggal 'sampai' tidak boleh sebelum tanggal 'dari'.")
        return day_bounds(first, console.clock.zone)[0], day_bounds(last, console.clock.zone)[1]

    def account(self) -> Account | None:
        if not self.kanal and not self.akun:
            return None
        if self.kanal not in CHANNELS or not self.akun:
            raise ValueError("Untuk menyaring menurut akun, pilih kanal dan isi akunnya.")
        return Account(self.kanal, self.akun)


def read_log(
    console: Console, since: datetime, until: datetime, actor: str | None, account: Account | None
) -> tuple[list[Entry], int]:
    """The last `LIMIT` rows that match, newest first, and how many match in all."""
    key = console.access_log.account_hash(account) if account else None
    shown: deque[Entry] = deque(maxlen=LIMIT)
    total = 0
    with console.engine.connect() as db:
        for entry in entries(db, since=since, until=until, actor=actor, account_hash=key):
            shown.append(entry)
            total += 1
    return list(reversed(shown)), total


@dpo_only
async def log_page(request: Request, officer: Officer) -> Response:
    console = console_of(request)
    q = request.query_params
    today = console.clock.office_day(datetime.now(UTC))
    wanted = LogFilter(
        dari=q.get("dari", "").strip() or (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
        sampai=q.get("sampai", "").strip() or today.isoformat(),
        petugas=q.get("petugas", "").strip()[:60],
        kanal=q.get("kanal", "").strip(),
        akun=q.get("akun", "").strip()[:200],
    )
    page: dict[str, Any] = {"title": "Log akses", "f": wanted, "channels": CHANNELS, "limit": LIMIT}
    try:
        since, until = wanted.window(console)
        account = wanted.account()
    except ValueError as e:
        return render(request, "pdp_log.html", officer, status=400, rows=[], total=0, error=str(e), **page)
    rows, total = await run_in_threadpool(read_log, console, since, until, wanted.petugas or None, account)
    return render(request, "pdp_log.html", officer, rows=rows, total=total, error=None, **page)


routes = [Route("/pdp/log", log_page, methods=["GET"])]
