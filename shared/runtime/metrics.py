"""The worker loop's own Prometheus metrics, built in one place against a registry tests can replace.

Names follow Prometheus conventions (`bamsos_`, base units, `_total` counters); labels are codes from
small fixed sets (service, outcome, reason), never personal data or ids. The SOP's metrics (steps,
breaches, inquiries, replies) are built on the same registry by `shared/sop/metrics.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram

from shared.runtime.errors import REJECT_REASONS

HANDLING_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


@dataclass(frozen=True)
class WorkerMetrics:
    registry: CollectorRegistry
    messages: Counter
    dead_letters: Counter
    handling: Histogram

    def start_at_zero(self, service: str) -> None:
        """Export every dead-letter reason at 0, so the first of a kind shows as an increase
        (Prometheus can't see the rise of a series whose first sample is already 1)."""
        for reason in REJECT_REASONS:
            self.dead_letters.labels(service, reason)

    def count_batch(self, service: str, outcomes: dict[str, int], dead_reasons: list[str]) -> None:
        for reason in dead_reasons:
            self.dead_letters.labels(service, reason).inc()
        for outcome, n in outcomes.items():
            self.messages.labels(service, outcome).inc(n)

    def observe_handling(self, service: str, seconds: float, messages: int) -> None:
        """Every message of a batch took the batch's time, from its start to the ack."""
        for _ in range(messages):
            self.handling.labels(service).observe(seconds)


def build_worker_metrics(registry: CollectorRegistry | None = None) -> WorkerMetrics:
    registry = registry if registry is not None else CollectorRegistry()
    return WorkerMetrics(
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
    )
