"""The website chat box: `/widget/bamsos.js` (the one script an office pastes into its site) and its
API under `/widget/`, on when `BAMSOS_WEB_ORIGINS` lists the office's sites.

- `POST /widget/messages` `{"text", "name"?, "website", "visitor"?}`: a visitor's question becomes a
  `bamsos.inquiry/1` on channel `web` (published with confirms, as a webhook's), kept in the
  conversation. `website` is a honeypot that people never see: a script that fills it is told
  "ok" and nothing is published. The visitor is the signed id in the cookie, else the one the box
  holds (`visitor`; also `?visitor=` on the stream) where the browser refuses the cookie.
- `GET /widget/stream`: the conversation as server-sent events, from the last event the browser
  has (`Last-Event-ID`), else the last messages. The sender keeps replies and notices for channel
  `web` in the database; a reply the stream has sent is its delivery (the receipt closes step 8).

Only pages of the listed origins may call the API (CORS with credentials for exactly those; any
other origin is refused with 403 before anything is read). Per client address: a few messages a
minute (`BAMSOS_WEB_MESSAGES_PER_MINUTE`), a few open streams, 16 KiB a body.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DBAPIError
from sse_starlette import EventSourceResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from services.gateway import webbook
from services.gateway.events import Event, Incoming, Status
from services.gateway.publisher import Unavailable
from services.gateway.webguard import COOKIE, COOKIE_DAYS, MAX_BODY_BYTES, WebBox, new_visitor
from shared.runtime import logs
from shared.sop.contracts import TEXT_LIMIT, Channel

if TYPE_CHECKING:
    from services.gateway.app import Gateway

log = logs.get("bamsos.gateway")
SCRIPT = Path(__file__).parent / "static" / "bamsos.js"
POLL_SECONDS = 1.0  # how soon an answer kept for the visitor shows in their open box
Take = Callable[["Gateway", list[Event]], list[tuple[str, str]]]


def routes(gateway: Gateway, box: WebBox, take: Take) -> list[Route]:
    """The box's routes; `take` publishes events as the webhooks do (services/gateway/app.py)."""

    def refuse(origin: str | None, status: int, outcome: str, text: str) -> Response:
        gateway.metrics.webhooks.labels("web", outcome).inc()
        log.info("web_refused", reason=outcome)
        return _cors(JSONResponse({"error": text}, status_code=status), box, origin)

    async def preflight(request: Request) -> Response:
        origin = request.headers.get("origin")
        if not box.allowed(origin):
            return refuse(origin, 403, "bad_origin", "origin not allowed")
        headers = {
            "Access-Control-Allow-Methods": "GET, POST",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "600",
        }
        return _cors(Response(status_code=204, headers=headers), box, origin)

    async def post_message(request: Request) -> Response:
        origin = request.headers.get("origin")
        if not box.allowed(origin):
            return refuse(origin, 403, "bad_origin", "origin not allowed")
        if not box.pace.allow(_address(request)):
            response = refuse(origin, 429, "rate_limited", "terlalu banyak pesan, coba lagi sebentar lagi")
            response.headers["Retry-After"] = "60"
            return response
        body = await _body(request)
        if body is None:
            return refuse(origin, 413, "too_large", "pesan terlalu panjang")
        form = _form(body)
        if form is None:
            return refuse(origin, 400, "malformed", "pesan tidak terbaca")
        if form.honey:  # a script filled the field people never see: "ok", and nothing is published
            gateway.metrics.webhooks.labels("web", "honeypot").inc()
            return _cors(JSONResponse({"status": "ok"}, status_code=202), box, origin)
        if len(form.text) > TEXT_LIMIT:
            return refuse(origin, 413, "too_large", f"pesan paling banyak {TEXT_LIMIT} karakter")
        visitor = box.visitor(request.cookies.get(COOKIE)) or box.visitor(form.visitor) or new_visitor()
        event = Incoming(
            channel=Channel.web,
            id=uuid.uuid4().hex,
            account=visitor,
            name=form.name,
            sent_at=datetime.now(UTC),
            text=form.text,
        )
        try:
            await run_in_threadpool(_take_question, gateway, take, event)
        except (Unavailable, DBAPIError) as e:
            gateway.metrics.webhooks.labels("web", "unavailable").inc()
            log.warning("web_unavailable", error=type(e).__name__)
            return _cors(JSONResponse({"error": "coba lagi"}, status_code=503), box, origin)
        gateway.metrics.webhooks.labels("web", "accepted").inc()
        # The signed id also in the answer: the box keeps it for the open page where the browser
        # refuses the cookie (Safari blocks every third-party cookie).
        signed = box.cookie_for(visitor)
        answer = {"status": "ok", "id": event.id, "visitor": signed}
        response = _cors(JSONResponse(answer, status_code=202), box, origin)
        _set_cookie(response, request, signed)
        return response

    async def stream(request: Request) -> Response:
        origin = request.headers.get("origin")
        if origin is not None and not box.allowed(origin):  # same-origin GETs carry no Origin
            return refuse(origin, 403, "bad_origin", "origin not allowed")
        visitor = box.visitor(request.cookies.get(COOKIE)) or box.visitor(request.query_params.get("visitor"))
        if visitor is None:  # nothing asked yet: 204 tells EventSource not to reconnect
            return _cors(Response(status_code=204), box, origin)
        address = _address(request)
        if not box.streams.enter(address):
            return refuse(origin, 429, "rate_limited", "terlalu banyak percakapan terbuka")
        after = _last_event_id(request.headers.get("last-event-id"))
        events = _conversation(gateway, take, box, address, visitor, after)
        response = EventSourceResponse(events, ping=15, headers={"Cache-Control": "no-store"})
        return _cors(response, box, origin)

    async def script(_request: Request) -> Response:
        return FileResponse(
            SCRIPT, media_type="text/javascript", headers={"Cache-Control": "public, max-age=300"}
        )

    return [
        Route("/widget/bamsos.js", script, methods=["GET"]),
        Route("/widget/messages", preflight, methods=["OPTIONS"]),
        Route("/widget/messages", post_message, methods=["POST"]),
        Route("/widget/stream", preflight, methods=["OPTIONS"]),
        Route("/widget/stream", stream, methods=["GET"]),
    ]


