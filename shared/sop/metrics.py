"""The SOP's Prometheus metrics: steps against their standards, breaches, notices, inquiries and
replies, built against the worker's registry (`shared/runtime/metrics.py` has the loop's own).

Labels are codes from small fixed sets (step, role, channel, topic), never personal data or ids.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram

from shared.sop.contracts import Channel, NoticeKind, Topic
from shared.sop.rules import STANDARD_MINUTES, STEP_ROLE_LABELS

# Bucket bounds in SOP seconds: every SOP standard (2, 3, 5 minutes) is a bound, so the share
# within standard is bucket{le="<standard>"} / count; then multiples up to a working day.
STEP_BUCKETS: tuple[float, ...] = tuple(
    sorted(
        {30.0, 60.0, 90.0}
        | {m * 60.0 for m in STANDARD_MINUTES.values()}
        | {600.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0}
    )
)


@dataclass(frozen=True)
class SopMetrics:
    inquiries: Counter
    replies: Counter
    step_duration: Histogram
    breaches: Counter
    notices: Counter
    citizen_notices: Counter
    status_requests: Counter
    ratings: Counter
    rating_points: Counter

    def start_at_zero(self) -> None:
        """Export the known label sets at 0, so the first event of a kind shows as an increase."""
        for channel in Channel:
            self.replies.labels(channel.value)
            for topic in [*Topic, "unknown"]:
                self.inquiries.labels(channel.value, str(topic))
            self.ratings.labels(channel.value)
            self.rating_points.labels(channel.value)
        for step, role in STEP_ROLE_LABELS:
            self.breaches.labels(step, role)
            self.step_duration.labels(step, role)
        for kind in NoticeKind:
            self.citizen_notices.labels(kind.value)
        for outcome in ("answered", "unknown_ticket"):
            self.status_requests.labels(outcome)


def build_sop_metrics(registry: CollectorRegistry) -> SopMetrics:
    return SopMetrics(
        inquiries=Counter(
            "bamsos_inquiries_total",
            "Inquiries registered, by channel and topic as they arrived.",
            ["channel", "topic"],
            registry=registry,
        ),
        replies=Counter(
            "bamsos_replies_total",
            "Replies sent to citizens, by channel.",
            ["channel"],
            registry=registry,
        ),
        step_duration=Histogram(
            "bamsos_step_duration_seconds",
            "How long a finished SOP step took, from handover to done, in SOP seconds.",
            ["step", "role"],
            buckets=STEP_BUCKETS,
            registry=registry,
        ),
        breaches=Counter(
            "bamsos_step_breaches_total",
            "Finished SOP steps that ran over their standard.",
            ["step", "role"],
            registry=registry,
        ),
        notices=Counter(
            "bamsos_escalation_notices_total",
            "Breach notices sent up the ladder, by the role notified (kasi, kabid, kadis, admin).",
            ["step", "role"],
            registry=registry,
        ),
        citizen_notices=Counter(
            "bamsos_citizen_notices_total",
            "Notices sent to citizens besides the answer, by kind (acknowledged, status, survey...).",
            ["kind"],
            registry=registry,
        ),
        status_requests=Counter(
            "bamsos_status_requests_total",
            "Status requests by chat, by outcome (answered, or unknown_ticket: no case of that account).",
            ["outcome"],
            registry=registry,
        ),
        ratings=Counter(
            "bamsos_survey_ratings_total",
            "Satisfaction ratings received (one per case), by channel.",
            ["channel"],
            registry=registry,
        ),
        rating_points=Counter(
            "bamsos_survey_rating_points_total",
            "The sum of the ratings received, as points on the SKM 1-4 scale, by channel: with the count, "
            "the mean and the index.",
            ["channel"],
            registry=registry,
        ),
    )
