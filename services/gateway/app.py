"""The webhooks: `/webhooks/whatsapp`, `/webhooks/telegram`, `/webhooks/meta`.

Every POST is checked first (the HMAC-SHA256 signature of the raw body, or Telegram's secret
token, compared in constant time): a forged one gets 401 and publishes nothing. Its messages and
statuses are published with publisher confirms, and only then is the platform answered 200; a
broker or database that is away gets 503, and the platform delivers the webhook again. A platform
whose secrets are not set answers 404.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from services.gateway import book, telegram
from services.gateway.events import Incoming, Status
from services.gateway.metrics import GatewayMetrics
from services.gateway.platforms import Platform
from services.gateway.publisher import Publisher, Unavailable
from shared.runtime import logs, topology
from shared.runtime.worker import to_json
from shared.sop.contracts import TEXT_LIMIT, Inquiry, Receipt

log = logs.get("bamsos.gateway")
MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Gateway:
    platforms: dict[str, Platform]
    publisher: Publisher
    engine: Engine
    metrics: GatewayMetrics


def create_app(gateway: Gateway) -> Starlette:
    async def handshake(request: Request) -> Response:
        platform = gateway.platforms.get(request.path_params["platform"])
        if platform is None or platform.verify_token is None:
            return PlainTextResponse("not found", status_code=404)
        q = request.query_params
        token = q.get("hub.verify_token", "")
        if q.get("hub.mode") == "subscribe" and hmac.compare_digest(
            token.encode(), platform.verify_token.encode()
        ):
            return PlainTextResponse(q.get("hub.challenge", ""))
        return PlainTextResponse("forbidden", status_code=403)

    async def webhook(request: Request) -> Response:
        platform = gateway.platforms.get(request.path_params["platform"])
        if platform is None:
            return PlainTextResponse("not found", status_code=404)
        body = await request.body()
        label = platform.channels[0].value
        if len(body) > MAX_BODY_BYTES:
            gateway.metrics.webhooks.labels(label, "malformed").inc()
            return PlainTextResponse("too large", status_code=413)
        if not authentic(platform, request.headers, body):
            gateway.metrics.webhooks.labels(label, "bad_signature").inc()
            log.warning("webhook_refused", platform=platform.name, reason="bad_signature")
            return PlainTextResponse("unauthorized", status_code=401)
        try:
            events = platform.parse(json.loads(body))
        except (ValueError, ValidationError, RecursionError):  # JSONDecodeError is a ValueError
            gateway.metrics.webhooks.labels(label, "malformed").inc()
            log.warning("webhook_refused", platform=platform.name, reason="malformed")
            return PlainTextResponse("malformed", status_code=400)
        try:
            outcomes = await run_in_threadpool(take, gateway, events)
        except (Unavailable, DBAPIError) as e:
            gateway.metrics.webhooks.labels(label, "unavailable").inc()
            log.warning("webhook_unavailable", platform=platform.name, error=type(e).__name__)
            return PlainTextResponse("try again", status_code=503)
        except ValueError:  # what the inquiry contract or the database can't hold (a long id, a NUL)
            gateway.metrics.webhooks.labels(label, "malformed").inc()
            log.warning("webhook_refused", platform=platform.name, reason="malformed")
            return PlainTextResponse("malformed", status_code=400)
        for channel, outcome in outcomes or [(label, "ignored")]:
            gateway.metrics.webhooks.labels(channel, outcome).inc()
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/webhooks/{platform}", handshake, methods=["GET"]),
            Route("/webhooks/{platform}", webhook, methods=["POST"]),
            Route("/healthz", lambda _request: PlainTextResponse("ok"), methods=["GET"]),
        ]
    )


def authentic(platform: Platform, headers: Any, body: bytes) -> bool:
    """The platform's proof that it sent this body, compared in constant time."""
    if platform.secret_token is not None:
        given = headers.get(telegram.SECRET_HEADER, "")  # header names match case-insensitively
        return hmac.compare_digest(given.encode(), platform.secret_token.encode())
    if platform.app_secret is None:
        return False
    expected = "sha256=" + hmac.new(platform.app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers.get("x-hub-signature-256", "").encode(), expected.encode())


def take(gateway: Gateway, events: list[Incoming | Status]) -> list[tuple[str, str]]:
    """Publish what the events mean (confirmed by the broker), in order; (channel, outcome) each."""
    outcomes = []
    for event in events:
        channel = event.channel.value
        if isinstance(event, Incoming):
            outcomes.append((channel, _take_message(gateway, event)))
        else:
            outcomes += [(channel, o) for o in _take_status(gateway, event)]
    return outcomes


def _take_message(gateway: Gateway, event: Incoming) -> str:
    with gateway.engine.connect() as db:
        if book.already_registered(db, event.channel.value, event.id):
            return "duplicate"  # the platform's retry of what we have
    inquiry = Inquiry(
        id=event.id,
        channel=event.channel,
        account=event.account,
        name=_clean(event.name)[:200] or None if event.name else None,
        sent_at=event.sent_at,
        text=_clean(event.text)[:TEXT_LIMIT] or "[pesan kosong]",
        media_kind=event.media_kind,
        media_id=event.media_id,
    )
    message_id = f"{event.channel.value}:{event.id}"
    gateway.publisher.publish(
        topology.INBOUND, f"inquiry.{event.channel.value}", to_json(inquiry), message_id
    )
    return "accepted"


def _take_status(gateway: Gateway, status: Status) -> list[str]:
    if status.state == "sent":
        return ["ignored"]
    outcomes = []
    with gateway.engine.connect() as db:
        for reply_id, state in book.replies_of(db, status):
            if status.state == "failed":
                with gateway.engine.begin() as tx:
                    book.mark(tx, reply_id, "failed")
                gateway.metrics.delivery_failures.labels(status.channel.value).inc()
                log.warning("delivery_failed", channel=status.channel.value, error=status.error)
                outcomes.append("accepted")
            elif state == "delivered":
                outcomes.append("duplicate")  # states only move forward: read after delivered
            else:
                # Published before it is marked, so a broker outage leaves it to the retry.
                receipt = Receipt(reply_id=reply_id, delivered_at=status.at)
                key = f"receipt.{status.channel.value}"
                gateway.publisher.publish(topology.INBOUND, key, to_json(receipt), f"receipt-{reply_id}")
                with gateway.engine.begin() as tx:
                    book.mark(tx, reply_id, "delivered", status.at)
                gateway.metrics.deliveries.labels(status.channel.value).inc()
                outcomes.append("accepted")
    return outcomes or ["ignored"]


def _clean(text: str) -> str:
    """Without NUL characters, which PostgreSQL's text can't hold (a hostile client's, never a citizen's)."""
    return text.replace("\x00", "").strip()
