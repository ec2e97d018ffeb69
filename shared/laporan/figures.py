"""The laporan's figures, aggregated in PostgreSQL from the registrations and the control card.

A case belongs to the period of the office day (in the period's zone) on which it was received; its
steps count with it, and so do its survey and its rating, whenever they came. "Answered" and
"still open" are as of the moment the laporan is compiled. Every query of one laporan runs in one
snapshot (`snapshot`, which `same_moment` shares with a second connection so that two queries run at
once), so the tables of a document always agree with each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, distinct_on
from sqlalchemy.engine import Connection, Engine

from shared.laporan.period import Period
from shared.runtime.storage import answer_suggestions, handovers, inquiries
from shared.sop.citizen import LEGACY_POINTS, LEGACY_SCALE, SCALE_WORDS, skm_grade, skm_index

# The PDF lists this many of the breached cases, the worst first; the XLSX and CSV list them all.
PDF_BREACHES = 100
_ROLE_ORDER = ("admin", "kasi", "kabid", "editor", "pickup", "kadis", "pemohon")
REPLY_STEP = 8  # the answer to the citizen; the step before it produced that answer
SCORES = tuple(SCALE_WORDS)  # the survey's scale (PermenPANRB 14/2017), 1 to 4
LEGACY_SCORES = tuple(LEGACY_POINTS)  # the 1-5 scale of surveys sent before migration 0009

_i = inquiries.c
_h = handovers.c
_minutes = _h.duration_seconds / 60.0


@dataclass(frozen=True)
class Count:
    """Cases received in the period with one value of a column (channel, topic, ...)."""

    code: str | None
    received: int
    answered: int

    @property
    def open(self) -> int:
        return self.received - self.answered


@dataclass(frozen=True)
class Timing:
    """Steps on the control card against their standard: how many, how fast."""

    closed: int
    within: int  # closed within the standard
    open: int
    median_minutes: float | None
    p90_minutes: float | None

    @property
    def breached(self) -> int:
        return self.closed - self.within

    @property
    def share_within(self) -> float | None:
        return self.within / self.closed if self.closed else None


@dataclass(frozen=True)
class StepTiming:
    step: int
    standard_minutes: float
    timing: Timing


@dataclass(frozen=True)
class HolderTiming:
    """Timing per role, or per officer (`officer` set) within a role."""

    role: str
    officer: str | None
    timing: Timing


@dataclass(frozen=True)
class Day:
    day: date
    received: int
    answered: int
    steps_closed: int
    steps_within: int

    @property
    def share_within(self) -> float | None:
        return self.steps_within / self.steps_closed if self.steps_closed else None


class Breach(NamedTuple):
    """A case that ran over a standard, and where: its worst step, as the control card names it.
    (A tuple: the XLSX lists every one, hundreds of thousands in a large month.)"""

    inquiry_id: str
    received_at: datetime
    channel: str
    service: str | None
    topic: str | None
    step: int
    role: str
    unit: str | None
    officer: str | None
    standard_minutes: float
    over_minutes: float
    breached_steps: int


class Scored:
    """A mean rating on the regulation's 1-4 scale, as the SKM index (25-100) and its grade."""

    mean: float | None

    @property
    def index(self) -> float | None:
        return skm_index(self.mean) if self.mean is not None else None

    @property
    def grade(self) -> tuple[str, str] | None:
        """The letter and its words, e.g. ("B", "Baik")."""
        index = self.index
        return skm_grade(index) if index is not None else None


@dataclass(frozen=True)
class Rated(Scored):
    """The ratings of the cases with one value of a column (channel, service), or of the cases one
    officer answered (`code` is then the officer, None when nobody signed; `role` the role held)."""

    code: str | None
    responses: int
    mean: float | None
    role: str | None = None


@dataclass(frozen=True)
class Satisfaction(Scored):
    """The satisfaction survey (SKM) of the period's cases: surveys sent after the reply reached the
    citizen, the ratings given, and who and what they rated."""

    surveys_sent: int
    responses: int
    mean: float | None
    distribution: tuple[int, ...]  # how many ratings gave each score of SCORES
    legacy: tuple[int, ...]  # how many 1-5 ratings (before 0009) gave each of LEGACY_SCORES
    by_channel: tuple[Rated, ...]
    by_service: tuple[Rated, ...]
    by_officer: tuple[Rated, ...]

    @property
    def legacy_responses(self) -> int:
        return sum(self.legacy)

    @property
    def response_rate(self) -> float | None:
        return self.responses / self.surveys_sent if self.surveys_sent else None


