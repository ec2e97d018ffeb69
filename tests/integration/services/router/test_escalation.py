"""Escalation on the clock, on the real broker and database: a late step climbs the ladder by itself."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from shared.runtime import topology
from shared.runtime.settings import Settings
from shared.runtime.storage import handovers, make_engine
from tests.helpers import INQUIRY, InProcess, drain, publish, ready_count, wait_for

pytestmark = pytest.mark.integration

# At x600 the admin's 5-minute standard passes in half a second.
FAST = 600.0


def open_step_3(settings: Settings) -> sa.Row[object] | None:
    with make_engine(settings.database_url).connect() as db:
        return db.execute(sa.select(handovers).where(handovers.c.step == 3)).one_or_none()


def test_an_unanswered_case_is_breached_and_noticed_up_to_kadis_with_no_other_message(
    settings: Settings,
) -> None:
    fast = settings.model_copy(update={"time_scale": FAST})
    body = json.dumps({**INQUIRY, "service": "akta_kematian"}).encode()
    with InProcess("intake", fast), InProcess("router", fast):
        publish(fast.amqp_url, topology.INBOUND, "inquiry.instagram", body)
        wait_for(lambda: ready_count(fast.amqp_url, "bamsos.tasks.admin") == 1, what="the admin's task")
        wait_for(
            lambda: ready_count(fast.amqp_url, "bamsos.tasks.kadis") == 1, timeout=20, what="kadis notice"
        )
    kasi = drain(fast.amqp_url, "bamsos.tasks.kasi.kelahiran_kematian")
    kabid = drain(fast.amqp_url, "bamsos.tasks.kabid.pcs")
    kadis = drain(fast.amqp_url, "bamsos.tasks.kadis")
    assert [len(kasi), len(kabid), len(kadis)] == [1, 1, 1], "one notice per level, no repeats"
    notices = [kasi[0].json(), kabid[0].json(), kadis[0].json()]
    assert [n["kind"] for n in notices] == ["notice"] * 3
    assert [n["step"] for n in notices] == [3, 3, 3]
    assert notices[0]["summary"].startswith("PERINGATAN ke-1: langkah 3 (Informasi pelayanan)")
    assert "Siti" not in json.dumps(notices) and "sitilestari" not in json.dumps(notices)
    step3 = open_step_3(fast)
    assert step3 is not None
    assert step3.breached is True and step3.done_at is None
    assert step3.escalation_level == 3
    assert step3.next_notice_at is None, "the ladder ends at kadis"


def test_the_ladder_goes_on_after_the_router_restarts(settings: Settings) -> None:
    slow_enough = settings.model_copy(update={"time_scale": 100.0})  # 5 minutes in 3 seconds
    with InProcess("intake", slow_enough):
        with InProcess("router", slow_enough):
            publish(slow_enough.amqp_url, topology.INBOUND, "inquiry.instagram", json.dumps(INQUIRY).encode())
            wait_for(lambda: open_step_3(slow_enough), what="step 3 handed to the admin")
        # The router is down while the step runs late; the first notice comes once it is back.
        assert ready_count(slow_enough.amqp_url, "bamsos.tasks.kasi.identitas_penduduk") == 0
        with InProcess("router", slow_enough):
            wait_for(
                lambda: ready_count(slow_enough.amqp_url, "bamsos.tasks.kabid.pdp") == 1,
                timeout=30,
                what="the second notice, after the restart",
            )
    assert ready_count(slow_enough.amqp_url, "bamsos.tasks.kasi.identitas_penduduk") == 1


def test_an_answer_before_the_due_time_sends_no_notice(settings: Settings) -> None:
    # Without the acknowledgement, so that what reaches bamsos.replies is the answer alone.
    settings = settings.model_copy(update={"acknowledge": False})
    with InProcess("intake", settings), InProcess("router", settings):
        publish(settings.amqp_url, topology.INBOUND, "inquiry.instagram", json.dumps(INQUIRY).encode())
        wait_for(lambda: ready_count(settings.amqp_url, "bamsos.tasks.admin") == 1, what="the task")
        [task] = drain(settings.amqp_url, "bamsos.tasks.admin")
        result = {
            "schema": "bamsos.task-result/1",
            "task_id": task.json()["task_id"],
            "officer": "Rina",
            "outcome": "answered",
            "text": "Syarat KIA: akta kelahiran dan KK.",
            "at": "2026-11-24T01:00:00Z",
        }
        publish(settings.amqp_url, topology.EVENTS, "task.result", json.dumps(result).encode())
        wait_for(lambda: ready_count(settings.amqp_url, topology.REPLIES_QUEUE) == 1, what="the reply")
    step3 = open_step_3(settings)
    assert step3 is not None and step3.breached is False and step3.escalation_level == 0
    assert step3.next_notice_at is None
