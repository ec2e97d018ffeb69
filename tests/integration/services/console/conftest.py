"""The console on the real broker and database: its app under Starlette's TestClient, officers of
several units, and the intake and router on threads to bring cases to the queues."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from services.console.app import create_app
from services.console.state import Console, build_console
from shared.runtime import topology
from shared.runtime.settings import Settings
from shared.runtime.storage import make_engine
from shared.sop.orgchart import OrgChart
from shared.staff.officers import add_officer
from tests.helpers import INQUIRY, InProcess, first_task, publish

PASSWORD = "kata-sandi-uji-123"
# username: (name on the control card, units)
OFFICERS = {
    "rina": ("Rina Admin", ["admin"]),
    "sari": ("Sari Admin", ["admin"]),
    "hendra": ("Kasi Hendra", ["kasi.kelahiran_kematian"]),
    "dewi": ("Kasi Dewi", ["kasi.identitas_penduduk"]),
    "budi": ("Kabid Budi", ["kabid.pcs"]),
    "yanti": ("Yanti Loket", ["pickup"]),
    "eko": ("Eko Editor", ["editor"]),
    "wati": ("Kadis Wati", ["kadis"]),
}
# The data-protection officer: a role (pdp), no unit.
DPO = ("lestari", "Lestari Pelindungan Data")
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def console(settings: Settings, chart: OrgChart) -> Iterator[Console]:
    engine = make_engine(settings.database_url)
    for username, (name, units) in OFFICERS.items():
        add_officer(engine, chart, username, name, units, PASSWORD)
    add_officer(engine, chart, DPO[0], DPO[1], [], PASSWORD, roles=["pdp"])
    engine.dispose()
    built = build_console(settings, secret="uji-" + uuid.uuid4().hex, poll_seconds=0.2)
    yield built
    built.engine.dispose()


@pytest.fixture
def pipeline(settings: Settings) -> Iterator[None]:
    """Intake and router, as `bamsos run` would run them, for the whole test."""
    with InProcess("intake", settings), InProcess("router", settings):
        yield


def client_for(console: Console, base_url: str = "http://testserver") -> TestClient:
    return TestClient(create_app(console), base_url=base_url, follow_redirects=False)


@pytest.fixture
def client(console: Console) -> Iterator[TestClient]:
    with client_for(console) as c:
        yield c


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "a form with its CSRF token"
    return found.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> httpx.Response:
    token = csrf_of(client.get("/masuk").text)
    return client.post("/masuk", data={"username": username, "password": password, "csrf_token": token})


def logged_in(client: TestClient, username: str) -> str:
    """Log in; the session's CSRF token for the forms that follow."""
    response = login(client, username)
    assert response.status_code == 303, response.text
    return csrf_of(client.get(response.headers["location"]).text)


@dataclass(frozen=True)
class Case:
    inquiry_id: str
    task_id: str
    ticket: str


def inquire(settings: Settings, **fields: Any) -> Case:
    """A citizen's inquiry through intake and router (running): its case, first task and ticket."""
    upstream = fields.pop("id", f"ig-{uuid.uuid4().hex[:12]}")
    # Sent just now, so step 1 (the citizen's asking) is within its standard.
    body = {**INQUIRY, "id": upstream, "sent_at": datetime.now(UTC).isoformat(), **fields}
    publish(settings.amqp_url, topology.INBOUND, f"inquiry.{body['channel']}", json.dumps(body).encode())
    engine = make_engine(settings.database_url)
    try:
        task = first_task(engine, settings.amqp_url, upstream)
    finally:
        engine.dispose()
    return Case(task.inquiry_id, task.task_id, task.ticket)
