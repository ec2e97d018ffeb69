"""Replies out: consume `bamsos.replies`, send each reply (and each citizen notice: the
acknowledgement, a status, the survey) once through its platform's API.

For each reply, in order:
1. Look before sending: a reply whose send is recorded is not sent again (a redelivery after a
   crash between the platform's answer and the ack); the parts of a long reply already out are
   skipped.
2. Pick the messages: the text cut at the platform's limit between words, or, past the platform's
   customer-service window (WhatsApp's 24 hours), the configured template (noted on the control
   card).
3. Send, at most `BAMSOS_GATEWAY_SEND_RATE` calls a second per channel; 429, 5xx and network
   errors are retried with backoff (and the platform's Retry-After), then the reply goes back to
   the queue. Each accepted part is recorded at once.
4. Record the send, publish Telegram's receipt (its accepted send is the delivery), then ack.
A reply the platform refuses for good (bad recipient, closed window) is dead-lettered with the
reason, and `bamsos dlq list` shows it; nothing is dropped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import httpx
from pika.exceptions import AMQPError
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from services.gateway import book
from services.gateway.events import Answer, Request, split_text
from services.gateway.metrics import GatewayMetrics
from services.gateway.platforms import Platform, by_channel
from shared.runtime import logs, topology
from shared.runtime.errors import Rejected
from shared.runtime.worker import amqp, message_properties, to_json
from shared.runtime.worker.decoding import Delivery
from shared.sop import controlcard
from shared.sop.contracts import Channel, CitizenNotice, Receipt, Reply

log = logs.get("bamsos.gateway")


def _retry_after(header: str | None) -> float | None:
    """HTTP's Retry-After in seconds (the date form is rare on these APIs and taken as unknown)."""
    try:
        return max(0.0, float(header)) if header else None
    except ValueError:
        return None


@dataclass(frozen=True)
class ToSend:
    """A reply (the SOP's answer: step 8, its receipt) or a citizen notice, as the sender sees it."""

    key: str  # the reply_id or the notice_id
    channel: Channel
    account: str
    text: str
    is_reply: bool


def to_send(body: bytes) -> ToSend:
    """Decode what came on bamsos.replies; raises ValidationError for anything else."""
    try:
        reply = Reply.model_validate_json(body)
        return ToSend(reply.reply_id, reply.channel, reply.account, reply.text, is_reply=True)
    except ValidationError:
        notice = CitizenNotice.model_validate_json(body)
        return ToSend(notice.notice_id, notice.channel, notice.account, notice.text, is_reply=False)


class TryLater(Exception):
    """The platform did not take the message after every attempt: requeue the reply."""


