"""Throwaway places on the real servers: a RabbitMQ vhost and a PostgreSQL database.

Used by the tests and the chaos run, so that neither touches the office's own vhost or database.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, urlsplit, urlunsplit

from sqlalchemy.engine import make_url

from shared.runtime.settings import amqp_urls
from shared.runtime.storage import create_database, drop_database, migrate


def _with_vhost(amqp_url: str, vhost: str) -> str:
    """`amqp_url` (one URL or a cluster's list) with its vhost, or every node's, set to `vhost`."""
    path = "/" + quote(vhost, safe="")
    return ",".join(urlunsplit(urlsplit(url)._replace(path=path)) for url in amqp_urls(amqp_url))


@contextmanager
def temporary_vhost(amqp_url: str, rabbitmqctl: list[str], prefix: str = "bamsos-test") -> Iterator[str]:
    """A fresh vhost (on the broker of `amqp_url`, a cluster's when it lists its nodes: `rabbitmqctl`
    then names one of them) for its user; deleted afterwards. Yields its URL (or URL list)."""
    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    user = urlsplit(amqp_urls(amqp_url)[0]).username or "guest"
    subprocess.run([*rabbitmqctl, "-q", "add_vhost", name], check=True, capture_output=True)
    try:
        subprocess.run(
            [*rabbitmqctl, "-q", "set_permissions", "-p", name, user, ".*", ".*", ".*"],
            check=True,
            capture_output=True,
        )
        yield _with_vhost(amqp_url, name)
    finally:
        subprocess.run([*rabbitmqctl, "-q", "delete_vhost", name], capture_output=True)


@contextmanager
def temporary_database(database_url: str, prefix: str = "bamsos_test") -> Iterator[str]:
    """A fresh, migrated database on the server of `database_url`; dropped afterwards."""
    url = make_url(database_url).set(database=f"{prefix}_{uuid.uuid4().hex[:10]}")
    rendered = url.render_as_string(hide_password=False)
    create_database(rendered)
    try:
        migrate(rendered)
        yield rendered
    finally:
        drop_database(rendered)
