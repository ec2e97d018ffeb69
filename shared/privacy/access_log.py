"""The access log: who looked at or exported whose personal data, when and from where.

Append-only in fact: the services' database role may insert and read the table, never update or
delete a row (migration 0008_access_log). Tamper-evident: each row's `row_hash` is an HMAC over the
row before it (`prev_hash`) and its own fields, so a row edited, removed or slipped in by someone
with more rights (a superuser) breaks the chain there, and `verify` names the row. The key
(`BAMSOS_PDP_KEY`) is not in the database, so the database's owner alone can't rebuild the chain.

Accounts are kept as an HMAC of channel and account under the same secret: the log can be searched
for an account (hash it again) but does not hold one. Two writers at once: each takes a
transaction-level advisory lock before it reads the last row, so the chain stays one line; call
`record` in a READ COMMITTED transaction (the default), where the read after the lock sees the row
the previous holder committed.
"""

from __future__ import annotations

import getpass
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared.runtime.errors import ConfigError
from shared.runtime.settings import Settings
from shared.runtime.storage import access_log

# The fields a row's hash covers, beside the previous row's hash.
FIELDS = ("at", "actor", "action", "case_id", "account_hash", "client", "reference")
GENESIS = "0" * 64  # what the first row chains to
# pg_advisory_xact_lock's key for the log: "BAMSOS-AL" as a number, one no other lock uses.
LOCK_KEY = 0x42414D534F53414C


class Action(StrEnum):
    """What was done with personal data; the Indonesian words are what `bamsos pdp log` prints."""

    OPEN_CASE = "open_case"
    REVEAL = "reveal"
    CARD_SEARCH = "card_search"
    LAPORAN_UNMASKED = "laporan_unmasked"
    SUBJECT_EXPORT = "subject_export"
    SUBJECT_ERASURE = "subject_erasure"
    INCIDENT_QUERY = "incident_query"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Action.OPEN_CASE: "buka kasus",
    Action.REVEAL: "tampilkan data",
    Action.CARD_SEARCH: "cari kartu menurut akun",
    Action.LAPORAN_UNMASKED: "laporan tanpa sensor",
    Action.SUBJECT_EXPORT: "ekspor data subjek",
    Action.SUBJECT_ERASURE: "hapus data subjek",
    Action.INCIDENT_QUERY: "penelusuran insiden",
}


class Account(NamedTuple):
    """A citizen's account on a channel: the pair that names a person in BAMSOS."""

    channel: str
    account: str


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    actor: str
    action: str
    case_id: str | None
    account_hash: str | None
    client: str | None
    reference: str | None
    prev_hash: str
    row_hash: str


@dataclass(frozen=True)
class Broken:
    """The first row where the chain does not hold, and why."""

    id: int
    reason: str


def command_actor() -> str:
    """Who runs a command: the operating-system user, marked so it can't pass for an officer."""
    return f"os:{getpass.getuser()}"


class AccessLog:
    """Writes, reads and checks the log under one secret (`BAMSOS_PDP_KEY`)."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ConfigError("BAMSOS_PDP_KEY terlalu pendek: minimal 16 karakter")
        self._account_key = hmac.digest(key, b"bamsos access log: account", "sha256")
        self._chain_key = hmac.digest(key, b"bamsos access log: chain", "sha256")

    @classmethod
    def from_settings(cls, settings: Settings) -> AccessLog:
        if settings.pdp_key is None:
            raise ConfigError(
                "BAMSOS_PDP_KEY belum diatur: kunci rahasia log akses data pribadi (minimal 16 karakter)"
            )
        return cls(settings.pdp_key.get_secret_value().encode())

    def account_hash(self, account: Account) -> str:
        """The account as the log keeps it: an HMAC, the same for the same channel and account."""
        text = json.dumps([account.channel, account.account], ensure_ascii=False)
        return hmac.new(self._account_key, text.encode(), "sha256").hexdigest()

    def _row_hash(self, prev_hash: str, fields: dict[str, Any]) -> str:
        at: datetime = fields["at"]
        parts = [prev_hash, at.astimezone(UTC).isoformat(timespec="microseconds")]
        parts += [fields[k] for k in FIELDS[1:]]
        return hmac.new(self._chain_key, json.dumps(parts).encode(), "sha256").hexdigest()

    def record(
        self,
        db: Connection,
        actor: str,
        action: Action,
        *,
        case_id: str | None = None,
        account: Account | None = None,
        client: str | None = None,
        reference: str | None = None,
        at: datetime | None = None,
    ) -> int:
        """Append a row in the caller's transaction (it commits with the look it records); its id.

        The lock is held until that transaction ends: record last, and commit soon after."""
        lock = sa.select(
            sa.func.pg_advisory_xact_lock(LOCK_KEY), sa.func.current_setting("transaction_isolation")
        )
        isolation = db.execute(lock).one()[1]
        if isolation != "read committed":
            # A snapshot older than the lock would not see the last row: the chain would fork.
            raise RuntimeError(f"the access log is written at READ COMMITTED, not {isolation.upper()}")
        last = db.scalar(sa.select(access_log.c.row_hash).order_by(access_log.c.id.desc()).limit(1))
        # Microseconds: what PostgreSQL keeps, so the hash checks against the stored row.
        fields: dict[str, Any] = {
            "at": at or datetime.now(UTC),
            "actor": actor,
            "action": Action(action).value,
            "case_id": case_id,
            "account_hash": self.account_hash(account) if account else None,
            "client": client,
            "reference": reference,
        }
        prev_hash = last or GENESIS
        row_hash = self._row_hash(prev_hash, fields)
        new_id: int = db.scalar(
            sa.insert(access_log)
            .values(prev_hash=prev_hash, row_hash=row_hash, **fields)
            .returning(access_log.c.id)
        )
        return new_id

    def verify(self, db: Connection) -> tuple[int, Broken | None]:
        """Walk the chain from the first row: how many rows hold, and the first that does not."""
        expected, checked = GENESIS, 0
        for entry in entries(db):
            if entry.prev_hash != expected:
                return checked, Broken(
                    entry.id, "rantai putus: baris sebelumnya diubah, dihapus atau disisipkan"
                )
            fields = {k: getattr(entry, k) for k in FIELDS}
            if not hmac.compare_digest(entry.row_hash, self._row_hash(entry.prev_hash, fields)):
                return checked, Broken(entry.id, "isi baris ini diubah")
            expected, checked = entry.row_hash, checked + 1
        return checked, None


def entries(
    db: Connection,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    actor: str | None = None,
    account_hash: str | None = None,
    client: str | None = None,
    actions: tuple[Action, ...] = (),
) -> Iterator[Entry]:
    """The rows in order, optionally in [since, until), by one actor, account, client or actions."""
    c = access_log.c
    stmt = sa.select(access_log).order_by(c.id)
    if since is not None:
        stmt = stmt.where(c.at >= since)
    if until is not None:
        stmt = stmt.where(c.at < until)
    if actor is not None:
        stmt = stmt.where(c.actor == actor)
    if account_hash is not None:
        stmt = stmt.where(c.account_hash == account_hash)
    if client is not None:
        stmt = stmt.where(c.client == client)
    if actions:
        stmt = stmt.where(c.action.in_([a.value for a in actions]))
    # Options on the statement: on the connection they would stay for every statement after it.
    for row in db.execute(stmt.execution_options(yield_per=1000)):
        yield Entry(**row._mapping)
