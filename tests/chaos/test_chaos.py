"""The chaos run, small: every fault kind at once, and the invariants still hold.

It restarts the machine's RabbitMQ and PostgreSQL, so it runs by itself (pytest runs tests one at a
time). The large version is run by hand: `bamsos chaos --inquiries 20000 --seconds 600`.
"""

from __future__ import annotations

import pytest

from shared.devtools.chaos import MALFORMED, run_chaos
from shared.runtime.settings import Settings
from tests import servers as real

pytestmark = pytest.mark.chaos


def test_kills_and_restarts_of_broker_and_database_lose_nothing_and_double_nothing(
    servers: real.Servers,
) -> None:
    settings = Settings(amqp_url=servers.amqp_url("/"), database_url=servers.database_url("postgres"))
    report = run_chaos(
        settings,
        count=150,
        seconds=15,
        kill_every=2,
        broker_restarts=1,
        database_restarts=1,
        seed=20261124,
        deadline=300,
    )
    print("\n".join(report.lines()))
    assert report.faults.broker_restarts == 1 and report.faults.database_restarts == 1
    assert sum(report.faults.kills.values()) >= 5
    assert report.registered == 150
    assert report.answered == 150 and report.lost == 0
    assert report.duplicated_replies == 0
    assert report.incomplete_cards == 0
    assert (report.laporan_received, report.laporan_answered) == (150, 150)
    assert report.dead_letters == len(MALFORMED)
    assert report.left_in_queues == {}
    assert report.ok, report.problems
