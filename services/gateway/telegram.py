"""Telegram Bot API: an `Update` in, `sendMessage` out.

Telegram has no delivery receipts: a send answered `ok: true` is the delivery. Its webhook is
authenticated by the secret token set with `setWebhook`, sent back in a header.

Only a private chat (`chat.type: private`) is a citizen's conversation. A message in a group, a
supergroup or a channel is a `GroupMessage`: addressed to the bot when it mentions the bot's
username, or replies to one of the bot's messages (the bot's id is the number its token starts
with). Reactions (`message_reaction`, `message_reaction_count` updates) are `Reaction`s.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.gateway.events import (
    Answer,
    Event,
    GroupMessage,
    Incoming,
    Reaction,
    Request,
    from_unix,
    with_media,
)
from shared.sop.contracts import Channel, MediaKind

LIMIT = 4096
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _User(_Loose):
    id: int | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class _Chat(_Loose):
    id: int
    type: str = "private"


class _Entity(_Loose):
    type: str
    offset: int
    length: int
    user: _User | None = None


class _Replied(_Loose):
    sender: _User | None = Field(None, alias="from")


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
    entities: list[_Entity] = []
    caption_entities: list[_Entity] = []
    reply_to_message: _Replied | None = None
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
    message_reaction: dict[str, Any] | None = None
    message_reaction_count: dict[str, Any] | None = None


@dataclass(frozen=True)
class Bot:
    """Who the bot is, to tell a group message addressed to it: its id, and its username if known."""

    id: int | None
    username: str | None

    @classmethod
    def of(cls, token: str, username: str | None) -> Bot:
        number = token.partition(":")[0]
        return cls(int(number) if number.isdigit() else None, (username or "").lstrip("@").lower() or None)


def parse(body: Any, bot: Bot | None = None) -> list[Event]:
    """The citizen's message in an update (edits, channel posts and the like carry none)."""
    update = Update.model_validate(body)
    if update.message_reaction is not None or update.message_reaction_count is not None:
        return [Reaction(Channel.telegram)]
    message = update.message
    if message is None:
        return []
    if message.chat.type != "private":
        chat = str(message.chat.id)
        addressed = bot is not None and _addresses(message, bot)
        return [GroupMessage(Channel.telegram, f"{chat}:{message.message_id}", chat, addressed)]
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


def _addresses(message: _Message, bot: Bot) -> bool:
    """A reply to one of the bot's messages, or a mention of it (`@username`, or a text mention)."""
    replied = message.reply_to_message
    if replied is not None and replied.sender is not None and replied.sender.id == bot.id:
        return True
    text = message.text or message.caption or ""
    # Entity offsets count UTF-16 code units (an emoji before the mention counts two).
    units = text.encode("utf-16-le")
    for entity in message.entities or message.caption_entities:
        if entity.type == "text_mention" and entity.user is not None and entity.user.id == bot.id:
            return True
        if entity.type in ("mention", "bot_command") and bot.username:
            named = units[2 * entity.offset : 2 * (entity.offset + entity.length)].decode(
                "utf-16-le", errors="replace"
            )
            if named.lower().rpartition("@")[2] == bot.username and "@" in named:
                return True
    return False


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
