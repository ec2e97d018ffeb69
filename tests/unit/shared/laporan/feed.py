"""A known set of cases written straight into the registrations and the control card.

The period is 2 and 3 November 2026 (WIB). Two cases lie just outside it, one on each side of a
WIB midnight, to catch a report that counts UTC days. Five lie inside:

| case | received (WIB) | channel | topic | path | answered | over the standard |
|---|---|---|---|---|---|---|
| a | 2 Nov 08:00 | whatsapp | informasi | 3 | yes | nothing |
| b | 2 Nov 09:30 | instagram | kebijakan | 3-4 | yes | step 3 (Budi) +2, step 4 (Rina) +7: step 4 is where |
| c | 3 Nov 10:00 | facebook | kesalahan_data | 5 | yes | step 1 (no officer) +1 |
| d | 3 Nov 11:00 | x | dokumen_terbit | open | no | step 7 still open; formula-like personal data |
| e | 2 Nov 00:10 | whatsapp | belum_terbit | 6 | yes | step 6 exactly at its standard (kept); step 8 +1 |

Every case has a ticket (BMS-yymmdd-nnnn, per office day). The satisfaction survey went to a, b, c
and e; a rated 5 on the old 1-5 survey (sangat baik; answered by Sari, step 3), b 4 on the 4-point
one (sangat baik; by Rina, step 4, after Budi's step 3), e 2 (kurang baik; by Budi, step 6), c did
not answer. The two cases outside the period are rated 1, so a satisfaction figure that leaks
across the period's edges shows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from shared.laporan.period import Period, office_day
from shared.runtime.storage import handovers, inquiries, make_engine
from shared.sop.rules import STANDARD_MINUTES
from shared.staff.card import control_card

WIB = ZoneInfo("Asia/Jakarta")  # the office's zone by default (BAMSOS_TIMEZONE)
PERIOD = Period(date(2026, 11, 2), date(2026, 11, 3), WIB)
COMPILED_AT = datetime(2026, 11, 4, 1, 0, tzinfo=UTC)
HOSTILE_ACCOUNT = '=HYPERLINK("http://contoh.invalid","klik")'
HOSTILE_NAME = "@SUM(1+1)"
HOSTILE_TEXT = "-2+3 NIK saya 1471012345678901, hubungi 0812-3456-7890 atau budi@contoh.id"


@dataclass(frozen=True)
class Step:
    step: int
    role: str  # who holds it (to_role)
    minutes: float | None  # time taken in SOP minutes; None: still open
    officer: str | None = None
    seksi: str | None = None
    bidang: str | None = None


def wib(day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=WIB)


def add_case(
    db: Connection,
    inquiry_id: str,
    received_at: datetime,
    steps: list[Step],
    *,
    channel: str = "whatsapp",
    topic: str | None = "informasi",
    service: str | None = "ktp_el",
    path: str | None = None,
    account: str = "warga.kota",
    name: str | None = "Warga Kota",
    text: str = "Bagaimana cara mengurus KTP-el?",
    ticket: str | None = None,
    surveyed: bool = False,
    rating: int | None = None,
    scale: int = 4,
) -> None:
    """One case: its registration and its control card, steps one after the other; `surveyed`, the
    satisfaction survey went out after the reply, and `rating` came back to it."""
    answered = path is not None
    handed = received_at
    rows = []
    for s in steps:
        standard = STANDARD_MINUTES[s.step] * 60
        row = {
            "inquiry_id": inquiry_id,
            "step": s.step,
            "from_role": "admin" if s.step > 2 else "pemohon",
            "to_role": s.role,
            "seksi": s.seksi,
            "bidang": s.bidang,
            "officer": s.officer,
            "handed_at": handed,
            "due_at": handed + timedelta(seconds=standard),
            "standard_seconds": standard,
            "taken_at": None,
            "done_at": None,
            "duration_seconds": None,
            "breached": None,
        }
        if s.minutes is not None:
            done = handed + timedelta(minutes=s.minutes)
            duration = s.minutes * 60
            row |= {
                "taken_at": handed,
                "done_at": done,
                "duration_seconds": duration,
                "breached": duration > standard,
            }
            handed = done
        rows.append(row)
    db.execute(
        sa.insert(inquiries).values(
            inquiry_id=inquiry_id,
            channel=channel,
            upstream_id=f"up-{inquiry_id}",
            account=account,
            name=name,
            text=text,
            service=service,
            topic=topic,
            sent_at=received_at - timedelta(seconds=30),
            received_at=received_at,
            reply_id=f"reply-{inquiry_id}" if answered else None,
            reply_text="Terima kasih." if answered else None,
            replied_at=handed if answered else None,
            path=path,
            ticket=ticket,
            survey_sent_at=handed + timedelta(minutes=1) if surveyed or rating else None,
            survey_scale=scale if surveyed or rating else None,
            rating=rating,
            rated_at=handed + timedelta(minutes=20) if rating else None,
        )
    )
    db.execute(sa.insert(handovers), rows)


def fed_database(database_url: str) -> Engine:
    """An engine on the test's database, with the feed written into it."""
    engine = make_engine(database_url)
    with engine.begin() as db:
        add_feed(db)
    return engine


