"""Every Prometheus metric BAMSOS exports, built in one place against a registry tests can replace.

Names follow Prometheus conventions (`bamsos_`, base units, `_total` counters); labels are codes from
small fixed sets (service, step, role, channel, topic, outcome, reason), never personal data or ids.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server

from shared.contracts import Channel, Topic
from shared.errors import REJECT_REASONS
from shared.sop import STANDARD_MINUTES, STEP_ROLE_LABELS

# Bucket bounds in SOP seconds: every SOP standard (2, 3, 5 minutes) is a bound, so the share
# within standard is bucket{le="<standard>"} / count; then multiples up to a working day.
STEP_BUCKETS: tuple[float, ...] = tuple(
    sorted(
        {30.0, 60.0, 90.0}
        | {m * 60.0 for m in STANDARD_MINUTES.values()}
        | {600.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0}
    )
)
HANDLING_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


@dataclass(frozen=True)
class Metrics:
    registry: CollectorRegistry
    messages: Counter
    dead_letters: Counter
    handling: Histogram
    inquiries: Counter
    replies: Counter
    step_duration: Histogram
    breaches: Counter
    notices: Counter

    def start_at_zero(self, service: str) -> None:
        """Export the counters' known label sets at 0, so the first event of a kind shows as an
        increase (Prometheus can't see the rise of a series whose first sample is already 1)."""
        for reason in REJECT_REASONS:
            self.dead_letters.labels(service, reason)
        for channel in Channel:
            self.replies.labels(channel.value)
            for topic in [*Topic, "unknown"]:
                self.inquiries.labels(channel.value, str(topic))
        for step, role in STEP_ROLE_LABELS:
            self.breaches.labels(step, role)
            self.step_duration.labels(step, role)

    def serve(self, host: str, port: int) -> None:
        """Expose /metrics over HTTP (a daemon thread); port 0 turns it off."""
        if port:
            start_http_server(port, addr=host, registry=self.registry)


def build_metrics(registry: CollectorRegistry | None = None) -> Metrics:
    registry = registry if registry is not None else CollectorRegistry()
    return Metrics(
        registry=registry,
        messages=Counter(
            "bamsos_messages_total",
            "Messages a service consumed, by what became of them.",
            ["service", "outcome"],
            registry=registry,
        ),
        dead_letters=Counter(
            "bamsos_dead_letters_total",
            "Messages sent to the dead-letter queue, by reason.",
            ["service", "reason"],
            registry=registry,
        ),
        handling=Histogram(
            "bamsos_handling_seconds",
            "The pipeline's own time for one message: from its batch's start to its ack.",
            ["service"],
            buckets=HANDLING_BUCKETS,
            registry=registry,
        ),
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
    )
