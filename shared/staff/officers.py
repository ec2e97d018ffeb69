"""Officers' accounts for the console: who may log in, and to which units' queues.

Passwords are kept only as argon2id hashes (argon2-cffi's defaults: salted, slow, memory-hard),
checked in constant time, re-hashed when the library's parameters grow; never logged. A unit is a
queue key (`admin`, `editor`, `pickup`, `kadis`, `kasi.<seksi>`, `kabid.<bidang>`) of the org chart.

A role is what an officer may do beside working a unit's queue: `pdp`, the data-protection officer
(UU 27/2022 art. 53), who reads the access log and handles data subjects' requests. Not a unit: a
unit is a task queue whose cases its officers read, and the data-protection officer takes no tasks
and reads no case. For the same reason (one who audits the looks does not look) a `pdp` officer
holds no unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Engine

from shared.runtime.storage import officers
from shared.sop.orgchart import OrgChart
from shared.staff.actions import Refused

USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,39}$")
MIN_PASSWORD = 10
DPO = "pdp"
ROLES = (DPO,)
_hasher = PasswordHasher()


@dataclass(frozen=True)
class Officer:
    username: str
    name: str
    units: tuple[str, ...]
    active: bool = True
    roles: tuple[str, ...] = ()

    def holds(self, unit: str) -> bool:
        return unit in self.units

    @property
    def is_dpo(self) -> bool:
        """The data-protection officer: the access log and data subjects' requests, no cases."""
        return DPO in self.roles


def add_officer(
    engine: Engine,
    chart: OrgChart,
    username: str,
    name: str,
    units: list[str],
    password: str,
    roles: list[str] | None = None,
) -> Officer:
    """Create an officer, or update one (name, units, roles, password; active again)."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise Refused(
            "nama pengguna: huruf kecil, angka, titik, garis bawah atau tanda hubung (2-40), diawali huruf"
        )
    if not name.strip():
        raise Refused("nama petugas tidak boleh kosong")
    roles = list(dict.fromkeys(roles or []))
    if wrong_roles := [r for r in roles if r not in ROLES]:
        raise Refused(f"peran tidak dikenal: {', '.join(wrong_roles)}; peran yang ada: {', '.join(ROLES)}")
    known = chart.unit_keys()
    wrong = [u for u in units if u not in known]
    if DPO in roles and units:
        raise Refused("petugas pelindungan data (pdp) tidak memegang unit: buat akun tersendiri untuknya")
    if (not units and DPO not in roles) or wrong:
        raise Refused(
            f"unit tidak dikenal: {', '.join(wrong) or '(tidak ada)'}; unit yang ada: {', '.join(known)}"
        )
    if len(password) < MIN_PASSWORD:
        raise Refused(f"kata sandi minimal {MIN_PASSWORD} karakter")
    unique_units = list(dict.fromkeys(units))
    values: dict[str, object] = {
        "name": name.strip(),
        "units": unique_units,
        "roles": roles,
        "password_hash": _hasher.hash(password),
        "active": True,
    }
    with engine.begin() as db:
        db.execute(
            insert(officers)
            .values(username=username, created_at=datetime.now(UTC), **values)
            .on_conflict_do_update(index_elements=[officers.c.username], set_=values)
        )
    return Officer(username, name.strip(), tuple(unique_units), roles=tuple(roles))


def list_officers(engine: Engine) -> list[Officer]:
    with engine.connect() as db:
        rows = db.execute(sa.select(officers).order_by(officers.c.username)).all()
    return [_officer(r) for r in rows]


def deactivate(engine: Engine, username: str) -> None:
    with engine.begin() as db:
        done = db.execute(
            sa.update(officers).where(officers.c.username == username.strip().lower()).values(active=False)
        ).rowcount
    if not done:
        raise Refused(f"petugas {username} tidak ditemukan")


def authenticate(engine: Engine, username: str, password: str) -> Officer | None:
    """The active officer whose password this is; None otherwise (the same for an unknown name)."""
    with engine.connect() as db:
        row = db.execute(sa.select(officers).where(officers.c.username == username.strip().lower())).first()
    if row is None or not row.active:
        _hasher.hash(password)  # the same time as a wrong password: no way to tell names apart
        return None
    try:
        _hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        with engine.begin() as db:
            db.execute(
                sa.update(officers)
                .where(officers.c.username == row.username)
                .values(password_hash=_hasher.hash(password))
            )
    return _officer(row)


def find_officer(engine: Engine, username: str) -> Officer | None:
    """An active officer by name (for a session that is still valid)."""
    with engine.connect() as db:
        row = db.execute(
            sa.select(officers).where(officers.c.username == username, officers.c.active)
        ).first()
    return _officer(row) if row else None


def _officer(row: sa.Row[Any]) -> Officer:
    return Officer(row.username, row.name, tuple(row.units), row.active, tuple(row.roles))