class Sender:
    def __init__(
        self,
        platforms: dict[str, Platform],
        *,
        amqp_url: str,
        engine: Engine,
        metrics: GatewayMetrics,
        rate: float,
        attempts: int,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.channels = by_channel(platforms)
        self.amqp_url = amqp_url
        self.engine = engine
        self.metrics = metrics
        self.interval = 1.0 / rate
        self.attempts = attempts
        self.now = now
        self.http = httpx.Client(timeout=10.0)
        self._next_call: dict[str, float] = {}

    # --- the loop -------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        transient = (AMQPError, DBAPIError, OSError)
        amqp.keep_serving(lambda: self._serve(stop), stop, log.bind(service="gateway"), transient)
        self.http.close()

    def _serve(self, stop: threading.Event) -> None:
        with amqp.connected(self.amqp_url) as connection:
            channel = connection.channel()
            channel.confirm_delivery()  # dead letters and receipts are confirmed before the ack
            channel.basic_qos(prefetch_count=10)

            def send_one(batch: list[Delivery]) -> None:
                (delivery,) = batch
                try:
                    self.deliver(channel, connection, delivery)
                    channel.basic_ack(delivery.tag)
                except TryLater:
                    channel.basic_nack(delivery.tag, requeue=True)
                    connection.sleep(5.0)

            amqp.consume(connection, channel, topology.REPLIES_QUEUE, stop, send_one)

    # --- one reply ------------------------------------------------------------------------------

    def deliver(self, channel: Any, connection: Any, delivery: Delivery) -> None:
        """Send one reply (or dead-letter it); returns when it may be acked."""
        try:
            reply = to_send(delivery.body)
        except ValidationError:
            detail = "not a bamsos.reply/1 or bamsos.citizen-notice/1"
            self._dead(channel, delivery, Rejected("invalid", detail))
            return
        label = reply.channel.value
        platform = self.channels.get(reply.channel)
        if platform is None:
            self.metrics.sends.labels(label, "no_platform").inc()
            self._dead(channel, delivery, Rejected("channel_off", f"no platform is set up for {label}"))
            return
        with self.engine.connect() as db:
            state = book.state_of(db, reply.key)
            done = book.parts_sent(db, reply.key)
            # Only a platform with a service window cares when the citizen last wrote.
            windowed = platform.service_window is not None
            last = book.last_message_at(db, label, reply.account) if windowed else None
        if state is not None:
            # Sent before this delivery (a redelivery): only the receipt may still be owed.
            if platform.delivered_on_send and reply.is_reply and state == "sent":
                self._receipt(channel, reply, self.now())
            return
        requests, via_template = self._requests(platform, reply, last)
        if not requests:
            self.metrics.sends.labels(label, "window_closed").inc()
            detail = "past the 24-hour window and no BAMSOS_WHATSAPP_TEMPLATE is set"
            self._dead(channel, delivery, Rejected("window_closed", detail))
            return
        for part, request in enumerate(requests):
            if part in done:
                continue
            answer = self._send(connection, label, platform, request)
            if not answer.accepted:
                outcome = "window_closed" if answer.window_closed else "refused"
                self.metrics.sends.labels(label, outcome).inc()
                reason = "window_closed" if answer.window_closed else "platform_refused"
                self._dead(channel, delivery, Rejected(reason, f"{label}: {answer.refusal}"))
                return
            with self.engine.begin() as db:
                book.record_part(db, reply.key, part, answer.message_id or f"{reply.key}:{part}", self.now())
        at = self.now()
        with self.engine.begin() as db:
            book.record_sent(
                db, reply.key, label, reply.account, at, via_template=via_template, is_reply=reply.is_reply
            )
            if via_template:
                note = f"Dikirim dengan templat WhatsApp '{platform.template_name}': lewat jendela 24 jam."
                controlcard.note_reply(db, reply.key, note)
        self.metrics.sends.labels(label, "template" if via_template else "sent").inc()
        if platform.delivered_on_send and reply.is_reply:
            self._receipt(channel, reply, at)

    def _requests(
        self, platform: Platform, reply: ToSend, last: datetime | None
    ) -> tuple[list[Request], bool]:
        """The messages to send, and whether they are the template (past the service window)."""
        window = platform.service_window
        if window is not None and last is not None and self.now() - last > window:
            if platform.template_request is None or not reply.is_reply:
                return [], False  # a notice past the window is not worth a template
            return [platform.template_request(reply.account)], True
        return [
            platform.text_request(reply.account, part)
            for part in split_text(reply.text, platform.channel_limits.get(reply.channel, platform.limit))
        ], False

    def _send(self, connection: Any, label: str, platform: Platform, request: Request) -> Answer:
        """One platform call, retried on 429/5xx/network errors; TryLater when they never stop."""
        for attempt in range(self.attempts):
            self._pace(connection, label)
            started = time.perf_counter()
            try:
                response = self.http.post(request.url, json=request.body, headers=request.headers)
                try:
                    body = response.json()
                except ValueError:
                    body = None
                answer = platform.read_answer(response.status_code, body)
                if answer.retry and answer.retry_after is None:
                    answer = replace(answer, retry_after=_retry_after(response.headers.get("retry-after")))
            except httpx.HTTPError:
                answer = Answer(accepted=False, retry=True)
            if answer.accepted:
                self.metrics.send_seconds.labels(label).observe(time.perf_counter() - started)
            if not answer.retry:
                return answer
            self.metrics.sends.labels(label, "retried").inc()
            wait = answer.retry_after if answer.retry_after is not None else min(0.5 * 2**attempt, 30.0)
            log.warning("send_retry", channel=label, attempt=attempt + 1, wait=wait)
            connection.sleep(min(wait, 60.0))
        raise TryLater(label)

    def _pace(self, connection: Any, label: str) -> None:
        """At most one call per `interval` seconds per channel (sleeping keeps the broker's heartbeat)."""
        wait = self._next_call.get(label, 0.0) - time.monotonic()
        if wait > 0:
            connection.sleep(wait)
        self._next_call[label] = time.monotonic() + self.interval

    def _receipt(self, channel: Any, reply: ToSend, at: datetime) -> None:
        receipt = Receipt(reply_id=reply.key, delivered_at=at)
        properties = message_properties(f"receipt-{reply.key}", "bamsos.gateway")
        key = f"receipt.{reply.channel.value}"
        channel.basic_publish(topology.INBOUND, key, to_json(receipt), properties=properties)
        self.metrics.deliveries.labels(reply.channel.value).inc()

    def _dead(self, channel: Any, delivery: Delivery, rejected: Rejected) -> None:
        amqp.dead_letter(channel, "gateway", delivery, rejected, queue=topology.REPLIES_QUEUE)
