"""WhatsApp Business Cloud API: its webhook's shapes, and its send API's requests and answers.

Webhook: `entry[].changes[].value` holds `messages[]` (what citizens sent, with `contacts[]` for
their profile names) and `statuses[]` (what became of what we sent: sent, delivered, read,
failed). Send: `POST {api}/{phone_number_id}/messages` with a bearer token; the answer's
`messages[0].id` (a `wamid`) names the message in later status webhooks.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.gateway.events import Answer, Event, Incoming, Request, Status, from_unix, with_media
from shared.sop.contracts import Channel, MediaKind

LIMIT = 4096  # characters in one text message
# Free text only within 24 hours of the citizen's last message; after it, an approved template.
SERVICE_WINDOW = timedelta(hours=24)
STATES = ("sent", "delivered", "read", "failed")
# Error codes that mean "outside the 24-hour customer-service window" (re-engagement required).
WINDOW_CODES = {131047}
KINDS = {
    "image": MediaKind.image,
    "video": MediaKind.video,
    "document": MediaKind.document,
    "audio": MediaKind.audio,
    "voice": MediaKind.audio,
    "sticker": MediaKind.sticker,
    "location": MediaKind.location,
    "contacts": MediaKind.contact,
}


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Media(_Loose):
    id: str | None = None
    caption: str | None = None
    filename: str | None = None


class _Text(_Loose):
    body: str


class _Message(_Loose):
    sender: str = Field(alias="from")
    id: str
    timestamp: str
    type: str
    text: _Text | None = None
    image: _Media | None = None
    video: _Media | None = None
    document: _Media | None = None
    audio: _Media | None = None
    voice: _Media | None = None
    sticker: _Media | None = None


class _Error(_Loose):
    code: int | None = None


class _Status(_Loose):
    id: str
    status: str
    timestamp: str
    errors: list[_Error] = []


class _Profile(_Loose):
    name: str | None = None


class _Contact(_Loose):
    wa_id: str | None = None
    profile: _Profile | None = None


class _Value(_Loose):
    messages: list[_Message] = []
    statuses: list[_Status] = []
    contacts: list[_Contact] = []


class _Change(_Loose):
    value: _Value


class _Entry(_Loose):
    changes: list[_Change] = []


class Webhook(_Loose):
    object: str
    entry: list[_Entry]


def parse(body: Any) -> list[Event]:
    """The events in a webhook body; raises pydantic's ValidationError when it isn't one."""
    events: list[Event] = []
    for entry in Webhook.model_validate(body).entry:
        for change in entry.changes:
            value = change.value
            names = {c.wa_id: c.profile.name for c in value.contacts if c.profile}
            events += [_incoming(m, names.get(m.sender)) for m in value.messages]
            events += [_status(s) for s in value.statuses if s.status in STATES]
    return events


def _incoming(message: _Message, name: str | None) -> Incoming:
    sent_at = from_unix(float(message.timestamp))
    base = Incoming(
        channel=Channel.whatsapp, id=message.id, account=message.sender, name=name, sent_at=sent_at, text=""
    )
    if message.type == "text" and message.text is not None:
        return replace(base, text=message.text.body.strip() or "[pesan kosong]")
    kind = KINDS.get(message.type, MediaKind.other)
    media: _Media | None = getattr(message, message.type, None) if message.type in KINDS else None
    text = with_media(media.caption if media else None, kind, media.filename if media else None)
    return replace(base, text=text, media_kind=kind, media_id=media.id if media else None)


def _status(status: _Status) -> Status:
    error = str(status.errors[0].code) if status.errors and status.errors[0].code is not None else None
    return Status(
        channel=Channel.whatsapp,
        state=status.status,  # type: ignore[arg-type]  # filtered to the four states above
        at=from_unix(float(status.timestamp)),
        message_id=status.id,
        error=error,
    )


def text_request(api_url: str, phone_number_id: str, token: str, account: str, text: str) -> Request:
    body = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": account,
        "type": "text",
        "text": {"body": text},
    }
    return Request(f"{api_url}/{phone_number_id}/messages", body, {"Authorization": f"Bearer {token}"})


def template_request(
    api_url: str, phone_number_id: str, token: str, account: str, name: str, language: str
) -> Request:
    body = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": account,
        "type": "template",
        "template": {"name": name, "language": {"code": language}},
    }
    return Request(f"{api_url}/{phone_number_id}/messages", body, {"Authorization": f"Bearer {token}"})


def read_answer(status: int, body: Any) -> Answer:
    """The send API's answer: `messages[0].id` when accepted, else its `error.code`."""
    if 200 <= status < 300 and isinstance(body, dict):
        messages = body.get("messages")
        if (
            isinstance(messages, list)
            and messages
            and isinstance(messages[0], dict)
            and messages[0].get("id")
        ):
            return Answer(accepted=True, message_id=str(messages[0]["id"]))
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    if status == 429 or status >= 500 or code in (4, 80007, 130429, 131056):  # throttled (131056: pair rate)
        return Answer(accepted=False, retry=True)
    return Answer(accepted=False, refusal=f"http {status} code {code}", window_closed=code in WINDOW_CODES)
