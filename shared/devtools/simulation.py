"""Simulated people around the pipeline, for the demo, the chaos run and the end-to-end tests.

- `publish_inquiries` publishes as a chat connector does.
- `Staff` play every unit: take a task from the unit's queue (acking at once, as the SOP's officer
  takes the file), work for a while, then publish a result in Bahasa Indonesia.
- `Connector` takes the replies off `bamsos.replies` and confirms their delivery.

Each actor runs on one thread with its own pika connection (pika is not thread-safe) and reconnects
by itself when the broker goes away, keeping what it still owes (results, receipts) to send later.
Connections go through the workers' `amqp.connect`, so a cluster's list of node URLs works too.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import json
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self

import pika
from pika.exceptions import AMQPError

from shared.runtime import logs, topology
from shared.runtime.worker import amqp, message_properties, to_json
from shared.sop.contracts import Channel, Inquiry, Outcome, Receipt, Role, Task, TaskResult, Topic
from shared.sop.orgchart import OrgChart

log = logs.get("bamsos.simulation")

OFFICERS: dict[Role, list[str]] = {
    Role.admin: ["Rina (admin)", "Dedi (admin)"],
    Role.kasi: ["Kasi Hendra", "Kasi Yuli"],
    Role.kabid: ["Kabid Syafrizal"],
    Role.editor: ["Operator Wahyu"],
    Role.pickup: ["Petugas Sari"],
}

ANSWERS: dict[Role, str] = {
    Role.admin: (
        "Terima kasih telah menghubungi Disdukcapil. Persyaratannya: fotokopi KK, KTP-el asli, "
        "dan formulir F-1.02. Layanan buka Senin-Jumat pukul 08.00-15.00 WIB."
    ),
    Role.kasi: (
        "Sesuai kebijakan pelayanan, permohonan dapat diproses dengan surat keterangan dari "
        "kelurahan. Silakan datang ke loket dengan membawa berkas asli."
    ),
    Role.kabid: (
        "Setelah kami konsultasikan dengan Kepala Bidang, permohonan Bapak/Ibu dapat dilayani. "
        "Mohon bawa dokumen pendukung ke kantor Disdukcapil."
    ),
    Role.editor: (
        "Data Bapak/Ibu sudah kami perbaiki di SIAK dan dokumen diterbitkan ulang. Dokumen baru "
        "dapat diambil di loket 3 mulai besok."
    ),
    Role.pickup: (
        "Dokumen Bapak/Ibu sudah terbit dan dapat diambil di loket pengambilan dokumen lantai 1, "
        "Senin-Jumat pukul 08.00-15.00 WIB, dengan membawa bukti pendaftaran."
    ),
}


def _now() -> datetime:
    return datetime.now(UTC)


def _transactional(connection: Any) -> Any:
    """A channel for an actor's own messages: published together, in one AMQP transaction, so a
    burst costs one wait for the broker (tx.commit-ok: the broker has them) rather than one each."""
    channel = connection.channel()
    channel.tx_select()
    return channel


def _persistent_json() -> pika.BasicProperties:
    return pika.BasicProperties(content_type="application/json", delivery_mode=2)


class _Actor:
    """A thread with its own connection that reconnects until stopped."""

    def __init__(self, amqp_url: str) -> None:
        self.amqp_url = amqp_url
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name=type(self).__name__)
        self.reconnects = 0

    def start(self) -> Self:
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                connection = amqp.connect(self.amqp_url)
            except AMQPError:
                self._stop.wait(0.5)
                continue
            try:
                self._session(connection)
            except AMQPError as e:
                self.reconnects += 1
                log.info("simulator_reconnecting", actor=type(self).__name__, error=type(e).__name__)
            finally:
                if connection.is_open:
                    with contextlib.suppress(AMQPError):
                        connection.close()

    def _session(self, connection: Any) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class Did:
    """What an officer did with one task, as the simulated staff remember it (the chaos run checks
    the control card's path against these)."""

    inquiry_id: str
    task_id: str
    step: int
    role: str
    outcome: str
    topic: str | None  # the topic the officer set (a triage or a re-route), else None


class Staff(_Actor):
    """Every unit's officers, answering each task after `think(task)` real seconds.

    `escalate(task)` says whether the officer escalates instead of answering: True escalates, a
    `Topic` escalates setting that topic (the admin's triage, a head or the pickup desk re-routing),
    False answers. By default a section head escalates every third policy question, so the kasi ->
    kabid path runs too. `rng` picks the officer's name (a seeded one makes a run reproducible).
    """

    def __init__(
        self,
        amqp_url: str,
        chart: OrgChart,
        think: Callable[[Task], float] = lambda _task: 0.0,
        escalate: Callable[[Task], bool | Topic] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(amqp_url)
        self.chart = chart
        self.think = think
        self.escalate = escalate
        self.rng = rng or random.Random()
        self.answers: dict[str, str] = {}  # task_id -> text sent
        self.tasks_seen: list[Task] = []
        self.notices_seen: list[Task] = []  # as delivered: a redelivered notice appears twice
        self.did: list[Did] = []  # in the order the officers acted
        self._seen_ids: set[str] = set()
        self._due: list[tuple[float, int, Task]] = []
        self._order = itertools.count()
        self._unsent: list[TaskResult] = []
        self._count = 0

    def _decide(self, task: Task) -> TaskResult:
        self._count += 1
        if self.escalate is not None:
            choice = self.escalate(task)
        else:
            choice = task.role is Role.kasi and task.step == 3 and self._count % 3 == 0
        escalating = choice is not False
        topic = choice if isinstance(choice, Topic) else None
        text = None if escalating else ANSWERS[task.role]
        if escalating:
            outcome = Outcome.escalated
        elif task.role in (Role.editor, Role.pickup):
            outcome = Outcome.done
        else:
            outcome = Outcome.answered
        if text:
            self.answers[task.task_id] = text
        self.did.append(
            Did(
                task.inquiry_id,
                task.task_id,
                task.step,
                task.role.value,
                outcome.value,
                topic.value if topic else None,
            )
        )
        officer = self.rng.choice(OFFICERS[task.role])
        return TaskResult(
            task_id=task.task_id, officer=officer, outcome=outcome, text=text, at=_now(), topic=topic
        )

    def _session(self, connection: Any) -> None:
        channel = connection.channel()
        channel.basic_qos(prefetch_count=50)
        outbound = _transactional(connection)

        def on_task(ch: Any, method: Any, _props: Any, body: bytes) -> None:
            task = Task.model_validate_json(body)
            if task.kind == "notice":
                self.notices_seen.append(task)
            elif task.task_id not in self._seen_ids:  # a task sent twice is worked once
                self._seen_ids.add(task.task_id)
                self.tasks_seen.append(task)
                heapq.heappush(self._due, (time.monotonic() + self.think(task), next(self._order), task))
            ch.basic_ack(method.delivery_tag)

        for key in self.chart.unit_keys():
            channel.basic_consume(topology.TASK_QUEUE_PREFIX + key, on_task)
        self._ready.set()
        while not self._stop.is_set():
            connection.process_data_events(time_limit=0.05)
            while self._due and self._due[0][0] <= time.monotonic():
                _, _, task = heapq.heappop(self._due)
                self._unsent.append(self._decide(task))
            if self._unsent:
                # One transaction for what is due; if the broker goes away the results stay owed.
                for result in self._unsent:
                    outbound.basic_publish(
                        topology.EVENTS, topology.TASK_RESULT, to_json(result), _persistent_json()
                    )
                outbound.tx_commit()
                self._unsent.clear()


class Connector(_Actor):
    """The chat connector's side: collects replies and notices and (optionally) sends delivery
    receipts. With `citizens` (a share, 0-1) the citizens write back as people do: that share asks
    "cek status" after the acknowledgement, and that share rates the service when surveyed.
    `now` stamps the receipts (a test on a frozen SOP clock passes the same frozen time)."""

    def __init__(
        self,
        amqp_url: str,
        receipts: bool = True,
        citizens: float = 0.0,
        seed: int | None = None,
        now: Callable[[], datetime] = _now,
    ) -> None:
        super().__init__(amqp_url)
        self.receipts = receipts
        self.now = now
        self.citizens = citizens
        self._rng = random.Random(seed)
        self.replies: list[dict[str, Any]] = []
        self.notices: list[dict[str, Any]] = []
        self.citizen_messages: list[Inquiry] = []  # status requests and ratings they sent
        self.arrived: dict[str, float] = {}  # upstream id -> time.monotonic() of its reply
        self.redelivered = 0
        self._unsent: list[tuple[str, Receipt | Inquiry]] = []

    def _session(self, connection: Any) -> None:
        channel = connection.channel()
        outbound = _transactional(connection)

        def on_reply(ch: Any, method: Any, _props: Any, body: bytes) -> None:
            reply = json.loads(body)
            if reply.get("schema") == "bamsos.citizen-notice/1":
                self._on_notice(reply)
                ch.basic_ack(method.delivery_tag)
                return
            if method.redelivered and any(r["reply_id"] == reply["reply_id"] for r in self.replies):
                self.redelivered += 1  # our ack was lost with the connection: not a second reply
            else:
                self.replies.append(reply)
                self.arrived[reply["in_reply_to"]] = time.monotonic()
                if self.receipts:
                    receipt = Receipt(reply_id=reply["reply_id"], delivered_at=self.now())
                    self._unsent.append((f"receipt.{reply['channel']}", receipt))
            ch.basic_ack(method.delivery_tag)

        channel.basic_consume(topology.REPLIES_QUEUE, on_reply)
        self._ready.set()
        while not self._stop.is_set():
            connection.process_data_events(time_limit=0.05)
            if self._unsent:
                for key, message in self._unsent:
                    outbound.basic_publish(topology.INBOUND, key, to_json(message), _persistent_json())
                outbound.tx_commit()
                self._unsent.clear()

    def _on_notice(self, notice: dict[str, Any]) -> None:
        self.notices.append(notice)
        kind, ticket = notice["kind"], notice.get("ticket")
        if ticket is None or self._rng.random() >= self.citizens:
            return
        if kind == "acknowledged":
            text = self._rng.choice(["cek status {t}", "Cek status {t} min", "status {t}?"]).format(t=ticket)
        elif kind == "survey":
            text = self._rng.choice(["4", "3", "3/4", "⭐⭐⭐⭐", "puas", "baik", "sangat baik", "2"])
        else:
            return
        message = Inquiry(
            id=uuid.uuid4().hex[:16],
            channel=Channel(notice["channel"]),
            account=notice["account"],
            sent_at=_now(),
            text=text,
        )
        self.citizen_messages.append(message)
        self._unsent.append((f"inquiry.{message.channel.value}", message))


@dataclass
class Publisher:
    """Publishes inquiries as a connector does: persistent, confirmed; retries until confirmed."""

    amqp_url: str
    published: int = 0
    retries: int = 0
    _connection: Any = field(default=None, repr=False)
    _channel: Any = field(default=None, repr=False)

    def publish(self, inquiry: Inquiry) -> None:
        body = to_json(inquiry)
        properties = message_properties(f"{inquiry.channel.value}-{inquiry.id}", "connector")
        while True:
            try:
                if self._channel is None:
                    self._connection = amqp.connect(self.amqp_url)
                    self._channel = self._connection.channel()
                    self._channel.confirm_delivery()
                self._channel.basic_publish(
                    topology.INBOUND, f"inquiry.{inquiry.channel.value}", body, properties, mandatory=True
                )
                self.published += 1
                return
            except AMQPError:
                # Unconfirmed: send again (intake de-duplicates on channel and id).
                self.retries += 1
                self.close()
                time.sleep(0.5)

    def close(self) -> None:
        if self._connection is not None and self._connection.is_open:
            with contextlib.suppress(AMQPError):
                self._connection.close()
        self._connection = self._channel = None


def publish_inquiries(amqp_url: str, inquiries: list[Inquiry]) -> None:
    publisher = Publisher(amqp_url)
    try:
        for inquiry in inquiries:
            publisher.publish(inquiry)
    finally:
        publisher.close()
