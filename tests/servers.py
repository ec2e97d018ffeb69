"""Throwaway places on the real servers: a RabbitMQ vhost and a PostgreSQL database per use.

The local RabbitMQ and PostgreSQL of these machines are used when they answer (see
docs/servers.md); where a Docker engine runs, testcontainers starts them instead. When neither
is there, the tests fail with the reason: a missing broker never turns into skipped tests.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote

from shared.devtools.sandbox import temporary_database, temporary_vhost

AMQP_HOST = os.environ.get("BAMSOS_TEST_AMQP_HOST", "127.0.0.1")
PG_HOST = os.environ.get("BAMSOS_TEST_PG_HOST", "127.0.0.1")


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class Servers:
    """Where the broker and database are, and how to make a vhost there."""

    amqp_host: str
    amqp_port: int
    pg_url: str  # without a database name
    rabbitmqctl: list[str] | None  # None: vhosts through testcontainers' exec

    def amqp_url(self, vhost: str) -> str:
        return f"amqp://guest:guest@{self.amqp_host}:{self.amqp_port}/{quote(vhost, safe='')}"

    def database_url(self, name: str) -> str:
        return f"{self.pg_url}/{name}"


@contextmanager
def postgres_server() -> Iterator[str]:
    """The PostgreSQL server's URL without a database name, for tests that need no broker."""
    if _answers(PG_HOST, 5432):
        yield f"postgresql+psycopg2://postgres@{PG_HOST}:5432"
        return
    with local_or_containers() as found:
        yield found.pg_url


@contextmanager
def local_or_containers() -> Iterator[Servers]:
    if _answers(AMQP_HOST, 5672) and _answers(PG_HOST, 5432):
        ctl = shutil.which("rabbitmqctl")
        yield Servers(
            AMQP_HOST, 5672, f"postgresql+psycopg2://postgres@{PG_HOST}:5432", [ctl] if ctl else None
        )
        return
    if shutil.which("docker") and subprocess.run(["docker", "info"], capture_output=True).returncode == 0:
        from testcontainers.postgres import PostgresContainer
        from testcontainers.rabbitmq import RabbitMqContainer

        with RabbitMqContainer("rabbitmq:3.13") as rabbit, PostgresContainer("postgres:15") as pg:
            pg_url = pg.get_connection_url().rsplit("/", 1)[0]
            ctl = ["docker", "exec", rabbit.get_wrapped_container().id, "rabbitmqctl"]
            yield Servers(rabbit.get_container_host_ip(), int(rabbit.get_exposed_port(5672)), pg_url, ctl)
        return
    raise RuntimeError(
        "RabbitMQ (127.0.0.1:5672) and PostgreSQL (127.0.0.1:5432) do not answer and no Docker "
        "engine runs: start them with the commands in docs/servers.md"
    )


@contextmanager
def vhost(servers: Servers) -> Iterator[str]:
    """A fresh vhost for guest; deleted afterwards. Yields its AMQP URL."""
    if servers.rabbitmqctl is None:
        raise RuntimeError("rabbitmqctl is not on PATH: cannot make a test vhost")
    with temporary_vhost(servers.amqp_url("/"), servers.rabbitmqctl) as url:
        yield url


@contextmanager
def database(server_url: str) -> Iterator[str]:
    """A fresh, migrated database on the server at `server_url`; dropped afterwards. Yields its URL."""
    with temporary_database(f"{server_url}/postgres") as url:
        yield url
