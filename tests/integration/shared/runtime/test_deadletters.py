"""`bamsos dlq`: dead letters are listed without personal data and replayed through the normal path."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from shared.runtime import topology
from shared.runtime.deadletters import browse, preview
from shared.runtime.settings import Settings
from shared.runtime.storage import inquiries, make_engine
from tests.helpers import INQUIRY, InProcess, publish, ready_count, wait_for

pytestmark = pytest.mark.integration


def test_a_preview_shows_the_shape_of_a_message_never_its_values() -> None:
    shown = preview(json.dumps(INQUIRY).encode())
    assert "schema=bamsos.inquiry/1" in shown and "channel=instagram" in shown
    assert "account" in shown  # the field's name...
    assert "sitilestari" not in shown and "Siti" not in shown  # ...never its value
    assert preview(b"\xff\xfe") == "2 bytes, not JSON"


def test_list_shows_reasons_and_replay_sends_a_fixed_message_through_once(settings: Settings) -> None:
    env = dict(os.environ, BAMSOS_AMQP_URL=settings.amqp_url, BAMSOS_DATABASE_URL=settings.database_url)
    good = json.dumps(INQUIRY).encode()
    with InProcess("intake", settings) as intake:
        publish(settings.amqp_url, topology.INBOUND, "inquiry.instagram", b"{broken")
        # A valid inquiry dead-lettered because intake's database refused it for a while:
        # simulate that by sending it to the dead-letter exchange as the worker does.
        intake.stop.set()
        intake.thread.join(10)
    dead_letter_it(settings, good)
    wait_for(lambda: ready_count(settings.amqp_url, topology.DEAD_LETTER_QUEUE) == 2, what="two dead")

    listing = subprocess.run(
        [sys.executable, "-m", "services.cli", "dlq", "list"], env=env, capture_output=True, text=True
    )
    assert listing.returncode == 0, listing.stderr
    assert "2 dead letters" in listing.stdout
    assert "not_json" in listing.stdout and "database_down" in listing.stdout
    assert "sitilestari" not in listing.stdout
    total, _ = browse(settings.amqp_url)
    assert total == 2, "listing removes nothing"

    with InProcess("intake", settings):
        outputs = [
            subprocess.run(
                [sys.executable, "-m", "services.cli", "dlq", "replay", "--reason", "database_down"],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            for _ in range(2)
        ]
        wait_for(lambda: registered(settings) == 1, what="the replayed inquiry registered")
        wait_for(lambda: ready_count(settings.amqp_url, "bamsos.intake") == 0, what="intake drained")
    assert "replayed 1; 1 left" in outputs[0]
    assert "replayed 0; 1 left" in outputs[1], "the other reason stays"
    assert registered(settings) == 1
    remaining, letters = browse(settings.amqp_url)
    assert remaining == 1 and letters[0].reason == "not_json"


def dead_letter_it(settings: Settings, body: bytes) -> None:
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(settings.amqp_url))
    channel = connection.channel()
    channel.confirm_delivery()
    channel.basic_publish(
        topology.DEAD,
        "bamsos.intake",
        body,
        pika.BasicProperties(
            delivery_mode=2,
            headers={"x-bamsos-reason": "database_down", "x-bamsos-queue": "bamsos.intake"},
        ),
    )
    connection.close()


def registered(settings: Settings) -> int:
    with make_engine(settings.database_url).connect() as db:
        return int(db.scalar(sa.select(sa.func.count()).select_from(inquiries)) or 0)
