"""X (Twitter) direct messages: the Account Activity API's webhook in, the v2 DM endpoint out.

Webhook: X checks the URL with a CRC challenge (`GET ?crc_token=…`, answered with the token's
HMAC-SHA256 under the app's consumer secret, base64) and signs every POST the same way over the raw
body (`x-twitter-webhooks-signature: sha256=…`). A body's `direct_message_events[]` of type
`message_create` are DMs; one whose sender is the subscribed account (`for_user_id`) is our own,
echoed back. Typing and read indications, and the account's other activity, carry no question.
Send: `POST {api}/2/dm_conversations/with/{participant_id}/messages` with `{"text": …}` and the
account's OAuth 2.0 user token; the answer's `data.dm_event_id` names the message. X has no
delivery receipts: an accepted send is the delivery.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import replace
from typing import Any

from pydantic import BaseModel, ConfigDict

from services.gateway.events import Answer, Event, Incoming, Request, from_unix, with_media
from shared.sop.contracts import Channel, MediaKind

LIMIT = 10_000  # characters in one direct message
SIGNATURE_HEADER = "x-twitter-webhooks-signature"
KINDS = {"photo": MediaKind.image, "video": MediaKind.video, "animated_gif": MediaKind.video}


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Target(_Loose):
    recipient_id: str


class _Data(_Loose):
    text: str = ""
    attachment: dict[str, Any] | None = None


class _Create(_Loose):
    sender_id: str
    target: _Target
    message_data: _Data


class _DmEvent(_Loose):
    type: str
    id: str
    created_timestamp: str
    message_create: _Create | None = None


class _User(_Loose):
    name: str | None = None


class Webhook(_Loose):
    for_user_id: str
    direct_message_events: list[_DmEvent] = []
    users: dict[str, _User] = {}


def proof(consumer_secret: str, data: bytes) -> str:
    """`sha256=` and the base64 HMAC-SHA256 of `data` under the consumer secret: X's CRC response
    token and its webhook signature alike."""
    digest = hmac.new(consumer_secret.encode(), data, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def crc_response(consumer_secret: str, crc_token: str) -> dict[str, str]:
    return {"response_token": proof(consumer_secret, crc_token.encode())}


def authentic(consumer_secret: str, headers: Any, body: bytes) -> bool:
    given = headers.get(SIGNATURE_HEADER, "")
    return hmac.compare_digest(given.encode(), proof(consumer_secret, body).encode())


def parse(body: Any) -> list[Event]:
    """The citizens' DMs in a webhook body; raises ValidationError when it isn't one."""
    webhook = Webhook.model_validate(body)
    events: list[Event] = []
    for event in webhook.direct_message_events:
        create = event.message_create
        if event.type != "message_create" or create is None or create.sender_id == webhook.for_user_id:
            continue  # not a message, or our own echoed back
        user = webhook.users.get(create.sender_id)
        base = Incoming(
            channel=Channel.x,
            id=event.id,
            account=create.sender_id,
            name=user.name if user else None,
            sent_at=from_unix(float(event.created_timestamp), 1000),
            text="",
        )
        text = _without_media_link(create.message_data)
        attachment = create.message_data.attachment
        if attachment is None:
            events.append(replace(base, text=text or "[pesan kosong]"))
            continue
        found = attachment.get("media")
        media: dict[str, Any] = found if isinstance(found, dict) else {}
        kind = KINDS.get(str(media.get("type")), MediaKind.other)
        media_id = str(media.get("id_str") or media.get("id") or "")[:200] or None
        events.append(replace(base, text=with_media(text, kind), media_kind=kind, media_id=media_id))
    return events


def _without_media_link(data: _Data) -> str:
    """The text, without the t.co link X appends for an attached medium."""
    text = data.text.strip()
    media = (data.attachment or {}).get("media")
    link = media.get("url") if isinstance(media, dict) else None
    if isinstance(link, str) and link and text.endswith(link):
        text = text[: -len(link)].strip()
    return text


def text_request(api_url: str, token: str, account: str, text: str) -> Request:
    url = f"{api_url}/2/dm_conversations/with/{account}/messages"
    return Request(url, {"text": text}, {"Authorization": f"Bearer {token}"})


def read_answer(status: int, body: Any) -> Answer:
    """`201 {"data": {"dm_event_id": …}}` when accepted; 429 and 5xx to retry; else refused."""
    data = body.get("data") if isinstance(body, dict) else None
    if 200 <= status < 300 and isinstance(data, dict) and data.get("dm_event_id"):
        return Answer(accepted=True, message_id=str(data["dm_event_id"]))
    if status == 429 or status >= 500:
        return Answer(accepted=False, retry=True)
    title = body.get("title") if isinstance(body, dict) else None
    return Answer(accepted=False, refusal=f"http {status} {str(title or '')[:60]}".strip())
