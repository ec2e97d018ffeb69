"""The SOP clock: real time in UTC, with durations measured in SOP time.

`BAMSOS_TIME_SCALE=N` makes the SOP clock run N times faster, for demos and tests: a 5-minute
standard is due after 300/N real seconds, and a duration is recorded as real seconds * N, so the
standards, histogram buckets, breaches and reports keep their meaning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SopClock:
    time_scale: float = 1.0
    now: Callable[[], datetime] = field(default=_utcnow)

    def due_at(self, handed_at: datetime, standard_seconds: float) -> datetime:
        """When a step handed over at `handed_at` runs over its standard (real time)."""
        return handed_at + timedelta(seconds=standard_seconds / self.time_scale)

    def sop_seconds(self, start: datetime, end: datetime) -> float:
        """How long from `start` to `end` took, in SOP seconds; never negative (clock skew)."""
        return max(0.0, (end - start).total_seconds() * self.time_scale)
