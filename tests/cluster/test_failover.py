"""With `BAMSOS_AMQP_URL` listing the cluster's nodes, losing the node a client talks to loses
nothing: a worker reconnects to another node and goes on; the gateway's publisher, which confirms
every message, reconnects and publishes the next, and every message it confirmed is in its queue."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import unquote, urlsplit

import pytest
import sqlalchemy as sa
from pika.exceptions import AMQPError

from services import catalog
from services.gateway.publisher import Publisher, Unavailable
from shared.devtools.cluster import RabbitCluster
from shared.runtime import topology
from shared.runtime.storage import inquiries, make_engine
from shared.runtime.worker import amqp
from shared.sop.orgchart import OrgChart
from tests import servers as real
from tests.cluster.conftest import service_env
from tests.helpers import INQUIRY, consumer_count, drain, publish, ready_count, wait_for

pytestmark = pytest.mark.integration


def declare_quorum(amqp_url: str, chart: OrgChart) -> None:
    connection = amqp.connect(amqp_url)
    try:
        catalog.declare_topology(connection.channel(), chart, "quorum")
    finally:
        connection.close()


def node_of_connections(cluster: RabbitCluster, amqp_url: str) -> set[int]:
    """The nodes (by index) holding the connections to the vhost of `amqp_url`."""
    vhost = unquote(urlsplit(amqp_url.split(",")[0]).path[1:])
    live = next(i for i in range(len(cluster.nodes)) if cluster.running(i))
    listed = subprocess.run(
        [*cluster.ctl(live), "-q", "list_connections", "vhost", "port", "--formatter", "json"],
        check=True,
        capture_output=True,
        text=True,
    )
    ports = [c["port"] for c in json.loads(listed.stdout) if c["vhost"] == vhost]
    return {i for i, node in enumerate(cluster.nodes) if node.port in ports}


def a_live_node(cluster: RabbitCluster, amqp_url: str) -> str:
    urls = amqp_url.split(",")
    return next(urls[i] for i in range(len(urls)) if cluster.running(i))


def inquiry(n: int) -> bytes:
    return json.dumps({**INQUIRY, "id": f"ig-failover-{n}"}).encode()


def send(cluster: RabbitCluster, amqp_url: str, n: int) -> None:
    """Publish as an upstream connector does: until confirmed. While a killed node's queues elect
    new leaders (a few seconds) the broker nacks, and the connector sends again."""

    def attempt() -> bool:
        try:
            publish(a_live_node(cluster, amqp_url), topology.INBOUND, "inquiry.instagram", inquiry(n))
            return True
        except AMQPError:
            return False

    wait_for(attempt, timeout=60, what=f"inquiry {n} confirmed")


@contextmanager
def intake(env: dict[str, str]) -> Iterator[None]:
    proc = subprocess.Popen([sys.executable, "-m", "services.intake"], env=env)
    try:
        yield
    finally:
        proc.terminate()
        assert proc.wait(30) == 0


def registered(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with engine.connect() as db:
            return int(db.scalar(sa.select(sa.func.count()).select_from(inquiries)) or 0)
    finally:
        engine.dispose()


def test_connect_skips_a_node_that_does_not_answer_wherever_it_is_in_the_list(
    servers: real.Servers,
) -> None:
    alive, gone = servers.amqp_url("/"), "amqp://guest:guest@127.0.0.1:9/%2F"  # nothing on port 9
    for listed in (f"{gone},{alive}", f"{alive},{gone}", f"{gone},{gone},{alive}"):
        connection = amqp.connect(listed)
        try:
            assert connection.is_open
        finally:
            connection.close()
    with pytest.raises(AMQPError):  # none answers: the caller's reconnect loop backs off
        amqp.connect(f"{gone},{gone}")


def test_a_worker_whose_node_is_killed_reconnects_to_another_and_registers_everything_once(
    cluster: RabbitCluster, cluster_url: str, database_url: str, chart: OrgChart
) -> None:
    declare_quorum(cluster_url, chart)
    with intake(service_env(cluster_url, database_url)):
        node = a_live_node(cluster, cluster_url)
        wait_for(lambda: consumer_count(node, "bamsos.intake") == 1, what="intake consuming")
        for n in range(10):
            send(cluster, cluster_url, n)
        wait_for(lambda: registered(database_url) == 10, what="the first ten registered")
        (victim,) = node_of_connections(cluster, cluster_url)
        cluster.kill_node(victim)
        try:
            for n in range(10, 20):
                send(cluster, cluster_url, n)
            node = a_live_node(cluster, cluster_url)
            wait_for(lambda: registered(database_url) == 20, timeout=60, what="the next ten registered")
            # (Its old consumer may still be counted: a quorum queue keeps the consumers of a node it
            # lost as "suspected down" until that node is back.)
            assert node_of_connections(cluster, cluster_url) - {victim}, "intake is on another node"
        finally:
            cluster.start_node(victim)
    assert ready_count(node, "bamsos.intake") == 0
    assert registered(database_url) == 20


def test_the_gateways_publisher_fails_over_and_every_message_it_confirmed_is_queued(
    cluster: RabbitCluster, cluster_url: str, chart: OrgChart
) -> None:
    declare_quorum(cluster_url, chart)
    publisher = Publisher(cluster_url)
    refused = 0
    try:
        for n in range(60):
            if n == 20:
                (victim,) = node_of_connections(cluster, cluster_url)
                cluster.kill_node(victim)

            def webhook(n: int = n) -> bool:
                """One webhook call: 200 once the broker confirmed, else 503 and the platform retries."""
                nonlocal refused
                try:
                    publisher.publish(topology.INBOUND, "inquiry.web", inquiry(n), f"gw-{n}")
                    return True
                except Unavailable:
                    refused += 1
                    return False

            wait_for(webhook, timeout=60, what=f"message {n} confirmed")
    finally:
        publisher.close()
    try:
        node = a_live_node(cluster, cluster_url)
        queued = [got.properties.message_id for got in drain(node, "bamsos.intake")]
        # Every message answered 200 is there; one answered 503 may be there twice (nacked after
        # the broker had it): intake de-duplicates on channel and id.
        assert set(queued) == {f"gw-{n}" for n in range(60)}
        assert len(queued) - 60 <= refused
        print(f"gateway publisher: 60 confirmed, {refused} answered 503 during the failover")
    finally:
        cluster.start_node(victim)