@dataclass(frozen=True)
class Figures:
    period: Period
    compiled_at: datetime
    totals: Count
    by_channel: tuple[Count, ...]
    by_topic: tuple[Count, ...]
    by_path: tuple[Count, ...]
    by_service: tuple[Count, ...]
    steps: tuple[StepTiming, ...]
    roles: tuple[HolderTiming, ...]
    officers: tuple[HolderTiming, ...]
    days: tuple[Day, ...]
    breached_cases: int
    worst: tuple[Breach, ...]  # the PDF_BREACHES worst, most over first
    satisfaction: Satisfaction
    # Per service: the period's cases answered with a template inserted (the answer suggestions).
    templates_used: dict[str | None, int] = field(default_factory=dict)

    @property
    def steps_closed(self) -> int:
        return sum(s.timing.closed for s in self.steps)

    @property
    def steps_within(self) -> int:
        return sum(s.timing.within for s in self.steps)


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A read-only connection that sees one moment of the database for all its queries."""
    with (
        engine.connect().execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True) as db,
        db.begin(),
    ):
        yield db


@contextmanager
def same_moment(engine: Engine, db: Connection) -> Iterator[Connection]:
    """A second read-only connection that sees the same moment as `db` (a snapshot `db` exports,
    as pg_dump's parallel jobs share one), so two queries of one laporan can run at once."""
    exported = db.scalar(sa.text("SELECT pg_export_snapshot()"))
    with snapshot(engine) as twin:
        twin.execute(sa.text("SET TRANSACTION SNAPSHOT :exported"), {"exported": exported})
        yield twin


def compile_figures(
    db: Connection, period: Period, compiled_at: datetime, beside: Connection | None = None
) -> Figures:
    """All the figures. With `beside` (`same_moment` as `db`), the steps' tables, the largest
    query, run on it in a thread while the rest run on `db`: PostgreSQL then uses a second core."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(step_tables, beside, period) if beside is not None else None
        breached, worst = breach_summary(db, period, PDF_BREACHES)
        figures = _case_figures(db, period)
        steps = pending.result() if pending is not None else step_tables(db, period)
    return Figures(
        period=period,
        compiled_at=compiled_at,
        **figures,
        steps=steps.steps,
        roles=steps.roles,
        officers=steps.officers,
        breached_cases=breached,
        worst=worst,
    )


def _case_figures(db: Connection, period: Period) -> dict[str, Any]:
    return {
        "totals": case_totals(db, period),
        "by_channel": counts_by(db, period, _i.channel),
        "by_topic": counts_by(db, period, _i.topic),
        "by_path": counts_by(db, period, _i.path),
        "by_service": counts_by(db, period, _i.service),
        "days": daily(db, period),
        "satisfaction": satisfaction(db, period),
        "templates_used": templates_used(db, period),
    }


def in_period(period: Period) -> sa.ColumnElement[bool]:
    return sa.and_(_i.received_at >= period.start, _i.received_at < period.end)


def _case_day(period: Period) -> sa.ColumnElement[date]:
    """The office day a case was received on; PostgreSQL knows the zone by its IANA name."""
    return sa.func.date(sa.func.timezone(period.zone.key, _i.received_at))


def case_totals(db: Connection, period: Period) -> Count:
    row = db.execute(sa.select(sa.func.count(), sa.func.count(_i.replied_at)).where(in_period(period))).one()
    return Count(None, row[0], row[1])


def counts_by(db: Connection, period: Period, column: sa.Column[str]) -> tuple[Count, ...]:
    """Received and answered per value of `column`, the largest first."""
    received = sa.func.count()
    stmt = (
        sa.select(column, received, sa.func.count(_i.replied_at))
        .where(in_period(period))
        .group_by(column)
        .order_by(received.desc(), column)
    )
    return tuple(Count(*row) for row in db.execute(stmt))


def templates_used(db: Connection, period: Period) -> dict[str | None, int]:
    """Per service, the period's cases whose answer was sent with a template inserted (the console
    records it in `answer_suggestions`)."""
    used = answer_suggestions.c
    stmt = (
        sa.select(_i.service, sa.func.count())
        .select_from(inquiries.join(answer_suggestions, used.inquiry_id == _i.inquiry_id))
        .where(in_period(period), used.template.is_not(None))
        .group_by(_i.service)
    )
    return {row[0]: row[1] for row in db.execute(stmt)}


def _percentiles() -> sa.ScalarSelect[Any]:
    """Median and P90 of a group's finished steps, in minutes, as an array. Each group's minutes are
    gathered (array_agg, which lets PostgreSQL hash the groups) and sorted on their own:
    percentile_cont straight over the join would first sort the whole month's steps by group."""
    minutes = sa.func.unnest(sa.func.array_agg(_minutes).filter(_minutes.is_not(None))).column_valued("m")
    shares = sa.literal([0.5, 0.9], ARRAY(sa.Float))
    return sa.select(sa.func.percentile_cont(shares).within_group(minutes)).scalar_subquery()


