"""A worker's `/healthz` (what Kubernetes' probes read) says whether its consume loop turns, not
merely whether its metrics thread answers: a worker stuck behind a lock it will never get is
reported stalled while `/metrics` still answers, and alive again once the loop moves."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import httpx
import pytest
import sqlalchemy as sa

from shared.runtime import topology
from shared.runtime.settings import Settings
from shared.runtime.storage import inquiries, make_engine
from tests.helpers import INQUIRY, consumer_count, publish, service_env, wait_for

pytestmark = pytest.mark.integration

STALL_SECONDS = 2.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def health(port: int) -> tuple[int, str]:
    try:
        answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
    except httpx.TransportError:
        return 0, "no answer"
    return answer.status_code, answer.text


def test_a_worker_stuck_in_its_loop_is_reported_stalled_while_its_metrics_still_answer(
    settings: Settings,
) -> None:
    port = free_port()
    env = service_env(
        settings.amqp_url,
        settings.database_url,
        BAMSOS_METRICS_PORTS=json.dumps({"intake": port}),
        BAMSOS_HEALTH_STALL_SECONDS=str(STALL_SECONDS),
    )
    intake = subprocess.Popen([sys.executable, "-m", "services.intake"], env=env)
    engine = make_engine(settings.database_url)
    try:
        wait_for(lambda: consumer_count(settings.amqp_url, "bamsos.intake") == 1, what="intake consuming")
        assert health(port)[0] == 200
        with engine.connect() as db, db.begin():
            # Hold the registrations table: intake's next batch waits on the lock, its loop stands.
            db.execute(sa.text("LOCK TABLE inquiries IN ACCESS EXCLUSIVE MODE"))
            publish(settings.amqp_url, topology.INBOUND, "inquiry.instagram", json.dumps(INQUIRY).encode())
            wait_for(lambda: health(port)[0] == 503, what="the stall reported")
            assert health(port)[1].startswith("stalled: the loop last turned")
            metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
            assert metrics.status_code == 200 and "bamsos_messages_total" in metrics.text
        # The lock is gone: the batch goes through, the loop turns again.
        wait_for(lambda: health(port)[0] == 200, what="alive again")
        with engine.connect() as db:
            assert db.scalar(sa.select(sa.func.count()).select_from(inquiries)) == 1
    finally:
        engine.dispose()
        intake.terminate()
        assert intake.wait(30) == 0
