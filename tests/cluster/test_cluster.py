"""The chaos run on a three-node RabbitMQ cluster with quorum queues (`bamsos chaos --cluster`,
small): while inquiries flow and service copies are killed, one node is stopped and another is
`kill -9`ed; nothing is lost, nothing doubled, every control card whole.

The large version is run by hand: `bamsos chaos --cluster --inquiries 1000 --seconds 120 --kill-every 12`.
"""

from __future__ import annotations

import pytest

from services.catalog import NAMES as SERVICES
from shared.devtools.chaos import MALFORMED
from shared.devtools.cluster import RabbitCluster, run_cluster_chaos
from shared.runtime.settings import Settings
from tests import servers as real

pytestmark = pytest.mark.integration


@pytest.mark.timeout(600)  # past the run's own deadline (400 s), so a stalled run still reports
def test_a_node_stopped_and_a_node_killed_while_inquiries_flow_lose_nothing_and_double_nothing(
    cluster: RabbitCluster, servers: real.Servers
) -> None:
    settings = Settings(database_url=servers.database_url("postgres"))
    report = run_cluster_chaos(
        settings, count=120, seconds=40, seed=20261130, kill_every=4, deadline=400, cluster=cluster
    )
    print("\n".join(report.lines()))
    assert report.faults.other == {"node_stop": 1, "node_kill": 1}, "every node fault ran and counted"
    assert set(report.faults.kills) == set(SERVICES)
    assert report.registered == 120
    assert report.answered == 120 and report.lost == 0
    assert report.duplicated_replies == 0
    assert report.incomplete_cards == 0 and report.wrong_paths == 0
    assert report.dead_letters == len(MALFORMED)
    assert report.left_in_queues == {}
    assert report.ok, report.problems
    assert all(cluster.running(i) for i in range(3)), "each faulted node came back"
