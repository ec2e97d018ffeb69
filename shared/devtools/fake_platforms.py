"""Local fakes of the chat platforms, for the tests and the demo: their send APIs, and the
webhooks they send, built from the platforms' documented request and response shapes.

`FakePlatforms` serves WhatsApp's `POST /{phone_number_id}/messages`, Telegram's
`POST /bot{token}/sendMessage` and Meta's `POST /me/messages` on one local port, records every
call, and answers as the platform does (or as a test scripts it: a 429 with Retry-After, a 500, a
refusal). The `*_webhook` functions build the bodies the platforms post to the gateway, and
`signature` signs one as WhatsApp and Meta do.
"""

from __future__ import annotations

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
    platform: str  # whatsapp, telegram, meta
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
        elif self.platform == "telegram":
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
            return [c for c in self.calls if c.answered == 200 and platform in (None, c.platform)]

    # --- the server ---------------------------------------------------------------------------

    def start(self) -> FakePlatforms:
        port = _free_port()
        routes = [  # /me/messages first: WhatsApp's /{phone_number_id}/messages would match it too
            Route("/me/messages", self._meta, methods=["POST"]),
            Route("/bot{token}/sendMessage", self._telegram, methods=["POST"]),
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

    async def _answer(self, platform: str, request: Request, accepted: dict[str, Any]) -> Response:
        body = await request.json()
        with self._lock:
            status, answer, headers = (
                self.planned[platform].popleft() if self.planned[platform] else (200, accepted, {})
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
