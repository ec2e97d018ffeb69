"""Fixtures: the real servers, and a throwaway vhost and database per test that needs them."""

from __future__ import annotations

from collections.abc import Iterator

import pika
import pytest
from pydantic import SecretStr

from services import catalog
from shared.runtime.settings import Settings
from shared.sop.orgchart import OrgChart, load_chart
from tests import servers as real

PDP_KEY = "kunci-rahasia-uji-0123456789"


@pytest.fixture(scope="session")
def servers() -> Iterator[real.Servers]:
    with real.local_or_containers() as found:
        yield found


@pytest.fixture(scope="session")
def chart() -> OrgChart:
    return load_chart()


@pytest.fixture
def amqp_url(servers: real.Servers, chart: OrgChart) -> Iterator[str]:
    """A fresh vhost with the BAMSOS topology declared."""
    with real.vhost(servers) as url:
        connection = pika.BlockingConnection(pika.URLParameters(url))
        catalog.declare_topology(connection.channel(), chart)
        connection.close()
        yield url


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """The PostgreSQL server (no broker needed): the unit tests' only server."""
    with real.postgres_server() as url:
        yield url


@pytest.fixture
def database_url(postgres: str) -> Iterator[str]:
    with real.database(postgres) as url:
        yield url


@pytest.fixture
def settings(amqp_url: str, database_url: str) -> Settings:
    # The tests run at any hour: the standards count round the clock unless a test says otherwise.
    return Settings(
        amqp_url=amqp_url,
        database_url=database_url,
        calendar="24x7",
        metrics_ports=dict.fromkeys(catalog.NAMES, 0),
        # The access log's key: the console does not start without one (an access log it can write).
        pdp_key=SecretStr(PDP_KEY),
    )
