"""The console's metrics (port 9107): logins and officers' actions by outcome code, the live
queues open. No usernames or case data in labels; every series exported at 0 from the start."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge

from shared.staff.vocabulary import TAKE, Action

LOGIN_OUTCOMES = ("ok", "bad", "limited")
ACTIONS = (TAKE, *(action.value for action in Action))
ACTION_OUTCOMES = ("ok", "refused")
DENIALS = ("csrf", "forbidden")


@dataclass(frozen=True)
class ConsoleMetrics:
    registry: CollectorRegistry
    logins: Counter
    actions: Counter
    denied: Counter
    live: Gauge

    def start_at_zero(self) -> None:
        for outcome in LOGIN_OUTCOMES:
            self.logins.labels(outcome)
        for action in ACTIONS:
            for outcome in ACTION_OUTCOMES:
                self.actions.labels(action, outcome)
        for reason in DENIALS:
            self.denied.labels(reason)


def build_console_metrics(registry: CollectorRegistry | None = None) -> ConsoleMetrics:
    registry = registry or CollectorRegistry()
    return ConsoleMetrics(
        registry=registry,
        logins=Counter(
            "bamsos_console_logins_total",
            "Console login attempts by outcome.",
            ["outcome"],
            registry=registry,
        ),
        actions=Counter(
            "bamsos_console_actions_total",
            "Officers' actions in the console (take, answer, escalate, finish, re-route) by outcome.",
            ["action", "outcome"],
            registry=registry,
        ),
        denied=Counter(
            "bamsos_console_denied_total",
            "Requests refused: a form without its CSRF token, another unit's queue or case.",
            ["reason"],
            registry=registry,
        ),
        live=Gauge("bamsos_console_live_queues", "Live queue streams (SSE) open.", registry=registry),
    )
