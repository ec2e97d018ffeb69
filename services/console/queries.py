"""What the console reads from the control card beyond the staff actions: which cases an officer
may see, the open breaches, today's steps, the search, the head of a case's card.

Which cases an officer sees (`case_scope`): the admin and the kadis every case (the admin registers
every request, the kadis owns the SOP); a kasi the cases of their section ("terkait": the case's
service belongs to it, or the case was handed to it); a kabid those of the sections of their
division, or handed to it; the data-editing unit and the pickup desk the cases handed to them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from shared.runtime.storage import handovers, inquiries
from shared.sop.contracts import Role, Service
from shared.sop.orgchart import OrgChart
from shared.sop.units import HEADS, Unit
from shared.staff.card import find_case
from shared.staff.officers import Officer

# The units that get breach notices and the summary: the section and division heads, and the kadis.
NOTIFIED: frozenset[Role] = HEADS | {Role.kadis}
SEARCH_LIMIT = 200
_TICKET = re.compile(r"^BMS-?(\d{6})-?(\d{4,})$", re.IGNORECASE)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def roles_of(officer: Officer) -> set[str]:
    return {Unit.parse(unit).role.value for unit in officer.units}


def heads(officer: Officer) -> list[str]:
    """The officer's units that get breach notices and the summary: kasi, kabid, kadis."""
    return [u for u in officer.units if Unit.parse(u).role in NOTIFIED]


def _unit_scope(unit: str, chart: OrgChart) -> sa.ColumnElement[bool] | None:
    parsed = Unit.parse(unit)
    role, code = parsed.role, parsed.code
    i, h = inquiries.c, handovers.c
    if role in (Role.admin, Role.kadis):
        return None
    if role not in HEADS:
        return i.inquiry_id.in_(sa.select(h.inquiry_id).where(h.to_role == role.value))
    if role is Role.kasi:
        sections = {code}
        handed = h.seksi == code
    else:
        sections = {s for s, section in chart.seksi.items() if section.bidang == code}
        handed = sa.or_(h.bidang == code, h.seksi.in_(sections))
    services = [service.value for service, section in chart.layanan.items() if section in sections]
    parts = [i.service.in_(services), i.inquiry_id.in_(sa.select(h.inquiry_id).where(handed))]
    if chart.seksi_of_service(Service.lainnya) in sections:
        parts.append(i.service.is_(None))  # a case with no service yet is the "lainnya" section's
    return sa.or_(*parts)


def case_scope(officer: Officer, chart: OrgChart, units: list[str] | None = None) -> sa.ColumnElement[bool]:
    """The cases (rows of `inquiries`) the officer may see, through all their units or `units`."""
    scopes = [_unit_scope(unit, chart) for unit in (officer.units if units is None else units)]
    if any(scope is None for scope in scopes):
        return sa.true()
    return sa.or_(sa.false(), *[s for s in scopes if s is not None])


def may_see_case(engine: Engine, officer: Officer, chart: OrgChart, inquiry_id: str) -> bool:
    with engine.connect() as db:
        found = db.scalar(
            sa.select(sa.func.count()).where(inquiries.c.inquiry_id == inquiry_id, case_scope(officer, chart))
        )
    return bool(found)


@dataclass(frozen=True)
class Breach:
    inquiry_id: str
    ticket: str | None
    step: int
    to_role: str
    seksi: str | None
    bidang: str | None
    officer: str | None
    handed_at: datetime
    due_at: datetime
    standard_seconds: int
    escalation_level: int


def open_breaches(engine: Engine, officer: Officer, chart: OrgChart, units: list[str]) -> list[Breach]:
    """Steps past their standard and still open, of the cases the units see, the longest late
    first: what the breach notices on their queues tell."""
    h, i = handovers.c, inquiries.c
    with engine.connect() as db:
        rows = db.execute(
            sa.select(
                h.inquiry_id,
                i.ticket,
                h.step,
                h.to_role,
                h.seksi,
                h.bidang,
                h.officer,
                h.handed_at,
                h.due_at,
                h.standard_seconds,
                h.escalation_level,
            )
            .join(inquiries, i.inquiry_id == h.inquiry_id)
            .where(h.breached.is_(True), h.done_at.is_(None), case_scope(officer, chart, units))
            .order_by(h.due_at, h.id)
            .limit(SEARCH_LIMIT)
        ).all()
    return [Breach(**row._asdict()) for row in rows]


