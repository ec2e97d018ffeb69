"""The URLs deploy/k8s/ gives every pod (services/generators/k8s_network.py) on this machine: a
RabbitMQ node that speaks AMQP over TLS only and a PostgreSQL server that takes TLS only, both with
a certificate from a test CA, started beside the host's servers (never on 5432/5672). A service
runs on them with `amqps://` and `sslmode=verify-full` against that CA; a client holding another
CA, or naming the server by another name, is refused; the sessions are encrypted."""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pika
import pika.exceptions
import pytest
import sqlalchemy as sa

from services import catalog
from services.generators.k8s_network import amqps_url, database_url
from shared.devtools.certificates import issue, make_ca
from shared.devtools.cluster import RabbitCluster, rabbit_cluster
from shared.devtools.postgres_servers import postgres_on_tls
from shared.runtime import topology
from shared.runtime.storage import create_database, inquiries, make_engine, migrate
from shared.sop.orgchart import load_chart
from tests.helpers import INQUIRY, service_env, wait_for

pytestmark = pytest.mark.integration

HOST = "localhost"  # the name the certificates carry, as a pod names bamsos-db-rw or a broker node


@dataclass(frozen=True)
class TlsServers:
    broker: RabbitCluster
    pg_port: int
    ca: Path
    other_ca: Path  # a CA that signed neither server's certificate

    def amqp_url(self, ca: Path | None = None, host: str = HOST) -> str:
        return amqps_url("guest", "guest", host, str(ca or self.ca), port=self.broker.nodes[0].port)

    def database_url(self, database: str, ca: Path | None = None, host: str = HOST) -> str:
        return database_url("postgres", "", host, database, str(ca or self.ca), port=self.pg_port)


@pytest.fixture(scope="module")
def servers() -> Iterator[TlsServers]:
    with tempfile.TemporaryDirectory(prefix="bamsos-tls-") as tmp:
        folder = Path(tmp)
        folder.chmod(0o755)  # the broker reads its certificate as the rabbitmq user
        ca = make_ca(folder)
        other_ca, _ = make_ca(folder, "another-ca")
        broker_files = issue(folder, ca, "broker", [HOST])
        database_files = issue(folder, ca, "database", [HOST])
        for path in folder.iterdir():
            path.chmod(0o644)
        with rabbit_cluster(nodes=1, tls=broker_files) as broker, postgres_on_tls(database_files) as port:
            yield TlsServers(broker, port, ca[0], other_ca)


def registered(engine: sa.Engine) -> int:
    with engine.connect() as db:
        return int(db.scalar(sa.select(sa.func.count()).select_from(inquiries)) or 0)


def test_a_service_runs_on_amqps_and_verify_full_and_its_sessions_are_encrypted(servers: TlsServers) -> None:
    amqp_url, db_url = servers.amqp_url(), servers.database_url("bamsos_tls")
    create_database(db_url)
    migrate(db_url)
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    catalog.declare_topology(connection.channel(), load_chart(None))
    connection.channel().basic_publish(topology.INBOUND, "inquiry.instagram", json.dumps(INQUIRY).encode())
    connection.close()
    intake = subprocess.Popen([sys.executable, "-m", "services.intake"], env=service_env(amqp_url, db_url))
    engine = make_engine(db_url)
    try:
        wait_for(lambda: registered(engine) == 1, what="the inquiry registered")
        with engine.connect() as db:
            encrypted = db.scalar(
                sa.text(
                    "SELECT bool_and(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)"
                    " WHERE a.datname = 'bamsos_tls'"
                )
            )
        assert encrypted is True
        listed = subprocess.run(
            [*servers.broker.ctl(0), "-q", "list_connections", "user", "ssl"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\n")
        rows = [line.split("\t") for line in listed if line.strip() and not line.startswith("user")]
        assert rows and all(ssl == "true" for _user, ssl in rows)  # intake's connection among them
    finally:
        engine.dispose()
        intake.terminate()
        assert intake.wait(30) == 0


def test_a_client_that_trusts_another_ca_or_names_another_host_is_refused(servers: TlsServers) -> None:
    for url in (servers.amqp_url(ca=servers.other_ca), servers.amqp_url(host="127.0.0.1")):
        with pytest.raises(ssl.SSLCertVerificationError):
            pika.BlockingConnection(pika.URLParameters(url))
    for url in (
        servers.database_url("postgres", ca=servers.other_ca),
        servers.database_url("postgres", host="127.0.0.1"),
    ):
        engine = sa.create_engine(url)
        with pytest.raises(sa.exc.OperationalError, match=r"certificate|does not match"):
            engine.connect()
        engine.dispose()


def test_neither_server_takes_a_client_without_tls(servers: TlsServers) -> None:
    plain_amqp = f"amqp://guest:guest@127.0.0.1:{servers.broker.nodes[0].port}/%2F"
    with pytest.raises(pika.exceptions.AMQPConnectionError):
        pika.BlockingConnection(pika.URLParameters(plain_amqp))
    engine = sa.create_engine(
        f"postgresql+psycopg2://postgres@{HOST}:{servers.pg_port}/postgres?sslmode=disable"
    )
    with pytest.raises(sa.exc.OperationalError, match=r"no encryption|pg_hba"):
        engine.connect()
    engine.dispose()
