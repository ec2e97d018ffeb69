"""Thousands of hostile messages at the two entries, valid traffic in between, on the real servers:
every bad one is dead-lettered with the reason its kind must get and counted under it, every good
one handled once, no worker dies."""

from __future__ import annotations

import json
import uuid
from collections import Counter

import pika
import pytest
import sqlalchemy as sa

from shared.runtime import topology
from shared.runtime.settings import Settings
from shared.runtime.storage import inquiries, make_engine
from shared.runtime.worker.amqp import connect
from tests.fuzz.hostile import REASONS, hostile_batch
from tests.helpers import INQUIRY, InProcess, drain, ready_count, wait_for

pytestmark = pytest.mark.integration

HOSTILE = 10_000
VALID = 60
# Intake's body limit for this run: a smaller one keeps the too-large kind cheap for the broker.
LIMIT = 8 * 1024


def test_hostile_inquiries_and_results_are_dead_lettered_and_valid_traffic_is_unaffected(
    settings: Settings,
) -> None:
    settings = settings.model_copy(update={"max_message_bytes": LIMIT})
    hostile = hostile_batch(HOSTILE, seed=2026, limit=LIMIT)
    expected_reason = {h.body: h.reason for h in hostile}
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
        connection = connect(settings.amqp_url)
        channel = connection.channel()
        properties = pika.BasicProperties(delivery_mode=2)
        valid_after = set(range(0, HOSTILE, HOSTILE // VALID)[:VALID])
        for n, (body, _) in enumerate(hostile):
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

        def counted() -> tuple[dict[str, float], float]:
            intake_dead = {
                r: intake.worker.metrics.dead_letters.labels("intake", r)._value.get() for r in REASONS
            }
            router_dead = router.worker.metrics.dead_letters.labels("router", "unknown_task")._value.get()
            return {r: n for r, n in intake_dead.items() if n}, router_dead

        # A batch's dead letters are counted just after its broker commit: wait for the last one.
        expected = (dict(Counter(h.reason for h in hostile)), len(unknown_results))
        assert set(expected[0]) == REASONS, "every reason the decoder gives is in the flood"
        wait_for(lambda: counted() == expected, what="every dead letter counted by its reason")
    assert counted() == expected
    dead = drain(settings.amqp_url, topology.DEAD_LETTER_QUEUE)
    wrong = Counter(
        (expected_reason[d.body], d.properties.headers["x-bamsos-reason"])
        for d in dead
        if d.body in expected_reason and d.properties.headers["x-bamsos-reason"] != expected_reason[d.body]
    )
    assert not wrong, f"(expected, given) reasons: {wrong}"
    assert Counter(d.properties.headers["x-bamsos-reason"] for d in dead) == Counter(
        {**expected[0], "unknown_task": len(unknown_results)}
    )
    assert ready_count(settings.amqp_url, "bamsos.intake") == 0
    assert ready_count(settings.amqp_url, "bamsos.tasks.admin") == VALID, "one task per valid inquiry"