def add_feed(db: Connection) -> None:
    """The five cases of the period and the two just outside it (see the module's table)."""
    start = [Step(1, "admin", 2.0), Step(2, "admin", 0.5)]
    add_case(
        db,
        "case-a",
        wib(2, 8, 0),
        [*start, Step(3, "admin", 4.0, "Sari"), Step(8, "pemohon", 1.0)],
        path="3",
        ticket="BMS-261102-0002",
        rating=5,
        scale=5,
    )
    add_case(
        db,
        "case-b",
        wib(2, 9, 30),
        [
            Step(1, "admin", 1.0),
            Step(2, "admin", 0.2),
            Step(3, "kasi", 7.0, "Budi", seksi="kelahiran_kematian", bidang="pcs"),
            Step(4, "kabid", 12.0, "Rina", seksi="kelahiran_kematian", bidang="pcs"),
            Step(8, "pemohon", 1.5),
        ],
        channel="instagram",
        topic="kebijakan",
        service="akta_kelahiran",
        path="3-4",
        ticket="BMS-261102-0003",
        rating=4,
    )
    add_case(
        db,
        "case-c",
        wib(3, 10, 0),
        [
            Step(1, "admin", 6.0),
            Step(2, "admin", 0.3),
            Step(5, "editor", 3.0, "Dedi"),
            Step(8, "pemohon", 1.0),
        ],
        channel="facebook",
        topic="kesalahan_data",
        service="kk",
        path="5",
        ticket="BMS-261103-0001",
        surveyed=True,
    )
    add_case(
        db,
        "case-d",
        wib(3, 11, 0),
        [Step(1, "admin", 2.0), Step(2, "admin", 0.1), Step(7, "pickup", None)],
        channel="x",
        topic="dokumen_terbit",
        service="kia",
        account=HOSTILE_ACCOUNT,
        name=HOSTILE_NAME,
        text=HOSTILE_TEXT,
        ticket="BMS-261103-0002",
    )
    add_case(
        db,
        "case-e",
        wib(2, 0, 10),
        [
            Step(1, "admin", 1.0),
            Step(2, "admin", 0.2),
            Step(6, "kasi", 5.0, "Budi", seksi="identitas_penduduk", bidang="pdp"),
            Step(8, "pemohon", 3.0),
        ],
        topic="belum_terbit",
        path="6",
        ticket="BMS-261102-0001",
        rating=2,
    )
    late = [
        Step(1, "admin", 9.0),
        Step(2, "admin", 9.0),
        Step(3, "admin", 9.0, "Luar"),
        Step(8, "pemohon", 9.0),
    ]
    add_case(db, "case-after", wib(4, 0, 30), late, path="3", ticket="BMS-261104-0001", rating=1)
    add_case(db, "case-before", wib(1, 23, 50), late, path="3", ticket="BMS-261101-0001", rating=1)


@dataclass(frozen=True)
class StepCard:
    closed: int
    within: int
    open: int
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class CardFigures:
    """What the registrations and the control card hold for PERIOD, counted in Python."""

    received: int
    answered: int
    steps: dict[int, StepCard]
    # case -> (step, holder as the card prints it, minutes over), from `bamsos staff kartu`
    delays: dict[str, tuple[int, str, float]]

    @property
    def open(self) -> int:
        return self.received - self.answered


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between the closest ranks, as PostgreSQL's percentile_cont."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


_DELAY = re.compile(r"Keterlambatan terjadi pada langkah (\d+) .*, dipegang (.+), lewat ([\d.]+) menit")


