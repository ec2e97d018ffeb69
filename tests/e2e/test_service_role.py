"""The services run as a login of the `bamsos_service` role, as deploy/ connects them: every SOP path
still ends in one reply per inquiry, and the access log stays append-only for them in fact (the
owner runs `bamsos setup`; the services can add to the log and read it, never change it)."""

from __future__ import annotations

import signal
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from shared.devtools.feed import SAMPLES, make_inquiries
from shared.devtools.simulation import Connector, Staff, publish_inquiries
from shared.runtime.settings import Settings
from shared.runtime.storage import SERVICE_ROLE, make_engine, migrate
from shared.sop.orgchart import OrgChart
from tests.e2e.test_pipeline import bamsos_env
from tests.helpers import wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def service_login(settings: Settings) -> Iterator[str]:
    """A login role in `bamsos_service` (roles are the server's: a name of its own, dropped after);
    its database URL."""
    subprocess.run([sys.executable, "-m", "services.cli", "setup"], env=bamsos_env(settings), check=True)
    name = f"bamsos_svc_{uuid.uuid4().hex[:10]}"
    owner = make_engine(settings.database_url)
    with owner.begin() as db:
        db.execute(sa.text(f"CREATE ROLE {name} LOGIN IN ROLE {SERVICE_ROLE}"))
    try:
        yield make_url(settings.database_url).set(username=name).render_as_string(hide_password=False)
    finally:
        with owner.begin() as db:
            db.execute(sa.text(f"DROP ROLE IF EXISTS {name}"))
        owner.dispose()


def test_the_pipeline_answers_every_path_as_the_service_role_which_cannot_change_the_log(
    settings: Settings, chart: OrgChart, service_login: str
) -> None:
    env = bamsos_env(settings) | {"BAMSOS_DATABASE_URL": service_login}
    proc = subprocess.Popen([sys.executable, "-m", "services.cli", "run", "all"], env=env)
    feed = make_inquiries(len(SAMPLES), seed=11)
    staff = Staff(settings.amqp_url, chart).start()
    connector = Connector(settings.amqp_url).start()
    try:
        publish_inquiries(settings.amqp_url, feed)
        wait_for(lambda: len(connector.replies) >= len(feed), timeout=120, what="a reply per inquiry")
    finally:
        staff.stop()
        connector.stop()
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    assert proc.returncode == 0, "every process ran and stopped cleanly as the service role"
    per_inquiry = Counter(r["in_reply_to"] for r in connector.replies)
    assert sorted(per_inquiry) == sorted(i.id for i in feed) and set(per_inquiry.values()) == {1}

    service = make_engine(service_login)
    try:
        with service.begin() as db:
            db.execute(
                sa.text(
                    "INSERT INTO access_log (at, actor, action, prev_hash, row_hash)"
                    " VALUES (now(), 'uji', 'open_case', '-', '-')"
                )
            )
        for change in ("UPDATE access_log SET actor = 'lain'", "DELETE FROM access_log"):
            with pytest.raises(ProgrammingError, match="permission denied"), service.begin() as db:
                db.execute(sa.text(change))
    finally:
        service.dispose()


def test_an_owner_without_createrole_migrates_where_the_operator_made_the_role(database_url: str) -> None:
    """CloudNativePG's database owner may not create roles; the operator declares `bamsos_service`
    (deploy/k8s/postgres.yaml) and the migrations grant to it, not trying to create it again."""
    owner = f"bamsos_owner_{uuid.uuid4().hex[:10]}"
    fresh = make_url(database_url).set(database=owner)  # a database of its own, empty
    server = sa.create_engine(fresh.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as db:
        if not db.scalar(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": SERVICE_ROLE}):
            db.execute(sa.text(f"CREATE ROLE {SERVICE_ROLE} NOLOGIN"))  # as the operator makes it
        db.execute(sa.text(f"CREATE ROLE {owner} LOGIN NOCREATEROLE"))
        db.execute(sa.text(f'CREATE DATABASE "{owner}" OWNER {owner}'))
    try:
        migrate(fresh.set(username=owner).render_as_string(hide_password=False))
        inside = make_engine(fresh.render_as_string(hide_password=False))
        with inside.connect() as db:
            grants = db.scalars(
                sa.text(
                    "SELECT privilege_type FROM information_schema.role_table_grants"
                    " WHERE grantee = :r AND table_name = 'access_log'"
                ),
                {"r": SERVICE_ROLE},
            ).all()
        inside.dispose()
        assert sorted(grants) == ["INSERT", "SELECT"]
    finally:
        with server.connect() as db:
            db.execute(sa.text(f'DROP DATABASE IF EXISTS "{owner}" WITH (FORCE)'))
            db.execute(sa.text(f"DROP ROLE IF EXISTS {owner}"))
        server.dispose()
