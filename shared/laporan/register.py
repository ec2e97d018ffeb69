"""The register: one row per case of the period, streamed from a server-side cursor.

The only part of the laporan with personal data (account, name, the question), as the SOP's
recording duty asks ("nama, nama akun media sosial, jenis informasi"); `mask` hides it for copies
that leave the office. The case's ticket and the citizen's rating of the service are not personal
data and stay as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared.laporan.figures import in_period, worst_steps
from shared.laporan.period import Period
from shared.laporan.safe import mask_account, mask_name, mask_text
from shared.runtime.storage import inquiries


class Case(NamedTuple):
    """A tuple rather than a dataclass: a million of them are made per month, straight from rows."""

    inquiry_id: str
    ticket: str | None
    received_at: datetime
    channel: str
    account: str
    name: str | None
    text: str
    service: str | None
    topic: str | None
    path: str | None
    replied_at: datetime | None
    rating: int | None  # the citizen's satisfaction rating as stored: 1-4, or 1-5 for surveys before 0009
    # Where the delay happened (the worst breached step), when the case ran over a standard.
    breached_steps: int
    late_step: int | None
    late_role: str | None
    late_unit: str | None
    late_officer: str | None
    over_minutes: float | None

    @property
    def status(self) -> str:
        return "dijawab" if self.replied_at else "terbuka"


def cases(db: Connection, period: Period, *, mask: bool = False, batch: int = 2000) -> Iterator[Case]:
    """Every case received in the period, in the order received."""
    i = inquiries.c
    w = worst_steps(period)
    stmt: sa.Select[Any] = (
        sa.select(
            i.inquiry_id,
            i.ticket,
            i.received_at,
            i.channel,
            i.account,
            i.name,
            i.text,
            i.service,
            i.topic,
            i.path,
            i.replied_at,
            i.rating,
            sa.func.coalesce(w.c.breached_steps, 0),
            w.c.step,
            w.c.to_role,
            w.c.unit,
            w.c.officer,
            w.c.over_seconds / 60.0,
        )
        .outerjoin(w, w.c.inquiry_id == i.inquiry_id)
        .where(in_period(period))
        .order_by(i.received_at, i.inquiry_id)
    )
    for row in db.execution_options(yield_per=batch).execute(stmt):
        case = Case._make(row)
        yield masked(case) if mask else case


def masked(case: Case) -> Case:
    """The case without the citizen's identity: account and name shortened, numbers and names
    taken out of the question."""
    return case._replace(
        account=mask_account(case.account),
        name=mask_name(case.name) if case.name else None,
        text=mask_text(case.text, name=case.name, account=case.account),
    )
