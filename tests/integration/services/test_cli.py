"""`bamsos setup`: creates what is missing, is harmless twice, refuses a bad org chart."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pika
import pytest
import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory

from shared.runtime import storage
from shared.runtime.storage import drop_database
from tests import servers as real

pytestmark = pytest.mark.integration


@pytest.fixture
def fresh(servers: real.Servers) -> Iterator[dict[str, str]]:
    """An empty vhost and the name of a database that does not exist yet."""
    url = servers.database_url(f"bamsos_test_{uuid.uuid4().hex[:10]}")
    with real.vhost(servers) as amqp_url:
        yield dict(os.environ, BAMSOS_AMQP_URL=amqp_url, BAMSOS_DATABASE_URL=url)
    drop_database(url)


def newest_revision() -> str:
    config = Config()
    config.set_main_option("script_location", str(Path(storage.__file__).with_name("migrations")))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def bamsos(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args], env=env, capture_output=True, text=True
    )


def test_setup_twice_declares_the_topology_and_creates_and_migrates_the_database(
    fresh: dict[str, str],
) -> None:
    for _ in range(2):
        result = bamsos("setup", env=fresh)
        assert result.returncode == 0, result.stderr
    connection = pika.BlockingConnection(pika.URLParameters(fresh["BAMSOS_AMQP_URL"]))
    channel = connection.channel()
    for queue in (
        "bamsos.intake",
        "bamsos.tasks.kasi.identitas_penduduk",
        "bamsos.tasks.kabid.pcs",
        "bamsos.dead.letters",
    ):
        channel.queue_declare(queue, passive=True)
    connection.close()
    engine = sa.create_engine(fresh["BAMSOS_DATABASE_URL"])
    with engine.connect() as db:
        assert db.scalar(sa.text("SELECT version_num FROM alembic_version")) == newest_revision()
    engine.dispose()


def test_setup_refuses_a_bad_org_chart_and_says_why(fresh: dict[str, str], tmp_path: Path) -> None:
    chart = tmp_path / "chart.yaml"
    chart.write_text("kantor: X\nbidang: {}\nseksi: {}\nlayanan: {}\n")
    result = bamsos("setup", env={**fresh, "BAMSOS_ORG_CHART": str(chart)})
    assert result.returncode != 0
    assert "no seksi for the service codes" in result.stderr


def test_a_new_versions_pod_waits_for_its_schema_and_starts_once_setup_migrated_it(
    fresh: dict[str, str],
) -> None:
    """`bamsos setup --await-schema` (each Kubernetes pod's init container) changes nothing: it
    fails while the database is missing or older than this code's migrations, and passes at once
    when `bamsos setup` (the setup Job) has brought it to the head."""
    storage.create_database(fresh["BAMSOS_DATABASE_URL"])  # there, but not migrated
    waited = bamsos("setup", "--await-schema", "--timeout", "1", env=fresh)
    assert waited.returncode != 0
    assert "did not reach this version's head" in waited.stderr
    engine = sa.create_engine(fresh["BAMSOS_DATABASE_URL"])
    with engine.connect() as db:
        assert not sa.inspect(db).has_table("alembic_version")  # it migrated nothing itself
    engine.dispose()
    assert bamsos("setup", env=fresh).returncode == 0
    waited = bamsos("setup", "--await-schema", "--timeout", "1", env=fresh)
    assert waited.returncode == 0, waited.stderr