def _steps_in_period(*columns: Any, period: Period) -> sa.Select[Any]:
    return (
        sa.select(*columns)
        .select_from(handovers.join(inquiries, _i.inquiry_id == _h.inquiry_id))
        .where(in_period(period))
    )


@dataclass(frozen=True)
class StepTables:
    """The control card's steps of the period against their standard: per step, role and officer."""

    steps: tuple[StepTiming, ...]
    roles: tuple[HolderTiming, ...]
    officers: tuple[HolderTiming, ...]


# grouping(step, standard, role, officer): a bit set for each key that a group leaves out.
_BY_STEP, _BY_ROLE, _BY_OFFICER = 0b0011, 0b1101, 0b1100


def step_tables(db: Connection, period: Period) -> StepTables:
    """The three tables in one pass over the steps (GROUPING SETS): joining a month's control card
    to its cases is, with sorting, the laporan's largest cost, so it is done once."""
    keys = (_h.step, _h.standard_seconds, _h.to_role, _h.officer)
    grouped = sa.func.grouping(*keys)
    unsigned = sa.and_(grouped == _BY_OFFICER, _h.officer.is_(None))  # left out below: not sorted
    stmt = _steps_in_period(
        *keys,
        grouped,
        sa.func.count(_h.done_at),
        sa.func.count().filter(_h.breached.is_(False)),
        sa.func.count().filter(_h.done_at.is_(None)),
        sa.case((unsigned, None), else_=_percentiles()),
        period=period,
    ).group_by(
        sa.func.grouping_sets(
            sa.tuple_(_h.step, _h.standard_seconds), sa.tuple_(_h.to_role), sa.tuple_(_h.to_role, _h.officer)
        )
    )
    steps, roles, officers = [], [], []
    for step, standard, role, officer, grouped, closed, within, still_open, shares in db.execute(stmt):
        timing = Timing(closed, within, still_open, *(shares or (None, None)))
        if grouped == _BY_STEP:
            steps.append(StepTiming(int(step), int(standard) / 60, timing))
        elif grouped == _BY_ROLE:
            roles.append(HolderTiming(role, None, timing))
        elif officer is not None:  # per officer; the steps no officer signed for are left out
            officers.append(HolderTiming(role, officer, timing))
    return StepTables(
        steps=tuple(sorted(steps, key=lambda s: (s.step, s.standard_minutes))),
        roles=_by_holder(roles),
        officers=_by_holder(officers),
    )


def step_timings(db: Connection, period: Period) -> tuple[StepTiming, ...]:
    """Per SOP step (and standard, should an office have changed it within the period)."""
    return step_tables(db, period).steps


def _by_holder(rows: list[HolderTiming]) -> tuple[HolderTiming, ...]:
    return tuple(sorted(rows, key=lambda r: (r.officer or "", _role_rank(r.role))))


def _role_rank(role: str) -> int:
    return _ROLE_ORDER.index(role) if role in _ROLE_ORDER else len(_ROLE_ORDER)


def daily(db: Connection, period: Period) -> tuple[Day, ...]:
    """Every day of the period, quiet days at zero: cases received and answered, steps within standard."""
    day = _case_day(period)
    cases = db.execute(
        sa.select(day, sa.func.count(), sa.func.count(_i.replied_at)).where(in_period(period)).group_by(day)
    ).all()
    steps = db.execute(
        _steps_in_period(
            day, sa.func.count(_h.done_at), sa.func.count().filter(_h.breached.is_(False)), period=period
        ).group_by(day)
    ).all()
    case_by_day = {row[0]: (row[1], row[2]) for row in cases}
    step_by_day = {row[0]: (row[1], row[2]) for row in steps}
    return tuple(Day(d, *case_by_day.get(d, (0, 0)), *step_by_day.get(d, (0, 0))) for d in period.days)


def worst_steps(period: Period) -> sa.Subquery:
    """Per breached case, the step most over its standard (the first such, on a tie). A step
    still open counts the time past its due moment so far, as the control card does."""
    over = sa.func.coalesce(
        _h.duration_seconds - _h.standard_seconds, sa.extract("epoch", sa.func.now() - _h.due_at)
    ).label("over_seconds")
    return (
        _steps_in_period(
            _h.inquiry_id,
            _h.step,
            _h.to_role,
            sa.case((_h.to_role == "kabid", _h.bidang), else_=_h.seksi).label("unit"),
            _h.officer,
            _h.standard_seconds,
            over,
            sa.func.count().over(partition_by=_h.inquiry_id).label("breached_steps"),
            period=period,
        )
        .where(_h.breached.is_(True))
        .ext(distinct_on(_h.inquiry_id))
        .order_by(_h.inquiry_id, over.desc(), _h.id)
        .subquery("worst")
    )


