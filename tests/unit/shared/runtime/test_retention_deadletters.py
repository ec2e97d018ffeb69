"""Retention on the broker: dead letters older than the period lose their body (the citizen's
message) and keep their headers; younger ones, and what the broker dead-lettered itself, come back
exactly as they were, in order; one pass ends even though it puts every letter back in the queue."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pika
import pytest

from shared.runtime import topology
from shared.runtime.deadletters import REDACTED_AT, REDACTED_BODY, Redacted, browse, replay
from shared.runtime.retention import erase_dead_letters
from shared.runtime.settings import Settings
from shared.runtime.worker.amqp import connect
from tests.helpers import INQUIRY, Got, InProcess, drain, publish, ready_count, wait_for

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
PERSONAL = json.dumps(INQUIRY).encode()  # names the account `sitilestari` and Siti's text


def dead_letter(amqp_url: str, body: bytes, message_id: str, headers: dict[str, object]) -> None:
    """Put a letter in bamsos.dead.letters as a worker's dead_letter() does."""
    connection = connect(amqp_url)
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        properties = pika.BasicProperties(
            content_type="application/json",
            delivery_mode=pika.DeliveryMode.Persistent,
            message_id=message_id,
            app_id="bamsos.intake",
            headers={
                "x-bamsos-reason": "unknown_channel",
                "x-bamsos-detail": "channel: Input should be 'instagram', ...",
                "x-bamsos-queue": "bamsos.intake",
                "x-bamsos-service": "intake",
                **headers,
            },
        )
        channel.basic_publish(topology.DEAD, "bamsos.intake", body, properties)
    finally:
        connection.close()


def rejected_by_the_broker(amqp_url: str, body: bytes) -> None:
    """A letter the broker dead-letters itself (as a quorum queue's delivery limit does): it carries
    `x-death`, not our headers."""
    publish(amqp_url, topology.INBOUND, "inquiry.web", body, message_id="broker-1")
    connection = connect(amqp_url)
    try:
        channel = connection.channel()
        method, _, _ = channel.basic_get("bamsos.intake", auto_ack=False)
        assert method is not None
        channel.basic_reject(method.delivery_tag, requeue=False)
    finally:
        connection.close()
    wait_for(lambda: ready_count(amqp_url, topology.DEAD_LETTER_QUEUE) > 0, what="the broker's dead letter")


def ours(letter: Got) -> dict[str, object]:
    return {k: v for k, v in (letter.properties.headers or {}).items() if k != REDACTED_AT}


def test_old_bodies_are_erased_with_their_headers_kept_and_the_rest_come_back_unchanged_in_order(
    amqp_url: str,
) -> None:
    dead_at = {
        "old": NOW - timedelta(days=400),
        "young": NOW - timedelta(days=10),
        "just-old": NOW - timedelta(days=365, seconds=1),
    }
    for message_id, at in dead_at.items():
        dead_letter(amqp_url, PERSONAL, message_id, {"x-bamsos-dead-at": at.isoformat()})
    dead_letter(amqp_url, PERSONAL, "undated", {})
    rejected_by_the_broker(amqp_url, PERSONAL)  # dead now, by the broker's clock: young
    before = {d.properties.message_id: d for d in drain(amqp_url, topology.DEAD_LETTER_QUEUE)}
    assert set(before) == {*dead_at, "undated", "broker-1"}
    for got in before.values():  # put them back as they were, in the same order
        requeue(amqp_url, got)

    assert erase_dead_letters(amqp_url, older_than_days=365, now=NOW) == Redacted(
        redacted=2, kept=2, undated=1
    )
    after = drain(amqp_url, topology.DEAD_LETTER_QUEUE)
    assert [d.properties.message_id for d in after] == list(before), "all there once, in order"
    by_id = {d.properties.message_id: d for d in after}
    for erased in ("old", "just-old"):
        letter = by_id[erased]
        assert letter.body == REDACTED_BODY and b"sitilestari" not in letter.body
        assert ours(letter) == before[erased].properties.headers, "why, from where and when stay"
        assert letter.properties.headers[REDACTED_AT] == NOW.isoformat()
    for kept in ("young", "undated", "broker-1"):
        letter, was = by_id[kept], before[kept]
        assert letter.body == PERSONAL
        assert (letter.properties.message_id, letter.properties.app_id, letter.properties.delivery_mode) == (
            was.properties.message_id,
            was.properties.app_id,
            was.properties.delivery_mode,
        )
    # The broker's own letter keeps x-death and gains its time in our header; the others nothing.
    broker = by_id["broker-1"].properties.headers
    assert broker["x-bamsos-dead-at"] == broker["x-death"][0]["time"].isoformat()
    assert {k: v for k, v in broker.items() if k != "x-bamsos-dead-at"} == before[
        "broker-1"
    ].properties.headers
    assert by_id["young"].properties.headers == before["young"].properties.headers
    assert by_id["undated"].properties.headers == before["undated"].properties.headers

    for got in after:
        requeue(amqp_url, got)
    # A year on, the broker's letter is old by its x-death time; the erased ones are not erased twice.
    later = NOW + timedelta(days=400)
    assert erase_dead_letters(amqp_url, older_than_days=365, now=later) == Redacted(
        redacted=2, kept=2, undated=1
    )
    total, letters = browse(amqp_url)
    assert total == 5
    assert sum(d.redacted for d in letters) == 4
    assert all("sitilestari" not in d.preview for d in letters)
    assert replay(amqp_url, limit=10) == (1, 4), "only the undated one goes back; an erased body never"


def test_a_pass_handles_the_letters_waiting_when_it_starts_and_ends(amqp_url: str) -> None:
    """Every letter is put back at the end of the queue: a pass that did not count first would meet
    its own copies for ever."""
    young = (NOW - timedelta(days=1)).isoformat()
    for n in range(50):
        dead_letter(amqp_url, PERSONAL, f"young-{n}", {"x-bamsos-dead-at": young})
    assert erase_dead_letters(amqp_url, older_than_days=30, now=NOW) == Redacted(0, 50, 0)
    assert ready_count(amqp_url, topology.DEAD_LETTER_QUEUE) == 50


def test_bamsos_retensi_reports_the_dead_letters_in_bahasa_indonesia(settings: Settings) -> None:
    env = dict(os.environ, BAMSOS_AMQP_URL=settings.amqp_url, BAMSOS_DATABASE_URL=settings.database_url)
    with InProcess("intake", settings):
        hostile = dict(INQUIRY, channel="myspace")  # refused by intake, personal data and all
        publish(settings.amqp_url, topology.INBOUND, "inquiry.web", json.dumps(hostile).encode())
        wait_for(lambda: ready_count(settings.amqp_url, topology.DEAD_LETTER_QUEUE) == 1, what="dead")
    dead_letter(
        settings.amqp_url,
        PERSONAL,
        "old",
        {"x-bamsos-dead-at": (datetime.now(UTC) - timedelta(days=9)).isoformat()},
    )

    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "retensi", "--hari", "7"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "retensi 7 hari: isi 1 dead letter dihapus (header disimpan), 1 lainnya tetap" in done.stdout
    worker, old = drain(settings.amqp_url, topology.DEAD_LETTER_QUEUE)
    assert worker.properties.headers["x-bamsos-reason"] == "unknown_channel" and b"sitilestari" in worker.body
    assert old.body == REDACTED_BODY and old.properties.headers["x-bamsos-reason"] == "unknown_channel"


def requeue(amqp_url: str, got: Got) -> None:
    connection = connect(amqp_url)
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_publish("", topology.DEAD_LETTER_QUEUE, got.body, got.properties)
    finally:
        connection.close()
