"""Simulated people around the pipeline, for the demo and the end-to-end tests.

- `Citizens` publish inquiries the way a chat connector does.
- `Staff` play every unit: take a task from the unit's queue (acking at once, as the SOP's officer
  takes the file), work for a while in SOP time, then publish a result in Bahasa Indonesia.
- `Connector` takes the replies off `bamsos.replies` and confirms their delivery.

Each runs on one thread with its own pika connection (pika is not thread-safe).
"""

from __future__ import annotations

import heapq
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pika

from shared import topology
from shared.contracts import Inquiry, Outcome, Receipt, Role, Task, TaskResult, to_json
from shared.orgchart import OrgChart
from shared.worker import message_properties

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


@dataclass
class Staff:
    """Every unit's officers, answering each task after `think()` real seconds.

    `escalate(task)` says whether the officer escalates instead of answering; by default a section
    head escalates every third policy question, so the kasi -> kabid path runs too.
    """

    amqp_url: str
    chart: OrgChart
    think: Callable[[Task], float] = lambda _task: 0.0
    escalate: Callable[[Task], bool] | None = None
    answers: dict[str, str] = field(default_factory=dict)  # task_id -> text sent
    tasks_seen: list[Task] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _count: int = 0

    def start(self) -> Staff:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(10)

    def _decide(self, task: Task) -> tuple[Outcome, str | None]:
        self._count += 1
        if self.escalate is not None:
            escalating = self.escalate(task)
        else:
            escalating = task.role is Role.kasi and task.step == 3 and self._count % 3 == 0
        if escalating:
            return Outcome.escalated, None
        officer_answer = ANSWERS[task.role]
        outcome = Outcome.done if task.role in (Role.editor, Role.pickup) else Outcome.answered
        return outcome, officer_answer

    def _run(self, ready: threading.Event) -> None:
        connection = pika.BlockingConnection(pika.URLParameters(self.amqp_url))
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_qos(prefetch_count=50)
        due: list[tuple[float, int, Task]] = []

        def on_task(ch: Any, method: Any, _props: Any, body: bytes) -> None:
            task = Task.model_validate_json(body)
            if task.kind == "task":
                self.tasks_seen.append(task)
                heapq.heappush(due, (time.monotonic() + self.think(task), method.delivery_tag, task))
            ch.basic_ack(method.delivery_tag)

        for key in topology.task_keys(self.chart):
            channel.basic_consume(topology.TASK_QUEUE_PREFIX + key, on_task)
        ready.set()
        try:
            while not self._stop.is_set():
                connection.process_data_events(time_limit=0.05)
                while due and due[0][0] <= time.monotonic():
                    _, _, task = heapq.heappop(due)
                    outcome, text = self._decide(task)
                    result = TaskResult(
                        task_id=task.task_id,
                        officer=random.choice(OFFICERS[task.role]),
                        outcome=outcome,
                        text=text,
                        at=_now(),
                    )
                    if text:
                        self.answers[task.task_id] = text
                    channel.basic_publish(
                        topology.EVENTS,
                        topology.TASK_RESULT,
                        to_json(result),
                        properties=pika.BasicProperties(content_type="application/json", delivery_mode=2),
                    )
        finally:
            connection.close()


@dataclass
class Connector:
    """The chat connector's side: collects replies and (optionally) sends delivery receipts."""

    amqp_url: str
    receipts: bool = True
    replies: list[dict[str, Any]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Connector:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(10)

    def _run(self, ready: threading.Event) -> None:
        connection = pika.BlockingConnection(pika.URLParameters(self.amqp_url))
        channel = connection.channel()
        channel.confirm_delivery()

        def on_reply(ch: Any, method: Any, _props: Any, body: bytes) -> None:
            reply = json.loads(body)
            self.replies.append(reply)
            if self.receipts:
                receipt = Receipt(reply_id=reply["reply_id"], delivered_at=_now())
                ch.basic_publish(
                    topology.INBOUND,
                    f"receipt.{reply['channel']}",
                    to_json(receipt),
                    properties=pika.BasicProperties(content_type="application/json", delivery_mode=2),
                )
            ch.basic_ack(method.delivery_tag)

        channel.basic_consume(topology.REPLIES_QUEUE, on_reply)
        ready.set()
        try:
            while not self._stop.is_set():
                connection.process_data_events(time_limit=0.1)
        finally:
            connection.close()


def publish_inquiries(amqp_url: str, inquiries: list[Inquiry]) -> None:
    """Publish as the chat connector does: persistent, confirmed, to `inquiry.<channel>`."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        for inquiry in inquiries:
            channel.basic_publish(
                topology.INBOUND,
                f"inquiry.{inquiry.channel.value}",
                to_json(inquiry),
                properties=message_properties(f"{inquiry.channel.value}-{inquiry.id}", "connector"),
                mandatory=True,
            )
    finally:
        connection.close()