@dataclass(frozen=True)
class StepDay:
    step: int
    standard_seconds: int
    handed: int
    done: int
    within: int
    breached: int
    open: int
    median_seconds: float | None


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), zone)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def steps_of_day(
    engine: Engine, officer: Officer, chart: OrgChart, units: list[str], day: date, zone: ZoneInfo
) -> tuple[int, list[StepDay]]:
    """The cases received on `day` that the units see, and their steps against the standard."""
    h, i = handovers.c, inquiries.c
    start, end = day_bounds(day, zone)
    scope = case_scope(officer, chart, units)
    with engine.connect() as db:
        received = db.scalar(
            sa.select(sa.func.count()).where(i.received_at >= start, i.received_at < end, scope)
        )
        rows = db.execute(
            sa.select(
                h.step,
                sa.func.max(h.standard_seconds),
                sa.func.count(),
                sa.func.count().filter(h.done_at.is_not(None)),
                sa.func.count().filter(h.done_at.is_not(None), h.breached.is_(False)),
                sa.func.count().filter(h.breached.is_(True)),
                sa.func.count().filter(h.done_at.is_(None)),
                sa.func.percentile_cont(0.5).within_group(h.duration_seconds),
            )
            .join(inquiries, i.inquiry_id == h.inquiry_id)
            .where(i.received_at >= start, i.received_at < end, scope)
            .group_by(h.step)
            .order_by(h.step)
        ).all()
    return int(received or 0), [StepDay(*row) for row in rows]


@dataclass(frozen=True)
class Found:
    inquiry_id: str
    ticket: str | None
    channel: str
    service: str | None
    received_at: datetime
    replied_at: datetime | None
    text: str
    account: str  # not shown: what the access log records a search by account under


@dataclass(frozen=True)
class Search:
    """A search's answer: one case named exactly (its id), or the cases found."""

    exact: str | None
    cases: list[Found]
    by: str  # "tiket", "tanggal", "akun"


def normal_ticket(text: str) -> str | None:
    found = _TICKET.match(text.strip())
    return f"BMS-{found.group(1)}-{found.group(2)}" if found else None


def search_cases(engine: Engine, officer: Officer, chart: OrgChart, query: str, zone: ZoneInfo) -> Search:
    """By ticket (or a case or task id), by date (YYYY-MM-DD, the office day it was received), or
    by the citizen's account; only among the cases the officer sees."""
    q = query.strip()[:200]
    i = inquiries.c
    scope = case_scope(officer, chart)
    columns = (i.inquiry_id, i.ticket, i.channel, i.service, i.received_at, i.replied_at, i.text, i.account)
    with engine.connect() as db:
        if _DAY.match(q):
            try:
                day = date.fromisoformat(q)
            except ValueError:
                return Search(None, [], "tanggal")
            start, end = day_bounds(day, zone)
            rows = db.execute(
                sa.select(*columns)
                .where(i.received_at >= start, i.received_at < end, scope)
                .order_by(i.received_at)
                .limit(SEARCH_LIMIT)
            ).all()
            return Search(None, [Found(*row) for row in rows], "tanggal")
        named = find_case(db, normal_ticket(q) or q)
        if named is not None:
            seen = db.scalar(sa.select(sa.func.count()).where(i.inquiry_id == named[0], scope))
            return Search(named[0] if seen else None, [], "tiket")
        accounts = {q, q.lower(), "@" + q.lstrip("@"), "@" + q.lstrip("@").lower()}
        rows = db.execute(
            sa.select(*columns)
            .where(sa.or_(i.account.in_(accounts), sa.func.lower(i.account).in_(accounts)), scope)
            .order_by(i.received_at.desc())
            .limit(SEARCH_LIMIT)
        ).all()
    return Search(None, [Found(*row) for row in rows], "akun")


@dataclass(frozen=True)
class CaseHead:
    inquiry_id: str
    ticket: str | None
    channel: str
    service: str | None
    topic: str | None
    received_at: datetime
    replied_at: datetime | None
    path: str | None


def case_head(engine: Engine, inquiry_id: str) -> CaseHead | None:
    """What the control card's page says of a case above its table."""
    i = inquiries.c
    with engine.connect() as db:
        head = db.execute(
            sa.select(
                i.inquiry_id, i.ticket, i.channel, i.service, i.topic, i.received_at, i.replied_at, i.path
            ).where(i.inquiry_id == inquiry_id)
        ).one_or_none()
    return CaseHead(*head) if head else None
