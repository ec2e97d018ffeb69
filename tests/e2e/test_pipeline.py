"""The five services as separate processes on the real broker and database, every SOP path.

Citizens send one inquiry of every sample (every topic, and some with no topic), one of them twice,
plus malformed messages; simulated staff answer from their unit queues; the simulated connector
collects the replies and sends delivery receipts.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from services.catalog import NAMES as SERVICES
from services.catalog import PROCESSES
from shared.devtools.feed import SAMPLES, make_inquiries
from shared.devtools.simulation import Connector, Staff, publish_inquiries
from shared.laporan import office_day
from shared.runtime import topology
from shared.runtime.settings import Settings
from shared.runtime.storage import handovers, inquiries, make_engine, outbox
from shared.runtime.worker import to_json
from shared.sop.contracts import Role
from shared.sop.office_calendar import office_zone
from shared.sop.orgchart import OrgChart
from tests.helpers import drain, publish, ready_count, wait_for

pytestmark = pytest.mark.e2e


def bamsos_env(settings: Settings) -> dict[str, str]:
    return dict(
        os.environ,
        BAMSOS_AMQP_URL=settings.amqp_url,
        BAMSOS_DATABASE_URL=settings.database_url,
        BAMSOS_CALENDAR="24x7",  # the test runs at any hour
        BAMSOS_METRICS_PORTS=json.dumps(dict.fromkeys(PROCESSES, 0)),
        BAMSOS_GATEWAY_PORT="0",  # any free port: no platform is set up here
        BAMSOS_CONSOLE_PORT="0",
        BAMSOS_PDP_KEY="kunci-rahasia-uji-0123456789",  # the console starts only with it
        BAMSOS_LOG_LEVEL="warning",
    )


@pytest.fixture
def pipeline(settings: Settings) -> Iterator[subprocess.Popen[bytes]]:
    """`bamsos setup`, then `bamsos run all`; stopped with SIGTERM after the test."""
    env = bamsos_env(settings)
    subprocess.run([sys.executable, "-m", "services.cli", "setup"], env=env, check=True)
    proc = subprocess.Popen([sys.executable, "-m", "services.cli", "run", "all"], env=env)
    yield proc
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


def test_every_sop_path_ends_in_exactly_one_reply_with_the_officers_text_and_a_full_control_card(
    settings: Settings, chart: OrgChart, pipeline: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    feed = make_inquiries(len(SAMPLES) * 2, seed=7)
    staff = Staff(settings.amqp_url, chart).start()
    connector = Connector(settings.amqp_url).start()
    malformed = [
        b"\x00\x01 not json",
        json.dumps({"schema": "bamsos.inquiry/1", "id": "x1"}).encode(),
        to_json(feed[0]).replace(b'"channel":"', b'"channel":"myspace', 1),
    ]
    try:
        publish_inquiries(settings.amqp_url, feed)
        publish_inquiries(settings.amqp_url, feed[:1])  # the connector sends one twice
        for body in malformed:
            publish(settings.amqp_url, topology.INBOUND, "inquiry.web", body)

        wait_for(lambda: len(connector.replies) >= len(feed), timeout=90, what="a reply per inquiry")
        engine = make_engine(settings.database_url)
        wait_for(lambda: _settled(settings, engine), timeout=60, what="queues drained, outbox sent")
    finally:
        staff.stop()
        connector.stop()

    # Exactly one reply per valid inquiry, carrying the text of the officer who answered.
    per_inquiry = Counter(r["in_reply_to"] for r in connector.replies)
    assert sorted(per_inquiry) == sorted(i.id for i in feed)
    assert set(per_inquiry.values()) == {1}
    task_inquiry = {t.task_id: t.inquiry_id for t in staff.tasks_seen}
    answered = {task_inquiry[task_id]: text for task_id, text in staff.answers.items()}
    for reply in connector.replies:
        assert reply["text"] == f"{answered[reply['inquiry_id']]}\n\nNomor tiket: {reply['ticket']}"
        assert reply["schema"] == "bamsos.reply/1"

    # A dead letter, with a reason, for each malformed message; nothing else.
    dead = drain(settings.amqp_url, topology.DEAD_LETTER_QUEUE)
    assert sorted(d.properties.headers["x-bamsos-reason"] for d in dead) == sorted(
        ["not_json", "invalid", "unknown_channel"]
    )

    # Every path of the SOP was taken, and every control card is complete and closed.
    with engine.connect() as db:
        cases = db.execute(sa.select(inquiries)).all()
        card = db.execute(sa.select(handovers).order_by(handovers.c.id)).all()
    assert len(cases) == len(feed)
    assert {c.path for c in cases} >= {"3", "3-4", "5", "6", "7"}
    steps: dict[str, list[int]] = {}
    for row in card:
        steps.setdefault(row.inquiry_id, []).append(row.step)
        assert row.done_at is not None, f"step {row.step} of a case is still open"
        assert row.breached is not None and row.duration_seconds is not None
        if row.task_id:
            assert row.officer, "a task's handover carries the officer's initials"
    for case in cases:
        taken = steps[case.inquiry_id]
        assert taken[:2] == [1, 2] and taken[-1] == 8
        assert case.path == "-".join(str(s) for s in dict.fromkeys(s for s in taken if 3 <= s <= 7))
        assert case.delivered_at is not None, "the receipt closed step 8"
    kabid = [r for r in card if r.to_role == Role.kabid.value]
    assert kabid and all(r.step in (4, 6) for r in kabid)

    # The laporan counts what the database holds.
    # The laporan's days are the office's (BAMSOS_TIMEZONE, WIB by default).
    today = office_day(datetime.now(UTC), office_zone(settings)).isoformat()
    out = tmp_path / "laporan.csv"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "services.cli",
            "laporan",
            "--from",
            "2000-01-01",
            "--to",
            today,
            "--format",
            "csv",
            "--out",
            str(out),
        ],
        env=bamsos_env(settings),
        check=True,
    )
    with out.open(encoding="utf-8-sig", newline="") as f:
        register = list(csv.DictReader(f))
    assert len(register) == len(feed), "one row per case"
    assert {r["status"] for r in register} == {"dijawab"}
    by_path = Counter(r["jalur_sop"] for r in register)
    assert by_path == Counter(c.path for c in cases)


def test_run_all_stops_cleanly_on_sigterm(pipeline: subprocess.Popen[bytes]) -> None:
    def running() -> bool:
        return pipeline.poll() is None and _children(pipeline.pid) == len(PROCESSES)

    wait_for(running, what="the five workers and the gateway")
    pipeline.send_signal(signal.SIGTERM)
    assert pipeline.wait(30) == 0


def _children(pid: int) -> int:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return len(out.split())


def _settled(settings: Settings, engine: sa.Engine) -> bool:
    queues = [topology.service_queue(s) for s in SERVICES] + [topology.REPLIES_QUEUE]
    if any(ready_count(settings.amqp_url, q) for q in queues):
        return False
    with engine.connect() as db:
        unsent = db.scalar(sa.select(sa.func.count()).where(outbox.c.sent_at.is_(None)))
        undelivered = db.scalar(
            sa.select(sa.func.count()).where(
                inquiries.c.reply_id.is_not(None), inquiries.c.delivered_at.is_(None)
            )
        )
        open_steps = db.scalar(sa.select(sa.func.count()).where(handovers.c.done_at.is_(None)))
    return unsent == 0 and undelivered == 0 and open_steps == 0
