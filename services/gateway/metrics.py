"""The gateway's Prometheus metrics: webhooks by outcome, sends by outcome and latency, deliveries.

Labels are channel codes and outcome codes only, never an account or a message.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram

# reaction: an emoji reaction added or taken off (no case); group: a message in a group chat (no
# case), group_addressed: one addressing the bot there (answered once: write privately).
# E-mail counts each mail read: automatic (out-of-office, lists, reports: never answered) and
# refused (hostile HTML, nothing readable) besides the others.
WEBHOOK_OUTCOMES = (
    "accepted",
    "duplicate",
    "ignored",
    "reaction",
    "group",
    "group_addressed",
    "automatic",
    "refused",
    "bad_signature",
    "malformed",
    "unavailable",
)
SEND_OUTCOMES = ("sent", "template", "retried", "refused", "window_closed", "no_platform")
CHANNELS = ("whatsapp", "telegram", "facebook", "instagram", "web", "x", "email")
# The website chat box's own refusals (services/gateway/web.py), counted on channel `web`.
WEB_OUTCOMES = ("bad_origin", "too_large", "rate_limited", "honeypot")


@dataclass(frozen=True)
class GatewayMetrics:
    webhooks: Counter
    sends: Counter
    send_seconds: Histogram
    deliveries: Counter
    delivery_failures: Counter

    def start_at_zero(self) -> None:
        for channel in CHANNELS:
            for outcome in WEBHOOK_OUTCOMES:
                self.webhooks.labels(channel, outcome)
            for outcome in SEND_OUTCOMES:
                self.sends.labels(channel, outcome)
            self.send_seconds.labels(channel)
            self.deliveries.labels(channel)
            self.delivery_failures.labels(channel)
        for outcome in WEB_OUTCOMES:
            self.webhooks.labels("web", outcome)


def build_gateway_metrics(registry: CollectorRegistry) -> GatewayMetrics:
    return GatewayMetrics(
        webhooks=Counter(
            "bamsos_gateway_webhooks_total",
            "Webhook calls from the chat platforms, by channel and what became of them.",
            ["channel", "outcome"],
            registry=registry,
        ),
        sends=Counter(
            "bamsos_gateway_sends_total",
            "Replies sent to a chat platform's API, by channel and outcome.",
            ["channel", "outcome"],
            registry=registry,
        ),
        send_seconds=Histogram(
            "bamsos_gateway_send_seconds",
            "How long a platform's send API took to accept a message.",
            ["channel"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=registry,
        ),
        deliveries=Counter(
            "bamsos_gateway_deliveries_total",
            "Replies the platform confirmed delivered (a receipt published; step 8 closes).",
            ["channel"],
            registry=registry,
        ),
        delivery_failures=Counter(
            "bamsos_gateway_delivery_failures_total",
            "Replies the platform reported it could not deliver (step 8 stays open).",
            ["channel"],
            registry=registry,
        ),
    )
