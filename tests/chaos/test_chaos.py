"""The chaos run, small: every fault kind at once, and the invariants still hold.

Two copies of every service; every service killed at least once and the router several times; a
broker restart and a database restart; the SOP clock at x60 with part of the staff slow, so steps
breach and the notices climb the ladder under the faults. It restarts the machine's RabbitMQ and
PostgreSQL, so it runs by itself (pytest runs tests one at a time). The large version is run by
hand: `bamsos chaos --inquiries 5000 --seconds 300 --restart-host-servers`.
"""

from __future__ import annotations

import pytest

from services.catalog import NAMES as SERVICES
from shared.devtools.chaos import MALFORMED, run_chaos
from shared.runtime.settings import Settings
from tests import servers as real

pytestmark = pytest.mark.chaos


def test_kills_and_restarts_of_broker_and_database_lose_nothing_double_nothing_and_keep_the_sop(
    servers: real.Servers,
) -> None:
    settings = Settings(amqp_url=servers.amqp_url("/"), database_url=servers.database_url("postgres"))
    report = run_chaos(
        settings,
        count=150,
        seconds=20,
        kill_every=2,
        broker_restarts=1,
        database_restarts=1,
        seed=20261124,
        deadline=200,
        copies=2,
        time_scale=60,
    )
    print("\n".join(report.lines()))
    assert report.faults.broker_restarts == 1 and report.faults.database_restarts == 1
    assert set(report.faults.kills) == set(SERVICES) and report.faults.kills["router"] >= 3
    assert report.registered == 150
    assert report.answered == 150 and report.lost == 0
    assert report.duplicated_replies == 0
    assert report.incomplete_cards == 0 and report.wrong_paths == 0
    # Slow staff breached steps: the notices went up the ladder, each level once.
    assert report.notice_problems == 0
    assert {1, 2} <= set(report.notices_per_level())
    heads = {key.split()[1] for key, n in report.notices.items() if n}
    assert {"kasi", "kabid", "kadis"} <= heads
    assert (report.laporan_received, report.laporan_answered) == (150, 150)
    assert report.dead_letters == len(MALFORMED)
    assert report.left_in_queues == {}
    assert report.ok, report.problems