def _take_question(gateway: Gateway, take: Take, event: Incoming) -> None:
    """Keep the question in the conversation and publish it, in one transaction: a broker that is
    away leaves neither (the visitor is asked to try again)."""
    with gateway.engine.begin() as db:
        webbook.keep_question(db, event.account, event.text, event.sent_at)
        take(gateway, [event])


async def _conversation(
    gateway: Gateway, take: Take, box: WebBox, address: str, visitor: str, after: int | None
) -> AsyncIterator[dict[str, str]]:
    """The visitor's messages as they come; each reply sent is recorded as delivered."""
    try:
        first = True
        while True:
            lines = await run_in_threadpool(_lines, gateway, visitor, after)
            for line in lines:
                yield {"id": str(line.id), "event": "pesan", "data": json.dumps(_shown(line))}
                after = line.id
            if lines or first:
                await run_in_threadpool(_received, gateway, take, visitor, [line.id for line in lines])
            first = False
            await asyncio.sleep(POLL_SECONDS)
    except DBAPIError as e:  # the browser reconnects from its last event
        log.warning("web_stream_failed", error=type(e).__name__)
    finally:
        box.streams.leave(address)


def _lines(gateway: Gateway, visitor: str, after: int | None) -> list[webbook.Line]:
    with gateway.engine.connect() as db:
        return webbook.lines_after(db, visitor, after)


def _received(gateway: Gateway, take: Take, visitor: str, ids: list[int]) -> None:
    """Mark what the stream sent as seen, then the replies' deliveries (as a platform's delivery
    status would: the receipt is published, then the send marked delivered)."""
    now = datetime.now(UTC)
    with gateway.engine.begin() as db:
        if ids:
            webbook.mark_seen(db, ids, now)
        owed = webbook.receipts_owed(db, visitor)
    statuses: list[Event] = [
        Status(channel=Channel.web, state="delivered", at=at, message_id=reply_id) for reply_id, at in owed
    ]
    if statuses:
        try:
            take(gateway, statuses)
        except Unavailable:  # owed still: published when the stream next sends something
            log.warning("web_receipt_unavailable")


def _shown(line: webbook.Line) -> dict[str, Any]:
    return {"from": line.sender, "kind": line.kind, "text": line.text, "at": line.at.isoformat()}


def _cors(response: Response, box: WebBox, origin: str | None) -> Response:
    if box.allowed(origin):
        response.headers["Access-Control-Allow-Origin"] = origin or ""
        response.headers["Access-Control-Allow-Credentials"] = "true"
    response.headers["Vary"] = "Origin"
    return response


def _set_cookie(response: Response, request: Request, signed: str) -> None:
    """Over https the cookie goes with the office's page's requests (another site):
    SameSite=None; Secure; Partitioned (kept per office site where browsers block third-party
    cookies). Over plain http (a developer's 127.0.0.1) browsers refuse SameSite=None without
    Secure: Lax, which a page on another port of the same host still sends (same site)."""
    secure = request.url.scheme == "https"
    response.set_cookie(
        COOKIE,
        signed,
        max_age=COOKIE_DAYS * 86400,
        path="/widget/",
        httponly=True,
        secure=secure,
        samesite="none" if secure else "lax",
        partitioned=secure,
    )


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _body(request: Request) -> bytes | None:
    """The body, or None past MAX_BODY_BYTES (stopped reading there)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return body


@dataclass(frozen=True)
class _Form:
    text: str
    name: str | None
    honey: bool  # the field people never see was filled
    visitor: str | None  # the signed visitor id the box holds, where the browser keeps no cookie


def _form(body: bytes) -> _Form | None:
    """What the box posted; None when it is not the box's JSON."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    text, name, visitor = data.get("text"), data.get("name"), data.get("visitor")
    if not isinstance(text, str) or not text.strip() or not isinstance(name, str | None):
        return None
    # PostgreSQL's text can't hold NUL (a hostile client's, never a citizen's).
    text, name = text.replace("\x00", "").strip(), (name or "").replace("\x00", "").strip()
    return _Form(text, name or None, bool(data.get("website")), visitor if isinstance(visitor, str) else None)


def _last_event_id(header: str | None) -> int | None:
    return int(header) if header and header.isdigit() and len(header) < 19 else None
