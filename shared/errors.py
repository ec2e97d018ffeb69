"""The one exception tree: what the worker loop retries and what it dead-letters."""

from __future__ import annotations


class BamsosError(Exception):
    """Base of every error BAMSOS raises on purpose."""


class Rejected(BamsosError):
    """A message that can never be processed: it goes to the dead-letter queue with `reason`.

    `reason` is a short code from a small fixed set (a metric label); `detail` is for people and
    never contains personal data.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class TransientError(BamsosError):
    """The broker or the database is away for now: retry with backoff, lose nothing."""


class ConfigError(BamsosError):
    """Configuration that can't work (a bad org chart, a bad setting): refused at start."""
