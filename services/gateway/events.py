"""What the platforms' webhooks and send APIs come down to, whatever the platform."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from shared.sop.contracts import TEXT_LIMIT, Channel, MediaKind

# Shown instead of a caption when a citizen sends media without text: nothing sent is dropped.
PLACEHOLDERS: dict[MediaKind, str] = {
    MediaKind.image: "[gambar tanpa keterangan]",
    MediaKind.video: "[video tanpa keterangan]",
    MediaKind.document: "[dokumen tanpa keterangan]",
    MediaKind.audio: "[pesan suara]",
    MediaKind.sticker: "[stiker]",
    MediaKind.location: "[lokasi]",
    MediaKind.contact: "[kontak]",
    MediaKind.other: "[pesan jenis lain]",
}


@dataclass(frozen=True)
class Incoming:
    """A citizen's message, ready to become a `bamsos.inquiry/1`."""

    channel: Channel
    id: str
    account: str
    name: str | None
    sent_at: datetime
    text: str
    media_kind: MediaKind | None = None
    media_id: str | None = None


@dataclass(frozen=True)
class Status:
    """What a platform says became of a message we sent: by its id, or (Messenger's read
    watermark) every message to `account` sent until `until`."""

    channel: Channel
    state: Literal["sent", "delivered", "read", "failed"]
    at: datetime
    message_id: str | None = None
    account: str | None = None
    until: datetime | None = None
    error: str | None = None  # the platform's error code when failed (no personal data)


Event = Incoming | Status


@dataclass(frozen=True)
class Request:
    """One call to a platform's send API."""

    url: str
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """How the platform answered a send: accepted (with its message id), to retry, or refused."""

    accepted: bool
    message_id: str | None = None
    retry: bool = False
    retry_after: float | None = None
    refusal: str | None = None  # why it was refused for good: a platform code, no personal data
    window_closed: bool = False  # WhatsApp/Messenger: outside the customer-service window


def from_unix(value: float, per_second: int = 1) -> datetime:
    """A platform's Unix time (`per_second=1000`: milliseconds) in UTC; ValueError when out of range."""
    try:
        return datetime.fromtimestamp(value / per_second, UTC)
    except (OverflowError, OSError) as e:  # past time_t or a float: malformed, as is NaN (ValueError)
        raise ValueError("time out of range") from e


def with_media(caption: str | None, kind: MediaKind, extra: str | None = None) -> str:
    """The inquiry's text for media: its caption, else the placeholder (with a detail like a file name)."""
    if caption and caption.strip():
        return caption.strip()[:TEXT_LIMIT]
    placeholder = PLACEHOLDERS[kind]
    return f"{placeholder[:-1]}: {extra}]"[:TEXT_LIMIT] if extra else placeholder


def split_text(text: str, limit: int) -> list[str]:
    """Parts of at most `limit` characters, cut between words (a word longer than that is cut)."""
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = rest.rfind(" ", 0, limit + 1)
        cut = max(cut, rest.rfind("\n", 0, limit + 1))
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts
