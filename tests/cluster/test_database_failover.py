"""With `BAMSOS_DATABASE_URL` naming a primary and its streaming standby
(`?host=a:p&host=b:q&target_session_attrs=read-write`), a service follows the standby once it is
promoted: the primary goes away, the standby is promoted, and the inquiries after it are registered
there, none lost, none twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from services.catalog import NAMES as SERVICES
from shared.devtools.cluster import PostgresPair, postgres_standby
from shared.runtime import topology
from shared.runtime.storage import create_database, inquiries, make_engine, migrate
from tests.helpers import INQUIRY, consumer_count, publish, ready_count, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def pair() -> Iterator[PostgresPair]:
    with postgres_standby() as started:
        yield started


def registered(database_url: str) -> tuple[int, int]:
    """(registrations, distinct upstream ids), read from whichever server takes writes now; (-1, -1)
    while none does."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as db:
            rows = db.execute(sa.select(sa.func.count(), sa.func.count(inquiries.c.upstream_id.distinct())))
            total, distinct = rows.one()
            return int(total), int(distinct)
    except sa.exc.OperationalError:
        return -1, -1
    finally:
        engine.dispose()


def test_a_service_follows_the_promoted_standby_and_registers_every_inquiry_once(
    pair: PostgresPair, amqp_url: str
) -> None:
    database_url = pair.url("bamsos_failover")
    create_database(database_url)
    migrate(database_url)
    env = dict(
        os.environ,
        BAMSOS_AMQP_URL=amqp_url,
        BAMSOS_DATABASE_URL=database_url,
        BAMSOS_CALENDAR="24x7",
        BAMSOS_METRICS_PORTS=json.dumps(dict.fromkeys(SERVICES, 0)),
        BAMSOS_LOG_LEVEL="warning",
    )

    def send(n: int) -> None:
        body = json.dumps({**INQUIRY, "id": f"ig-standby-{n}"}).encode()
        publish(amqp_url, topology.INBOUND, "inquiry.instagram", body)

    intake = subprocess.Popen([sys.executable, "-m", "services.intake"], env=env)
    try:
        wait_for(lambda: consumer_count(amqp_url, "bamsos.intake") == 1, what="intake consuming")
        for n in range(5):
            send(n)
        wait_for(lambda: registered(database_url) == (5, 5), what="five registered on the primary")
        pair.stop_primary()
        for n in range(5, 10):
            send(n)  # they wait in the queue: intake has no database that takes writes
        pair.promote_standby()
        wait_for(lambda: registered(database_url) == (10, 10), timeout=90, what="ten on the standby")
    finally:
        intake.terminate()
        assert intake.wait(30) == 0
    assert ready_count(amqp_url, "bamsos.intake") == 0
    with make_engine(database_url).connect() as db:
        assert db.scalar(sa.text("SELECT inet_server_port()")) == pair.standby_port
