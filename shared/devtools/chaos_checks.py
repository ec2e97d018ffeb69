"""The chaos run's invariants, as pure functions over what the run saw: the control card's rows, the
breach notices the staff received, what the staff did, the replies and citizen notices the connector
received. Each returns the problems it finds (none: the invariant holds), so a unit test can hand it
a small fault and see it caught (tests/unit/shared/devtools/test_chaos_checks.py).

The ladder and the paths are restated here from the SOP's tables (docs/sop.md), not imported from
`shared.sop.rules`: a check that shares the code it checks would agree with that code's bugs.
The run's SOP clock is on the 24x7 calendar at `time_scale`: a step's standard passes in
`standard_seconds / time_scale` real seconds.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from shared.devtools.simulation import Did
from shared.sop.contracts import Task
from shared.sop.rules import path_of

# Who hears of a late step, level by level, and where a step's holder starts on that ladder (its
# first notice goes to LADDER[start]).
LADDER = ("admin", "kasi", "kabid", "kadis")
LADDER_START = {"pemohon": 0, "admin": 1, "editor": 1, "pickup": 1, "kasi": 2, "kabid": 3}

# Written closed by intake at registration: never open, so never late on the scan.
CLOSED_WHEN_WRITTEN = (1, 2)

# How much later than another step's notice the scan may send one that was due before it: a
# router copy killed in the middle of its scan leaves those rows to the next scan (the other copy's,
# after its batch at hand, or its own after the restart).
SCAN_SLACK = timedelta(seconds=10)

# Which unit the simulated staff's act hands the case to: (role, step, topic set) -> (role, step).
FOLLOWS: dict[tuple[str, int, str | None], tuple[str, int]] = {
    ("admin", 3, None): ("kasi", 3),  # a policy question for the section head
    ("admin", 3, "kesalahan_data"): ("editor", 5),  # triage: a data error
    ("kasi", 3, None): ("kabid", 4),  # in doubt: the division head
    ("kasi", 6, None): ("kabid", 6),  # the division head signs too
    ("kasi", 6, "dokumen_terbit"): ("pickup", 7),  # re-route: already issued
    ("kabid", 6, "dokumen_terbit"): ("pickup", 7),
    ("pickup", 7, "belum_terbit"): ("kasi", 6),  # re-route: not issued after all
}
# The first unit, by the topic the citizen's connector set (no topic: the classifier decides).
FIRST: dict[str, tuple[str, int]] = {
    "informasi": ("admin", 3),
    "kebijakan": ("kasi", 3),
    "kesalahan_data": ("editor", 5),
    "belum_terbit": ("kasi", 6),
    "dokumen_terbit": ("pickup", 7),
}


@dataclass(frozen=True)
class CardRow:
    """One handover on a case's control card, as the checks need it."""

    inquiry_id: str
    step: int
    to_role: str
    handed_at: datetime
    due_at: datetime
    done_at: datetime | None
    standard_seconds: int
    escalation_level: int = 0
    taken_at: datetime | None = None


@dataclass(frozen=True)
class SeenNotice:
    """A breach notice as a unit received it: which handover (case, step, due time), which level."""

    notice_id: str
    inquiry_id: str
    step: int
    role: str
    due_at: datetime
    sent_at: datetime
    level: int

    @classmethod
    def of(cls, task: Task) -> SeenNotice:
        # The level is in the text the head reads ("PERINGATAN ke-2: ...").
        found = re.search(r"PERINGATAN ke-(\d+)", task.summary)
        level = int(found.group(1)) if found else 0
        return cls(
            task.task_id, task.inquiry_id, task.step, task.role.value, task.due_at, task.assigned_at, level
        )


# --- breach notices ----------------------------------------------------------------------------


