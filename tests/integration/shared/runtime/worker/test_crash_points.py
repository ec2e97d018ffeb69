"""A worker killed at each dangerous instant of its loop: redelivery ends in exactly one effect.

The services run as real processes; `BAMSOS_CRASH_AT` makes one exit with `os._exit(137)` (as
`kill -9` would: no cleanup, no goodbye to the broker) at a named point of the loop.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from services.catalog import NAMES as SERVICES
from shared.runtime import topology
from shared.runtime.settings import Settings
from shared.runtime.storage import inquiries, make_engine
from tests.helpers import INQUIRY, consumer_count, drain, publish, ready_count, wait_for

pytestmark = pytest.mark.integration

CRASH_POINTS = ["before_db_commit", "after_db_commit", "after_amqp_commit"]


def env(settings: Settings, crash_at: str | None = None) -> dict[str, str]:
    out = dict(
        os.environ,
        BAMSOS_AMQP_URL=settings.amqp_url,
        BAMSOS_DATABASE_URL=settings.database_url,
        BAMSOS_CALENDAR="24x7",
        BAMSOS_METRICS_PORTS=json.dumps(dict.fromkeys(SERVICES, 0)),
        BAMSOS_LOG_LEVEL="warning",
        # These tests count what reaches bamsos.replies: the answers alone, no acknowledgements.
        BAMSOS_ACKNOWLEDGE="false",
    )
    if crash_at:
        out["BAMSOS_CRASH_AT"] = crash_at
    return out


def crash(service: str, settings: Settings, point: str) -> None:
    """Run `service` until it dies at `point` (it must: a test that can't crash proves nothing)."""
    proc = subprocess.Popen([sys.executable, "-m", f"services.{service}"], env=env(settings, point))
    assert proc.wait(60) == 137, f"{service} did not crash at {point}"


@contextmanager
def running(service: str, settings: Settings) -> Iterator[None]:
    proc = subprocess.Popen([sys.executable, "-m", f"services.{service}"], env=env(settings))
    queue = topology.service_queue(service)
    try:
        wait_for(lambda: consumer_count(settings.amqp_url, queue) == 1, what=f"{service} consuming")
        yield
    finally:
        proc.terminate()
        assert proc.wait(30) == 0


def count(settings: Settings, table: sa.Table) -> int:
    with make_engine(settings.database_url).connect() as db:
        return int(db.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_intake_killed_at_any_point_registers_the_inquiry_once_and_announces_it_once(
    settings: Settings, point: str
) -> None:
    publish(settings.amqp_url, topology.INBOUND, "inquiry.instagram", json.dumps(INQUIRY).encode())
    crash("intake", settings, point)
    with running("intake", settings):
        wait_for(lambda: count(settings, inquiries) == 1, what="the registration")
        wait_for(lambda: ready_count(settings.amqp_url, "bamsos.reporter") >= 1, what="the event")
    # Intake stopped cleanly: whatever it had taken is either done or back in its queue.
    assert ready_count(settings.amqp_url, "bamsos.intake") == 0
    assert count(settings, inquiries) == 1
    for queue in ("bamsos.router", "bamsos.reporter"):
        events = drain(settings.amqp_url, queue)
        assert len(events) == 1, f"{queue} got {len(events)} registration events"


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_a_router_killed_while_answering_sends_exactly_one_reply(settings: Settings, point: str) -> None:
    publish(settings.amqp_url, topology.INBOUND, "inquiry.instagram", json.dumps(INQUIRY).encode())
    with running("intake", settings):
        with running("router", settings):
            wait_for(lambda: ready_count(settings.amqp_url, "bamsos.tasks.admin") == 1, what="the task")
        [task] = drain(settings.amqp_url, "bamsos.tasks.admin")
        result = {
            "schema": "bamsos.task-result/1",
            "task_id": task.json()["task_id"],
            "officer": "Rina",
            "outcome": "answered",
            "text": "Syarat KIA: fotokopi akta kelahiran dan KK orang tua.",
            "at": "2026-11-24T01:00:00Z",
        }
        publish(settings.amqp_url, topology.EVENTS, "task.result", json.dumps(result).encode())
        crash("router", settings, point)
        with running("router", settings):
            wait_for(lambda: ready_count(settings.amqp_url, topology.REPLIES_QUEUE) >= 1, what="a reply")
    # The router stopped cleanly: whatever it had taken is either done or back in its queue.
    assert ready_count(settings.amqp_url, "bamsos.router") == 0
    replies = drain(settings.amqp_url, topology.REPLIES_QUEUE)
    assert len(replies) == 1
    reply = replies[0].json()
    assert reply["text"] == f"{result['text']}\n\nNomor tiket: {reply['ticket']}"
