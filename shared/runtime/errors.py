"""The one exception tree: what the worker loop retries and what it dead-letters."""

from __future__ import annotations


class BamsosError(Exception):
    """Base of every error BAMSOS raises on purpose."""


# Why a message was dead-lettered: the `reason` label of `bamsos_dead_letters_total` and the
# `x-bamsos-reason` header. Every service exports each at zero from its start, so an alert on the
# first dead letter of a kind sees it increase.
# Reasons the decoder gives, before any handler sees the message:
DECODE_REASONS: tuple[str, ...] = (
    "not_json",
    "not_object",
    "too_large",
    "unknown_schema",
    "unknown_channel",
    "bad_timestamp",
    "invalid",
)
REJECT_REASONS: tuple[str, ...] = (
    *DECODE_REASONS,
    "unknown_task",
    "unknown_reply",
    "wrong_sender",
    "missing_text",
    "escalation_not_allowed",
    "conflict",
    "handler_error",
    # The gateway's, for a reply a chat platform can't take:
    "platform_refused",
    "window_closed",
    "channel_off",
)


class Rejected(BamsosError):
    """A message that can never be processed: it goes to the dead-letter queue with `reason`.

    `reason` is a short code from a small fixed set (a metric label); `detail` is for people and
    never contains personal data.
    """

    def __init__(self, reason: str, detail: str) -> None:
        assert reason in REJECT_REASONS, reason
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class TransientError(BamsosError):
    """The broker or the database is away for now: retry with backoff, lose nothing."""


class ConfigError(BamsosError):
    """Configuration that can't work (a bad org chart, a bad setting): refused at start."""
