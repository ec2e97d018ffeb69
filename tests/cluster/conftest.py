"""Fixtures: a three-node RabbitMQ cluster on this machine (shared/devtools/cluster.py, needs root),
one for the session, and a throwaway vhost on it; the database is the local PostgreSQL's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.devtools.cluster import RabbitCluster, rabbit_cluster
from shared.devtools.sandbox import temporary_vhost
from tests import helpers


@pytest.fixture(scope="session")
def cluster() -> Iterator[RabbitCluster]:
    with rabbit_cluster(nodes=3) as started:
        yield started


@pytest.fixture
def cluster_url(cluster: RabbitCluster) -> Iterator[str]:
    """Every node's URL (comma-separated) of a fresh vhost on the cluster; nothing declared."""
    for i in range(len(cluster.nodes)):
        if not cluster.running(i):
            cluster.start_node(i)  # a test that failed half-way leaves the next one a whole cluster
    with temporary_vhost(cluster.amqp_url(), cluster.ctl(0), prefix="bamsos-cluster") as url:
        yield url


def service_env(amqp_url: str, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a service process (or `bamsos setup`) on the cluster, quorum queues."""
    return helpers.service_env(amqp_url, database_url, BAMSOS_QUEUE_TYPE="quorum", **extra)