def notice_problems(
    rows: Sequence[CardRow],
    notices: Iterable[SeenNotice],
    time_scale: float,
    slack: timedelta = SCAN_SLACK,
) -> list[str]:
    """Every breach produced exactly one notice per ladder level it reached, to the right head.

    The levels a step reached are replayed from its times as the router's scan computes them: the
    first notice is due at the step's due time, each next one a standard after the previous was
    sent (so after an outage the ladder resumes from when the scan ran again, one level per
    standard, not all at once). A level is missing if the card counts it, or if the step was still
    open when the scan, which takes the steps in the order of their notice times, had already sent
    a first notice due no earlier (more than `slack` before the step closed).
    """
    distinct = {n.notice_id: n for n in notices}.values()  # a redelivered notice is one notice
    by_handover: dict[tuple[str, int, datetime], list[SeenNotice]] = defaultdict(list)
    for n in distinct:
        by_handover[(n.inquiry_id, n.step, n.due_at)].append(n)
    scan = _ScanProgress([n for n in distinct if n.level == 1])
    on_card = set()
    problems = []
    for row in rows:
        key = (row.inquiry_id, row.step, row.due_at)
        on_card.add(key)
        if row.step in CLOSED_WHEN_WRITTEN:
            problems += [_about(row, "a notice for a step written closed")] if key in by_handover else []
            continue
        period = timedelta(seconds=row.standard_seconds / time_scale)
        problems += _row_notice_problems(row, by_handover.get(key, []), period, scan, slack)
    problems += [
        f"{n.inquiry_id[:8]} step {n.step}: a notice for no handover on the card"
        for n in distinct
        if (n.inquiry_id, n.step, n.due_at) not in on_card
    ]
    if not distinct:  # no scan ran at all, so none passed a step over: judge by the times alone
        late = [
            r
            for r in rows
            if r.step not in CLOSED_WHEN_WRITTEN and r.done_at and r.done_at > r.due_at + slack
        ]
        problems += (
            [f"no breach notice at all, though {len(late)} step(s) closed long past due"] if late else []
        )
    return problems


class _ScanProgress:
    """When the scan had got past a notice time: the earliest first notice it sent that was due at
    or after that time (first notices are due at their step's due time, which they carry)."""

    def __init__(self, first_notices: list[SeenNotice]) -> None:
        ordered = sorted(first_notices, key=lambda n: n.due_at)
        self._due = [n.due_at for n in ordered]
        earliest: list[datetime] = []  # over ordered[i:], built from the end
        for n in reversed(ordered):
            earliest.append(min(earliest[-1], n.sent_at) if earliest else n.sent_at)
        self._earliest_sent = earliest[::-1]

    def past(self, due: datetime) -> datetime | None:
        i = bisect_left(self._due, due)
        return self._earliest_sent[i] if i < len(self._due) else None


def _row_notice_problems(
    row: CardRow,
    notices: list[SeenNotice],
    period: timedelta,
    scan: _ScanProgress,
    slack: timedelta,
) -> list[str]:
    start = LADDER_START.get(row.to_role, len(LADDER))
    top = len(LADDER) - start  # the levels that have someone to tell
    levels: dict[int, list[SeenNotice]] = defaultdict(list)
    for n in notices:
        levels[n.level].append(n)
    problems = []
    for level, sent in sorted(levels.items()):
        if len(sent) > 1:
            problems.append(_about(row, f"{len(sent)} notices at level {level}"))
        if not 1 <= level <= min(top, row.escalation_level):
            problems.append(_about(row, f"a notice at level {level}, the card counts {row.escalation_level}"))
        elif sent[0].role != LADDER[start + level - 1]:
            problems.append(_about(row, f"notice {level} went to {sent[0].role}"))
    due = row.due_at
    for level in range(1, top + 1):
        if level in levels:
            sent_at = min(n.sent_at for n in levels[level])
            if sent_at < due:
                problems.append(_about(row, f"notice {level} sent before it was due"))
            due = sent_at + period
            continue
        if level <= row.escalation_level:
            problems.append(_about(row, f"notice {level} counted on the card, never received"))
        elif row.done_at is not None:
            passed = scan.past(due)
            if passed is not None and passed + slack < row.done_at:
                problems.append(_about(row, f"notice {level} missing: the scan passed it, the step open"))
        break
    return problems


def _about(row: CardRow, what: str) -> str:
    return f"{row.inquiry_id[:8]} step {row.step} ({row.to_role}): {what}"


def notices_by_level(notices: Iterable[SeenNotice]) -> Counter[str]:
    """How many distinct notices each level of the ladder received ("1 kasi", "2 kabid"...)."""
    distinct = {n.notice_id: n for n in notices}.values()
    return Counter(f"{n.level} {n.role}" for n in distinct)


# --- control cards -----------------------------------------------------------------------------


