"""Local fakes of the chat platforms, for the tests and the demo: their send APIs, and the
webhooks they send, built from the platforms' documented request and response shapes.

`FakePlatforms` serves WhatsApp's `POST /{phone_number_id}/messages`, Telegram's
`POST /bot{token}/sendMessage`, Meta's `POST /me/messages` and X's
`POST /2/dm_conversations/with/{participant_id}/messages` on one local port, records every
call, and answers as the platform does (or as a test scripts it: a 429 with Retry-After, a 500, a
refusal). The `*_webhook` functions build the bodies the platforms post to the gateway, and
`signature` signs one as WhatsApp and Meta do.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import socket
import threading
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass(frozen=True)
class Call:
    platform: str  # whatsapp, telegram, meta, x
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    answered: int  # the HTTP status the fake gave
    answer: dict[str, Any]  # and the body (an accepted send's message id is in it)

    @property
    def text(self) -> str | None:
        """The text sent, whatever the platform's shape."""
        body = self.body
        if self.platform == "whatsapp":
            text = body.get("text", {}).get("body")
        elif self.platform in ("telegram", "x"):
            text = body.get("text")
        else:
            text = body.get("message", {}).get("text")
        return str(text) if text is not None else None


@dataclass
class FakePlatforms:
    """The three send APIs on one local port; `url` is their base once started."""

    calls: list[Call] = field(default_factory=list)
    planned: dict[str, deque[tuple[int, dict[str, Any], dict[str, str]]]] = field(
        default_factory=lambda: defaultdict(deque)
    )
    url: str = ""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: uvicorn.Server | None = None

    def plan(
        self, platform: str, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        """The next call to `platform` gets this answer instead of an acceptance."""
        self.planned[platform].append((status, body, headers or {}))

    def sent(self, platform: str | None = None) -> list[Call]:
        """The accepted calls (to one platform)."""
        with self._lock:
            return [c for c in self.calls if 200 <= c.answered < 300 and platform in (None, c.platform)]

    # --- the server ---------------------------------------------------------------------------

    def start(self) -> FakePlatforms:
        port = _free_port()
        routes = [  # /me/messages first: WhatsApp's /{phone_number_id}/messages would match it too
            Route("/me/messages", self._meta, methods=["POST"]),
            Route("/bot{token}/sendMessage", self._telegram, methods=["POST"]),
            Route("/2/dm_conversations/with/{participant_id}/messages", self._x, methods=["POST"]),
            Route("/{phone_number_id}/messages", self._whatsapp, methods=["POST"]),
        ]
        config = uvicorn.Config(Starlette(routes=routes), host="127.0.0.1", port=port, log_level="warning")
        self._server = uvicorn.Server(config)
        threading.Thread(target=self._server.run, daemon=True).start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake platforms did not start")
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True

    def __enter__(self) -> FakePlatforms:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    async def _answer(
        self, platform: str, request: Request, accepted: dict[str, Any], accepted_status: int = 200
    ) -> Response:
        body = await request.json()
        with self._lock:
            status, answer, headers = (
                self.planned[platform].popleft()
                if self.planned[platform]
                else (accepted_status, accepted, {})
            )
            self.calls.append(Call(platform, request.url.path, dict(request.headers), body, status, answer))
        return JSONResponse(answer, status_code=status, headers=headers)

    async def _whatsapp(self, request: Request) -> Response:
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return JSONResponse({"error": {"message": "no token", "code": 190}}, status_code=401)
        body = await request.body()
        to = json.loads(body).get("to", "")
        accepted = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": f"wamid.{uuid.uuid4().hex}"}],
        }
        return await self._answer("whatsapp", request, accepted)

    async def _telegram(self, request: Request) -> Response:
        chat_id = (await request.json()).get("chat_id")
        result = {
            "message_id": next(self._ids),
            "chat": {"id": chat_id, "type": "private"},
            "date": int(time.time()),
        }
        return await self._answer("telegram", request, {"ok": True, "result": result})

    async def _x(self, request: Request) -> Response:
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return JSONResponse({"title": "Unauthorized", "status": 401}, status_code=401)
        participant = request.path_params["participant_id"]
        data = {
            "dm_conversation_id": f"{participant}-1000000001",
            "dm_event_id": str(1_800_000 + next(self._ids)),
        }
        return await self._answer("x", request, {"data": data}, accepted_status=201)

    async def _meta(self, request: Request) -> Response:
        recipient = (await request.json()).get("recipient", {}).get("id")
        return await self._answer(
            "meta", request, {"recipient_id": recipient, "message_id": f"m_{uuid.uuid4().hex}"}
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- what the platforms post to the gateway ---------------------------------------------------


def signature(app_secret: str, body: bytes) -> str:
    """The `X-Hub-Signature-256` header WhatsApp and Meta send with a webhook."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def _unix(at: datetime | None) -> int:
    return int((at or datetime.now(UTC)).timestamp())


def whatsapp_webhook(value: dict[str, Any]) -> dict[str, Any]:
    change = {"field": "messages", "value": {"messaging_product": "whatsapp", **value}}
    return {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [change]}]}


def whatsapp_text(
    wamid: str, sender: str, name: str, text: str, at: datetime | None = None
) -> dict[str, Any]:
    """A citizen's text message, as WhatsApp's webhook carries it."""
    return whatsapp_webhook(
        {
            "metadata": {"display_phone_number": "6281100000000", "phone_number_id": "106540352242922"},
            "contacts": [{"profile": {"name": name}, "wa_id": sender}],
            "messages": [
                {
                    "from": sender,
                    "id": wamid,
                    "timestamp": str(_unix(at)),
                    "type": "text",
                    "text": {"body": text},
                }
            ],
        }
    )


def whatsapp_status(wamid: str, recipient: str, status: str, at: datetime | None = None) -> dict[str, Any]:
    """What became of a message we sent: sent, delivered, read or failed."""
    entry: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": str(_unix(at)),
        "recipient_id": recipient,
    }
    if status == "failed":
        entry["errors"] = [{"code": 131026, "title": "Message undeliverable"}]
    return whatsapp_webhook({"statuses": [entry]})


def telegram_text(
    update_id: int, chat_id: int, message_id: int, first_name: str, text: str
) -> dict[str, Any]:
    """An `Update` carrying a private chat's text message."""
    user = {"id": chat_id, "is_bot": False, "first_name": first_name}
    message = {
        "message_id": message_id,
        "from": user,
        "chat": {"id": chat_id, "type": "private", "first_name": first_name},
        "date": _unix(None),
        "text": text,
    }
    return {"update_id": update_id, "message": message}


def meta_webhook(object_: str, messaging: list[dict[str, Any]]) -> dict[str, Any]:
    """Messenger (`page`) or Instagram (`instagram`) webhook."""
    return {
        "object": object_,
        "entry": [{"id": "PAGE_ID", "time": _unix(None) * 1000, "messaging": messaging}],
    }


def meta_text(mid: str, sender: str, text: str) -> dict[str, Any]:
    return {
        "sender": {"id": sender},
        "recipient": {"id": "PAGE_ID"},
        "timestamp": _unix(None) * 1000,
        "message": {"mid": mid, "text": text},
    }


# --- what is no question: reactions, and group chats ----------------------------------------------


def whatsapp_reaction(wamid: str, sender: str, reacted_to: str, emoji: str | None) -> dict[str, Any]:
    """A citizen's reaction to one of our messages; `emoji=None`: the reaction taken off (WhatsApp
    then leaves the `emoji` field out)."""
    reaction: dict[str, Any] = {"message_id": reacted_to}
    if emoji is not None:
        reaction["emoji"] = emoji
    message = {"from": sender, "id": wamid, "timestamp": str(_unix(None)), "type": "reaction"}
    return whatsapp_webhook(
        {
            "metadata": {"display_phone_number": "6281100000000", "phone_number_id": "106540352242922"},
            "contacts": [{"profile": {"name": "Warga"}, "wa_id": sender}],
            "messages": [{**message, "reaction": reaction}],
        }
    )


def meta_reaction(
    sender: str, mid: str, action: str = "react", emoji: str = "\u2764\ufe0f"
) -> dict[str, Any]:
    """A `message_reactions` messaging item (Messenger and Instagram alike); unreact carries no emoji."""
    reaction: dict[str, Any] = {"mid": mid, "action": action}
    if action == "react":
        reaction |= {"reaction": "love", "emoji": emoji}
    return {
        "sender": {"id": sender},
        "recipient": {"id": "PAGE_ID"},
        "timestamp": _unix(None) * 1000,
        "reaction": reaction,
    }


def telegram_reaction(update_id: int, chat_id: int, message_id: int, emoji: str | None) -> dict[str, Any]:
    """A `message_reaction` update (the bot must be an administrator of a group, or in a private
    chat, and ask for it in `allowed_updates`); `emoji=None`: the reaction taken off."""
    new = [{"type": "emoji", "emoji": emoji}] if emoji else []
    old = [] if emoji else [{"type": "emoji", "emoji": "\U0001f44d"}]
    reaction = {
        "chat": {"id": chat_id, "type": "private", "first_name": "Warga"},
        "message_id": message_id,
        "user": {"id": chat_id, "is_bot": False, "first_name": "Warga"},
        "date": _unix(None),
        "old_reaction": old,
        "new_reaction": new,
    }
    return {"update_id": update_id, "message_reaction": reaction}


def telegram_group_text(
    update_id: int,
    chat_id: int,
    message_id: int,
    text: str,
    *,
    chat_type: str = "supergroup",
    entities: list[dict[str, Any]] | None = None,
    reply_to: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A text message in a group chat (`chat.type` group, supergroup or channel), with its entities
    (a `mention` of the bot) or the message it replies to."""
    message: dict[str, Any] = {
        "message_id": message_id,
        "from": {"id": 777001, "is_bot": False, "first_name": "Warga"},
        "chat": {"id": chat_id, "title": "Warga RT 05", "type": chat_type},
        "date": _unix(None),
        "text": text,
    }
    if entities is not None:
        message["entities"] = entities
    if reply_to is not None:
        message["reply_to_message"] = reply_to
    return {"update_id": update_id, "message": message}


# --- X's Account Activity API -----------------------------------------------------------------


def x_signature(consumer_secret: str, body: bytes) -> str:
    """The `x-twitter-webhooks-signature` header X sends: base64, not hex as Meta's."""
    digest = hmac.new(consumer_secret.encode(), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def x_dm(
    event_id: str, sender: str, text: str, *, to: str = "1580000000000000000", name: str = "Warga"
) -> dict[str, Any]:
    """An Account Activity webhook body with one direct message to the subscribed account `to`."""
    created = {
        "type": "message_create",
        "id": event_id,
        "created_timestamp": str(_unix(None) * 1000),
        "message_create": {
            "target": {"recipient_id": to},
            "sender_id": sender,
            "source_app_id": "268278",
            "message_data": {
                "text": text,
                "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []},
            },
        },
    }
    users = {
        sender: {"id": sender, "name": name, "screen_name": "warga_pku", "protected": False},
        to: {"id": to, "name": "Disdukcapil", "screen_name": "disdukcapil", "protected": False},
    }
    return {"for_user_id": to, "direct_message_events": [created], "users": users}
