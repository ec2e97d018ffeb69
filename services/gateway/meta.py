"""Meta's Messenger and Instagram webhooks, and the Send API.

`object: "page"` is Messenger (channel `facebook`), `object: "instagram"` is Instagram. Each
`entry[].messaging[]` item is a message (`message.mid`, `sender.id`), an echo of our own (ignored),
a delivery (`delivery.mids`), a read (`read.watermark` on Messenger, `read.mid` on Instagram), or a
reaction (`reaction.action`: react or unreact), which is no question.
`standby` entries belong to another app of the page (handover protocol) and are ignored.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from services.gateway.events import (
    Answer,
    Event,
    Incoming,
    Reaction,
    Request,
    Status,
    from_unix,
    with_media,
)
from shared.sop.contracts import Channel, MediaKind

LIMIT = 2000  # Messenger's text limit
INSTAGRAM_LIMIT = 1000  # Instagram's is 1000 bytes; Indonesian text is nearly all one byte a character
OBJECTS = {"page": Channel.facebook, "instagram": Channel.instagram}
# Send API error subcodes for "outside the allowed window" (the 24-hour messaging window).
WINDOW_SUBCODES = {2018278, 2534022}
KINDS = {
    "image": MediaKind.image,
    "video": MediaKind.video,
    "audio": MediaKind.audio,
    "file": MediaKind.document,
    "location": MediaKind.location,
    "sticker": MediaKind.sticker,
    "like_heart": MediaKind.sticker,  # Instagram's heart sent as a message
}


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Party(_Loose):
    id: str


class _Attachment(_Loose):
    type: str
    payload: dict[str, Any] | None = None


class _Message(_Loose):
    mid: str
    text: str | None = None
    is_echo: bool = False
    attachments: list[_Attachment] = []


class _Delivery(_Loose):
    mids: list[str] = []
    watermark: int | None = None


class _Read(_Loose):
    watermark: int | None = None
    mid: str | None = None


class _Messaging(_Loose):
    sender: _Party
    recipient: _Party | None = None
    timestamp: int | None = None  # Meta's delivery events carry none
    message: _Message | None = None
    delivery: _Delivery | None = None
    read: _Read | None = None
    reaction: dict[str, Any] | None = None


class _Entry(_Loose):
    id: str | None = None
    messaging: list[_Messaging] = []


class Webhook(_Loose):
    object: str
    entry: list[_Entry]


def parse(body: Any) -> list[Event]:
    """The events in a webhook body; raises ValidationError when it isn't one, ValueError for an
    object other than a page or an Instagram account."""
    webhook = Webhook.model_validate(body)
    channel = OBJECTS.get(webhook.object)
    if channel is None:
        raise ValueError(f"object {webhook.object[:40]!r} is neither page nor instagram")
    events: list[Event] = []
    for entry in webhook.entry:
        for item in entry.messaging:
            events += _events(channel, item)
    return events


def _events(channel: Channel, item: _Messaging) -> list[Event]:
    # Dated by the platform; a delivery, which carries no timestamp, when it reaches us.
    at = from_unix(item.timestamp, 1000) if item.timestamp is not None else datetime.now(UTC)
    if item.reaction is not None:
        return [Reaction(channel)]
    if item.message is not None:
        message = item.message
        if message.is_echo:
            return []
        base = Incoming(
            channel=channel, id=message.mid, account=item.sender.id, name=None, sent_at=at, text=""
        )
        if message.text and message.text.strip():
            return [replace(base, text=message.text.strip())]
        attachment = message.attachments[0] if message.attachments else None
        kind = KINDS.get(attachment.type, MediaKind.other) if attachment else MediaKind.other
        payload = (attachment.payload or {}) if attachment else {}
        if payload.get("sticker_id"):  # Messenger's stickers (its thumbs-up too) come as images
            kind = MediaKind.sticker
        url = payload.get("url")
        media_id = str(url)[:500] if url else None
        return [replace(base, text=with_media(None, kind), media_kind=kind, media_id=media_id)]
    if item.delivery is not None:
        if item.delivery.mids:
            return [Status(channel, "delivered", at, message_id=mid) for mid in item.delivery.mids]
        if item.delivery.watermark is not None:  # no mids (older clients): all sent until the watermark
            until = from_unix(item.delivery.watermark, 1000)
            return [Status(channel, "delivered", at, account=item.sender.id, until=until)]
        return []
    if item.read is not None:
        if item.read.mid:
            return [Status(channel, "read", at, message_id=item.read.mid)]
        if item.read.watermark is not None:
            until = from_unix(item.read.watermark, 1000)
            return [Status(channel, "read", at, account=item.sender.id, until=until)]
    return []


def text_request(api_url: str, token: str, account: str, text: str) -> Request:
    body = {"recipient": {"id": account}, "messaging_type": "RESPONSE", "message": {"text": text}}
    return Request(f"{api_url}/me/messages", body, {"Authorization": f"Bearer {token}"})


def read_answer(status: int, body: Any) -> Answer:
    """`{"recipient_id", "message_id"}` when accepted, else `error.code` / `error_subcode`."""
    if 200 <= status < 300 and isinstance(body, dict) and body.get("message_id"):
        return Answer(accepted=True, message_id=str(body["message_id"]))
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    code, subcode = error.get("code"), error.get("error_subcode")
    if status == 429 or status >= 500 or code in (4, 32, 613):  # throttled or platform trouble
        return Answer(accepted=False, retry=True)
    return Answer(
        accepted=False,
        refusal=f"http {status} code {code}/{subcode}",
        window_closed=subcode in WINDOW_SUBCODES or code == 10,
    )