def _breach_select(period: Period) -> tuple[sa.Select[Any], sa.Subquery]:
    w = worst_steps(period)
    stmt: sa.Select[Any] = sa.select(
        w.c.inquiry_id,
        _i.received_at,
        _i.channel,
        _i.service,
        _i.topic,
        w.c.step,
        w.c.to_role,
        w.c.unit,
        w.c.officer,
        w.c.standard_seconds / 60.0,
        w.c.over_seconds / 60.0,
        w.c.breached_steps,
    ).join_from(w, inquiries, _i.inquiry_id == w.c.inquiry_id)
    return stmt, w


def breach_summary(db: Connection, period: Period, limit: int) -> tuple[int, tuple[Breach, ...]]:
    """How many cases breached, and the `limit` most over their standard: one query, the count
    taken over all of them before the limit (`count() OVER ()`), so the steps are read once."""
    stmt, w = _breach_select(period)
    worst = stmt.add_columns(sa.func.count().over()).order_by(w.c.over_seconds.desc(), w.c.inquiry_id)
    rows = db.execute(worst.limit(limit)).all()
    count = rows[0][-1] if rows else 0
    return count, tuple(Breach(*row[:-1]) for row in rows)


def breaches(db: Connection, period: Period, batch: int = 2000) -> Iterator[Breach]:
    """Every breached case in the order received, streamed from a server-side cursor."""
    stmt, w = _breach_select(period)
    result = db.execution_options(yield_per=batch).execute(stmt.order_by(_i.received_at, w.c.inquiry_id))
    for row in result:
        yield Breach._make(row)


def _points() -> sa.ColumnElement[float]:
    """A rating as points on the regulation's 1-4 scale: a 1-5 rating by its words (LEGACY_POINTS)."""
    legacy = sa.case({score: points for score, points in LEGACY_POINTS.items()}, value=_i.rating)
    return sa.case((_i.survey_scale == LEGACY_SCALE, legacy), else_=sa.cast(_i.rating, sa.Float))


def _mean_rating() -> sa.ColumnElement[float]:
    return sa.cast(sa.func.avg(_points()), sa.Float)


def _current() -> sa.ColumnElement[bool]:
    return _i.survey_scale.is_distinct_from(LEGACY_SCALE)


def satisfaction(db: Connection, period: Period) -> Satisfaction:
    """The survey of the period's cases: sent, answered, the mean and the spread of the scores."""
    row = db.execute(
        sa.select(
            sa.func.count(_i.survey_sent_at),
            sa.func.count(_i.rating),
            _mean_rating(),
            *(sa.func.count().filter(_current(), _i.rating == score) for score in SCORES),
            *(sa.func.count().filter(_i.survey_scale == LEGACY_SCALE, _i.rating == s) for s in LEGACY_SCORES),
        ).where(in_period(period))
    ).one()
    return Satisfaction(
        surveys_sent=row[0],
        responses=row[1],
        mean=row[2],
        distribution=tuple(int(n) for n in row[3 : 3 + len(SCORES)]),
        legacy=tuple(int(n) for n in row[3 + len(SCORES) :]),
        by_channel=ratings_by(db, period, _i.channel),
        by_service=ratings_by(db, period, _i.service),
        by_officer=officer_ratings(db, period),
    )


def ratings_by(db: Connection, period: Period, column: sa.Column[str]) -> tuple[Rated, ...]:
    """Ratings and their mean per value of `column`, the most rated first."""
    responses = sa.func.count()
    stmt = (
        sa.select(column, responses, _mean_rating())
        .where(in_period(period), _i.rating.is_not(None))
        .group_by(column)
        .order_by(responses.desc(), column)
    )
    return tuple(Rated(*row) for row in db.execute(stmt))


def answerers(period: Period) -> sa.Subquery:
    """Per rated case, who answered it: the holder of the last closed step before the reply
    (step 8), whose result became the answer."""
    return (
        _steps_in_period(_h.inquiry_id, _h.to_role, _h.officer, period=period)
        .where(_i.rating.is_not(None), _h.step < REPLY_STEP, _h.done_at.is_not(None))
        .ext(distinct_on(_h.inquiry_id))
        .order_by(_h.inquiry_id, _h.id.desc())
        .subquery("answerer")
    )


def officer_ratings(db: Connection, period: Period) -> tuple[Rated, ...]:
    """Ratings per officer who answered (and the role they held); cases answered without an
    officer's signature together, last."""
    a = answerers(period)
    stmt = (
        sa.select(a.c.officer, sa.func.count(), _mean_rating(), a.c.to_role)
        .select_from(inquiries.outerjoin(a, a.c.inquiry_id == _i.inquiry_id))
        .where(in_period(period), _i.rating.is_not(None))
        .group_by(a.c.officer, a.c.to_role)
    )
    rows = [Rated(*row) for row in db.execute(stmt)]
    return tuple(sorted(rows, key=lambda r: (r.code is None, r.code or "", _role_rank(r.role or ""))))
