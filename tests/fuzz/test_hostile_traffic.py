"""Thousands of hostile messages at the two entries, valid traffic in between, on the real servers:
every bad one is dead-lettered with a reason and counted, every good one handled once, no worker dies."""

from __future__ import annotations

import json
import uuid

import pika
import pytest
import sqlalchemy as sa

from shared.runtime import topology
from shared.runtime.settings import Settings
from shared.runtime.storage import inquiries, make_engine
from tests.fuzz.hostile import REASONS, hostile_batch
from tests.helpers import INQUIRY, InProcess, drain, ready_count, wait_for

pytestmark = pytest.mark.integration

HOSTILE = 10_000
VALID = 60


def test_hostile_inquiries_and_results_are_dead_lettered_and_valid_traffic_is_unaffected(
    settings: Settings,
) -> None:
    bodies = hostile_batch(HOSTILE, seed=2026)
    unknown_results = [
        json.dumps(
            {
                "schema": "bamsos.task-result/1",
                "task_id": f"admin-{uuid.uuid4().hex}",
                "officer": "X",
                "outcome": "answered",
                "text": "jawaban palsu",
                "at": "2026-11-24T01:00:00Z",
            }
        ).encode()
        for _ in range(200)
    ]
    with InProcess("intake", settings) as intake, InProcess("router", settings) as router:
        connection = pika.BlockingConnection(pika.URLParameters(settings.amqp_url))
        channel = connection.channel()
        properties = pika.BasicProperties(delivery_mode=2)
        valid_after = set(range(0, HOSTILE, HOSTILE // VALID)[:VALID])
        for n, body in enumerate(bodies):
            channel.basic_publish(topology.INBOUND, "inquiry.web", body, properties)
            if n in valid_after:
                good = json.dumps({**INQUIRY, "id": f"good-{n}"}).encode()
                channel.basic_publish(topology.INBOUND, "inquiry.instagram", good, properties)
        for body in unknown_results:
            channel.basic_publish(topology.EVENTS, topology.TASK_RESULT, body, properties)
        connection.close()
        engine = make_engine(settings.database_url)

        def registered() -> int:
            with engine.connect() as db:
                return int(db.scalar(sa.select(sa.func.count()).select_from(inquiries)) or 0)

        total_bad = HOSTILE + len(unknown_results)
        wait_for(lambda: registered() == VALID, timeout=120, what="every valid inquiry registered")
        wait_for(
            lambda: ready_count(settings.amqp_url, topology.DEAD_LETTER_QUEUE) == total_bad,
            timeout=120,
            what="every hostile message dead-lettered",
        )
        assert intake.thread.is_alive() and router.thread.is_alive(), "no worker died"

        def counted() -> tuple[float, float]:
            intake_dead = sum(
                intake.worker.metrics.dead_letters.labels("intake", r)._value.get() for r in REASONS
            )
            router_dead = router.worker.metrics.dead_letters.labels("router", "unknown_task")._value.get()
            return intake_dead, router_dead

        # A batch's dead letters are counted just after its broker commit: wait for the last one.
        expected = (HOSTILE, len(unknown_results))
        wait_for(lambda: counted() == expected, what="every dead letter counted by its reason")
    assert counted() == expected
    dead = drain(settings.amqp_url, topology.DEAD_LETTER_QUEUE)
    assert all(d.properties.headers["x-bamsos-reason"] for d in dead)
    assert ready_count(settings.amqp_url, "bamsos.intake") == 0
    assert ready_count(settings.amqp_url, "bamsos.tasks.admin") == VALID, "one task per valid inquiry"