def card_problems(
    inquiry_ids: Iterable[str], cards: Mapping[str, Sequence[CardRow]], did: Mapping[str, Sequence[Did]]
) -> list[str]:
    """No control card has a doubled or missing handover: steps 1, 2 and 8 once each, the steps
    between them exactly the tasks staff worked, one step open at a time, all closed, times in order."""
    problems = []
    for inquiry_id in inquiry_ids:
        rows = sorted(cards.get(inquiry_id, ()), key=lambda r: r.handed_at)
        short = inquiry_id[:8]
        if not rows:
            problems.append(f"{short}: no control card")
            continue
        steps = Counter(r.step for r in rows)
        problems += [f"{short}: step {s} {steps[s]} times" for s in (1, 2, 8) if steps[s] != 1]
        worked = Counter(r.step for r in rows if r.step not in (1, 2, 8))
        expected = Counter(d.step for d in did.get(inquiry_id, ()))
        for step, n in (worked - expected).items():
            problems.append(f"{short}: {n} handover(s) at step {step} that no officer worked (doubled)")
        for step, n in (expected - worked).items():
            problems.append(f"{short}: {n} task(s) worked at step {step} not on the card (missing)")
        problems += _timing_problems(short, rows)
    return problems


def _timing_problems(short: str, rows: Sequence[CardRow]) -> list[str]:
    problems = []
    for row in rows:
        if row.done_at is None:
            problems.append(f"{short}: step {row.step} still open")
        elif row.done_at < row.handed_at or (
            row.taken_at is not None and not row.handed_at <= row.taken_at <= row.done_at
        ):
            problems.append(f"{short}: step {row.step} times out of order")
    # A case is with one unit at a time: a doubled handover shows as two steps open at once.
    for a, b in pairwise(rows):
        if a.done_at is not None and b.handed_at < a.done_at:
            problems.append(f"{short}: steps {a.step} and {b.step} open at the same time")
    return problems


# --- paths -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A registered case as the path check needs it: the topic its connector set, the path on it."""

    inquiry_id: str
    topic: str | None
    path: str | None


def path_problems(cases: Iterable[Case], did: Mapping[str, Sequence[Did]]) -> list[str]:
    """Each case's SOP path is what its staff did: the first unit by its topic, each escalation
    handed to the unit the SOP names for it, the last act an answer, the path written accordingly."""
    problems = []
    for case in cases:
        acts = did.get(case.inquiry_id, ())
        short = case.inquiry_id[:8]
        if not acts:
            problems.append(f"{short}: no officer worked it")
            continue
        first = FIRST.get(case.topic or "")
        if first is not None and (acts[0].role, acts[0].step) != first:
            problems.append(f"{short}: first went to {acts[0].role} {acts[0].step}, not {first}")
        for a, b in pairwise(acts):
            following = FOLLOWS.get((a.role, a.step, a.topic)) if a.outcome == "escalated" else None
            if following != (b.role, b.step):
                problems.append(f"{short}: after {a.role} {a.step} {a.outcome}, {b.role} {b.step} got it")
        if acts[-1].outcome == "escalated":
            problems.append(f"{short}: escalated by {acts[-1].role} and never answered")
        expected = path_of([a.step for a in acts])
        if case.path != expected:
            problems.append(f"{short}: path {case.path} on the case, staff worked {expected}")
    return problems


def cases_in(problems: Iterable[str]) -> int:
    """How many cases the problems are about (each begins with the case's short id)."""
    return len({p.split(":")[0] for p in problems})


# --- replies and citizen notices ---------------------------------------------------------------


def reply_problems(upstream_ids: Iterable[str], replies: Iterable[Mapping[str, Any]]) -> list[str]:
    """Exactly one reply per inquiry (a redelivery of the same reply is not a second one)."""
    per_inquiry = Counter(r["in_reply_to"] for r in {r["reply_id"]: r for r in replies}.values())
    ids = set(upstream_ids)
    problems = [f"{i[:8]}: no reply" for i in sorted(ids) if not per_inquiry[i]]
    problems += [f"{i[:8]}: {n} replies" for i, n in sorted(per_inquiry.items()) if n > 1]
    problems += [f"{i[:8]}: a reply to no inquiry sent" for i in sorted(set(per_inquiry) - ids)]
    return problems


def citizen_notice_problems(
    inquiry_ids: Iterable[str], received: Iterable[Mapping[str, Any]], recorded: Iterable[tuple[str, str]]
) -> list[str]:
    """Each case's citizen got one acknowledgement and one survey, and what the connector received
    is what the `notices` table recorded (`recorded`: notice id, kind)."""
    distinct = {n["notice_id"]: n for n in received}
    kinds = Counter((n["inquiry_id"], n["kind"]) for n in distinct.values())
    problems = [
        f"{i[:8]}: {kinds[(i, kind)]} {kind} notices"
        for i in sorted(inquiry_ids)
        for kind in ("acknowledged", "survey")
        if kinds[(i, kind)] != 1
    ]
    table = dict(recorded)
    if {k: n["kind"] for k, n in distinct.items()} != table:
        problems.append(f"notices received ({len(distinct)}) differ from those recorded ({len(table)})")
    return problems
