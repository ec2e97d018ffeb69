"""Intake on the real broker and database: one registration per inquiry, bad input dead-lettered."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from shared.runtime import topology
from shared.runtime.settings import Settings
from shared.runtime.storage import handovers, inquiries, make_engine
from tests.helpers import INQUIRY, InProcess, drain, publish, ready_count, wait_for

pytestmark = pytest.mark.integration


def count(settings: Settings, table: sa.Table) -> int:
    with make_engine(settings.database_url).connect() as db:
        return int(db.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


def test_an_inquiry_published_twice_is_registered_once_with_its_control_card(settings: Settings) -> None:
    body = json.dumps(INQUIRY).encode()
    with InProcess("intake", settings):
        publish(settings.amqp_url, topology.INBOUND, "inquiry.instagram", body, message_id="m-1")
        publish(settings.amqp_url, topology.INBOUND, "inquiry.instagram", body, message_id="m-2")
        publish(settings.amqp_url, topology.INBOUND, "inquiry.instagram", body)  # no message id
        wait_for(lambda: ready_count(settings.amqp_url, "bamsos.intake") == 0, what="intake drained")
        wait_for(lambda: count(settings, handovers) == 2, what="steps 1 and 2 on the card")
    assert count(settings, inquiries) == 1
    registered = drain(settings.amqp_url, "bamsos.router")
    assert len(registered) == 1
    event = registered[0]
    assert event.json()["schema"] == "bamsos.inquiry-registered/1"
    assert event.properties.delivery_mode == 2
    assert event.properties.content_type == "application/json"
    assert event.properties.message_id
    assert "Siti" not in event.body.decode() and "sitilestari" not in event.body.decode()
    with make_engine(settings.database_url).connect() as db:
        card = db.execute(sa.select(handovers).order_by(handovers.c.step)).all()
    assert [(r.step, r.from_role, r.to_role) for r in card] == [
        (1, "pemohon", "admin"),
        (2, "pemohon", "admin"),
    ]
    assert all(r.done_at is not None and r.breached is not None for r in card)


def test_bad_input_goes_to_the_dead_letter_queue_with_a_reason_and_the_worker_goes_on(
    settings: Settings,
) -> None:
    bad = [
        (b"{not json", "not_json"),
        (json.dumps({**INQUIRY, "channel": "myspace"}).encode(), "unknown_channel"),
        (json.dumps({**INQUIRY, "sent_at": "2026-13-45"}).encode(), "bad_timestamp"),
        (json.dumps({**INQUIRY, "schema": "bamsos.inquiry/7"}).encode(), "unknown_schema"),
        (b'{"schema": "bamsos.inquiry/1", "pad": "' + b"x" * 70_000 + b'"}', "too_large"),
    ]
    with InProcess("intake", settings):
        for body, _reason in bad:
            publish(settings.amqp_url, topology.INBOUND, "inquiry.instagram", body)
        publish(settings.amqp_url, topology.INBOUND, "inquiry.instagram", json.dumps(INQUIRY).encode())
        wait_for(lambda: count(settings, inquiries) == 1, what="the valid inquiry registered")
        wait_for(
            lambda: ready_count(settings.amqp_url, topology.DEAD_LETTER_QUEUE) == len(bad),
            what="every bad message dead-lettered",
        )
    dead = drain(settings.amqp_url, topology.DEAD_LETTER_QUEUE)
    assert sorted(d.properties.headers["x-bamsos-reason"] for d in dead) == sorted(r for _, r in bad)
    assert all(d.properties.headers["x-bamsos-queue"] == "bamsos.intake" for d in dead)
    assert sorted(d.body for d in dead) == sorted(b for b, _ in bad), "the original body is kept"
