"""Quorum queues on the three-node cluster: `bamsos setup` declares every queue replicated on all
nodes, with the delivery limit; a poison message that crashes its worker every time ends in the
dead letters after that many deliveries instead of coming back forever."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import sqlalchemy as sa

from services import catalog
from shared.devtools.cluster import RabbitCluster
from shared.devtools.polling import wait_until
from shared.runtime import topology
from shared.runtime.storage import inquiries
from shared.sop.orgchart import OrgChart
from tests.cluster.conftest import service_env
from tests.helpers import INQUIRY, publish, ready_count

pytestmark = pytest.mark.integration


def vhost_of(amqp_url: str) -> str:
    return unquote(urlsplit(amqp_url.split(",")[0]).path[1:])


def queues(cluster: RabbitCluster, amqp_url: str) -> dict[str, dict[str, Any]]:
    columns = ["name", "type", "members", "arguments"]
    listed = subprocess.run(
        [*cluster.ctl(0), "-q", "list_queues", "-p", vhost_of(amqp_url), *columns, "--formatter", "json"],
        check=True,
        capture_output=True,
        text=True,
    )
    found = {q["name"]: q for q in json.loads(listed.stdout)}
    for queue in found.values():  # arguments come as [name, type, value] triples
        queue["arguments"] = {name: value for name, _type, value in queue["arguments"]}
    return found


def bamsos(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_setup_declares_every_queue_as_a_quorum_queue_on_all_three_nodes_twice_without_error(
    cluster: RabbitCluster, cluster_url: str, database_url: str, chart: OrgChart
) -> None:
    env = service_env(cluster_url, database_url, BAMSOS_DELIVERY_LIMIT="7")
    for _ in range(2):  # the second run finds everything as declared: idempotent
        done = bamsos(env, "setup")
        assert done.returncode == 0, done.stderr
    declared = queues(cluster, cluster_url)
    names = [q.name for q in catalog.all_queues(chart)]
    assert set(declared) == {*names, topology.DEAD_LETTER_QUEUE}
    nodes = {n.name for n in cluster.nodes}
    for name, queue in declared.items():
        assert queue["type"] == "quorum", name
        assert set(queue["members"]) == nodes, name
    for name in names:
        arguments = declared[name]["arguments"]
        assert arguments["x-delivery-limit"] == 7, name
        assert arguments["x-dead-letter-exchange"] == topology.DEAD, name


def test_a_message_that_crashes_its_worker_every_time_is_dead_lettered_at_the_delivery_limit(
    cluster_url: str, database_url: str
) -> None:
    limit = 3
    env = service_env(cluster_url, database_url, BAMSOS_DELIVERY_LIMIT=str(limit))
    assert bamsos(env, "setup").returncode == 0
    node = cluster_url.split(",")[0]
    publish(node, topology.INBOUND, "inquiry.instagram", json.dumps(INQUIRY).encode(), "poison-1")
    # Intake dies on this message each time it takes it (as a message that crashes the process
    # would make it), and is started again, as an orchestrator would, until the broker gives up.
    crashes = 0
    while not ready_count(node, topology.DEAD_LETTER_QUEUE):
        assert crashes <= limit, f"still not dead-lettered after {crashes} crashes"
        intake = subprocess.Popen(
            [sys.executable, "-m", "services.intake"], env={**env, "BAMSOS_CRASH_AT": "before_db_commit"}
        )
        assert intake.wait(60) == 137, "intake did not crash on the message"
        crashes += 1
        wait_until(lambda: ready_count(node, topology.DEAD_LETTER_QUEUE), 3.0, every=0.1)
    assert crashes == limit + 1  # the first delivery and `limit` redeliveries
    assert ready_count(node, "bamsos.intake") == 0
    listed = bamsos(env, "dlq", "list")
    assert listed.returncode == 0, listed.stderr
    # The broker's own dead-lettering: `bamsos dlq list` names the reason and the queue from x-death.
    assert "1 dead letters" in listed.stdout
    assert "bamsos.intake" in listed.stdout and "delivery_limit" in listed.stdout, listed.stdout
    assert "poison-1" in listed.stdout and "Siti" not in listed.stdout


def test_a_poison_message_is_dead_lettered_alone_and_the_messages_queued_with_it_are_registered(
    cluster_url: str, database_url: str
) -> None:
    """The poison message comes first and 30 good ones after it: the first crash takes them all
    back to the queue, but after a restart the worker takes redelivered messages one at a time, so
    only the poison message goes on crashing its worker and reaches the delivery limit."""
    limit = 3
    env = service_env(cluster_url, database_url, BAMSOS_DELIVERY_LIMIT=str(limit))
    assert bamsos(env, "setup").returncode == 0
    node = cluster_url.split(",")[0]
    publish(node, topology.INBOUND, "inquiry.instagram", json.dumps(INQUIRY).encode(), "poison-2")
    for n in range(30):
        body = json.dumps({**INQUIRY, "id": f"good-{n}"}).encode()
        publish(node, topology.INBOUND, "inquiry.instagram", body, f"good-{n}")
    crash_env = {**env, "BAMSOS_CRASH_AT": "before_db_commit:poison-2"}
    crashes = 0
    while not ready_count(node, topology.DEAD_LETTER_QUEUE):
        assert crashes <= limit, f"still not dead-lettered after {crashes} crashes"
        intake = subprocess.Popen([sys.executable, "-m", "services.intake"], env=crash_env)
        assert intake.wait(60) == 137, "intake did not crash on the message"
        crashes += 1
        wait_until(lambda: ready_count(node, topology.DEAD_LETTER_QUEUE), 3.0, every=0.1)
    assert ready_count(node, topology.DEAD_LETTER_QUEUE) == 1, "only the poison message"
    intake = subprocess.Popen([sys.executable, "-m", "services.intake"], env=crash_env)
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as db:
            registered = wait_until(
                lambda: db.scalar(sa.select(sa.func.count()).select_from(inquiries)) == 30 or None, 60
            )
    finally:
        engine.dispose()
        intake.terminate()
        intake.wait(30)
    assert registered, "the good messages queued behind the poison one were registered"
    assert ready_count(node, topology.DEAD_LETTER_QUEUE) == 1