def card_figures(engine: Engine, period: Period = PERIOD) -> CardFigures:
    with engine.connect() as db:
        cases = [
            c
            for c in db.execute(sa.select(inquiries))
            if period.first <= office_day(c.received_at, period.zone) <= period.last
        ]
        ids = {c.inquiry_id for c in cases}
        rows = [r for r in db.execute(sa.select(handovers)) if r.inquiry_id in ids]
    steps = {}
    for step in sorted({r.step for r in rows}):
        mine = [r for r in rows if r.step == step]
        minutes = [r.duration_seconds / 60 for r in mine if r.done_at is not None]
        steps[step] = StepCard(
            closed=len(minutes),
            within=sum(1 for r in mine if r.breached is False),
            open=sum(1 for r in mine if r.done_at is None),
            median=percentile(minutes, 0.5),
            p90=percentile(minutes, 0.9),
        )
    delays = {}
    for case_id in sorted(ids):
        found = _DELAY.search("\n".join(control_card(engine, case_id, WIB).lines()))
        if found:
            delays[case_id] = (int(found[1]), found[2], float(found[3]))
    return CardFigures(len(cases), sum(1 for c in cases if c.replied_at), steps, delays)


@dataclass(frozen=True)
class Ratings:
    """The satisfaction survey of the ratings given to some cases, worked out by hand: each rating
    as (score, scale), the old 1-5 scale counted by its words on the regulation's 1-4."""

    surveys_sent: int
    rated: list[tuple[int, int]]

    @property
    def responses(self) -> int:
        return len(self.rated)

    @property
    def scores(self) -> list[int]:
        """The ratings on the 4-point scale."""
        return [score for score, scale in self.rated if scale == 4]

    @property
    def legacy(self) -> list[int]:
        """The ratings on the old 1-5 scale."""
        return [score for score, scale in self.rated if scale == 5]

    @property
    def mean(self) -> float | None:
        by_words = {1: 1.0, 2: 2.0, 3: 2.5, 4: 3.0, 5: 4.0}  # tidak baik .. sangat baik; cukup between
        points = [by_words[score] if scale == 5 else score for score, scale in self.rated]
        return sum(points) / len(points) if points else None

    @property
    def index(self) -> float | None:
        """PermenPANRB 14/2017: the mean on 1-4, times 25."""
        return None if self.mean is None else self.mean * 25

    @property
    def grade(self) -> str | None:
        """PermenPANRB 14/2017: A from 88.31, B from 76.61, C from 65.00, else D."""
        if self.index is None:
            return None
        return next(
            grade
            for grade, bound in (("A", 88.31), ("B", 76.61), ("C", 65.0), ("D", 0))
            if self.index >= bound
        )


@dataclass(frozen=True)
class SurveyFigures:
    """The satisfaction survey of PERIOD as the cases hold it, counted in Python: overall, and per
    channel, service and (officer, role) who answered: the holder of the last closed step before 8."""

    overall: Ratings
    by_channel: dict[str, Ratings]
    by_service: dict[str | None, Ratings]
    by_officer: dict[tuple[str | None, str | None], Ratings]


def survey_figures(engine: Engine, period: Period = PERIOD) -> SurveyFigures:
    with engine.connect() as db:
        cases = [
            c
            for c in db.execute(sa.select(inquiries))
            if period.first <= office_day(c.received_at, period.zone) <= period.last
        ]
        steps = list(db.execute(sa.select(handovers).order_by(handovers.c.id)))
    rated = [c for c in cases if c.rating is not None]

    def grouped(key: Callable[[Any], Any]) -> dict[Any, Ratings]:
        groups: dict[Any, list[tuple[int, int]]] = {}
        for c in rated:
            groups.setdefault(key(c), []).append((c.rating, c.survey_scale))
        return {k: Ratings(0, scores) for k, scores in groups.items()}

    def answerer(case: Any) -> tuple[str | None, str | None]:
        before_reply = [s for s in steps if s.inquiry_id == case.inquiry_id and s.step < 8 and s.done_at]
        return (before_reply[-1].officer, before_reply[-1].to_role) if before_reply else (None, None)

    return SurveyFigures(
        overall=Ratings(
            sum(1 for c in cases if c.survey_sent_at), [(c.rating, c.survey_scale) for c in rated]
        ),
        by_channel=grouped(lambda c: c.channel),
        by_service=grouped(lambda c: c.service),
        by_officer=grouped(answerer),
    )
