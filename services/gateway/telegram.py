"""Telegram Bot API: an `Update` in, `sendMessage` out.

Telegram has no delivery receipts: a send answered `ok: true` is the delivery. Its webhook is
authenticated by the secret token set with `setWebhook`, sent back in a header.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.gateway.events import Answer, Event, Incoming, Request, from_unix, with_media
from shared.sop.contracts import Channel, MediaKind

LIMIT = 4096
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _User(_Loose):
    first_name: str | None = None
    last_name: str | None = None


class _Chat(_Loose):
    id: int


class _File(_Loose):
    file_id: str
    file_name: str | None = None


class _Message(_Loose):
    message_id: int
    sender: _User | None = Field(None, alias="from")
    chat: _Chat
    date: int
    text: str | None = None
    caption: str | None = None
    photo: list[_File] | None = None
    video: _File | None = None
    document: _File | None = None
    voice: _File | None = None
    audio: _File | None = None
    sticker: _File | None = None
    location: dict[str, Any] | None = None
    contact: dict[str, Any] | None = None


class Update(_Loose):
    update_id: int
    message: _Message | None = None


def parse(body: Any) -> list[Event]:
    """The citizen's message in an update (edits, channel posts and the like carry none)."""
    message = Update.model_validate(body).message
    if message is None:
        return []
    name = (
        " ".join(p for p in (message.sender.first_name, message.sender.last_name) if p)
        if message.sender
        else ""
    )
    base = Incoming(
        channel=Channel.telegram,
        id=f"{message.chat.id}:{message.message_id}",
        account=str(message.chat.id),
        name=name or None,
        sent_at=from_unix(message.date),
        text="",
    )
    if message.text and message.text.strip():
        return [replace(base, text=message.text.strip())]
    kind, media = _media(message)
    text = with_media(message.caption, kind, media.file_name if media else None)
    return [replace(base, text=text, media_kind=kind, media_id=media.file_id if media else None)]


def _media(message: _Message) -> tuple[MediaKind, _File | None]:
    if message.photo:
        return MediaKind.image, message.photo[-1]  # the largest size
    for kind, media in (
        (MediaKind.video, message.video),
        (MediaKind.document, message.document),
        (MediaKind.audio, message.voice or message.audio),
        (MediaKind.sticker, message.sticker),
    ):
        if media is not None:
            return kind, media
    if message.location is not None:
        return MediaKind.location, None
    if message.contact is not None:
        return MediaKind.contact, None
    return MediaKind.other, None


def text_request(api_url: str, token: str, account: str, text: str) -> Request:
    return Request(f"{api_url}/bot{token}/sendMessage", {"chat_id": account, "text": text})


def read_answer(status: int, body: Any) -> Answer:
    """`{"ok": true, "result": {"message_id": …}}`, or `ok: false` with `error_code`."""
    if isinstance(body, dict) and body.get("ok") is True:
        # Message ids count per chat: with the chat's id they name one message.
        result = body.get("result")
        result = result if isinstance(result, dict) else {}
        chat = result.get("chat")
        chat_id = chat.get("id") if isinstance(chat, dict) else None
        message_id = result.get("message_id")
        named = f"{chat_id}:{message_id}" if chat_id is not None and message_id is not None else None
        return Answer(accepted=True, message_id=named)
    code = body.get("error_code", status) if isinstance(body, dict) else status
    if code == 429 or status == 429 or status >= 500:
        parameters = body.get("parameters") if isinstance(body, dict) else None
        after = parameters.get("retry_after") if isinstance(parameters, dict) else None
        return Answer(accepted=False, retry=True, retry_after=float(after) if after else None)
    return Answer(accepted=False, refusal=f"http {status} code {code}")
