"""The console in a real browser: Debian's chromium driven headless by Playwright, against the console
served by uvicorn on a free port of this machine, with the intake and the router running on threads
over a throwaway vhost and database (tests/conftest.py's `settings`), four officers and the
data-protection officer.

One chromium per module, a fresh browser context (no cookies, no cache) for every page a test opens.
Screenshots for the README are written only when `BAMSOS_SCREENSHOTS` names a folder (for example
`BAMSOS_SCREENSHOTS=docs/console`), so a test run never rewrites tracked files by itself.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import uvicorn
from playwright.sync_api import Browser, Locator, Page, Playwright, expect, sync_playwright
from prometheus_client import CollectorRegistry

from services.console.app import create_app
from services.console.metrics import build_console_metrics
from services.console.state import Console, build_console
from shared.runtime import topology
from shared.runtime.settings import Settings
from shared.runtime.storage import inquiries, make_engine
from shared.sop.orgchart import OrgChart
from shared.staff.officers import add_officer
from tests.helpers import INQUIRY, InProcess, first_task, publish, ready_count, wait_for

CHROMIUM = "/usr/bin/chromium"
# Playwright's own browser download can't work on these machines: Debian's package, as it is.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}
# Waits for what the pipeline does (a case routed, a reply sent) on a busy CI machine too.
TIMEOUT_MS = 15_000
expect.set_options(timeout=TIMEOUT_MS)
PASSWORD = "kata-sandi-uji-123"


@dataclass(frozen=True)
class Petugas:
    username: str
    name: str
    unit: str


# The office of the tests: the admin, a kasi and the kabid above him (kelahiran dan kematian is a seksi of
# the bidang pcs), and a kasi of another seksi.
RINA = Petugas("rina", "Rina Wulandari", "admin")
BUDI = Petugas("budi", "Budi Santoso", "kasi.kelahiran_kematian")
SRI = Petugas("sri", "Sri Rahayu", "kabid.pcs")
DEDI = Petugas("dedi", "Dedi Kurniawan", "kasi.identitas_penduduk")
OFFICERS = (RINA, BUDI, SRI, DEDI)
# The data-protection officer: a role (pdp), no unit; lands on the access log.
LESTARI = Petugas("lestari", "Lestari Handayani", "")


@dataclass(frozen=True)
class Case:
    upstream_id: str
    inquiry_id: str
    task_id: str
    ticket: str
    unit: str


class Pipeline:
    """The running console and what a test needs around it: its address, and citizens writing in."""

    def __init__(self, settings: Settings, console: Console, base_url: str) -> None:
        self.settings = settings
        self.console = console
        self.base_url = base_url

    def send(self, **fields: Any) -> str:
        """A citizen writes (published as the chat connector does); the inquiry's upstream id."""
        upstream = fields.pop("id", f"ig-{uuid.uuid4().hex[:12]}")
        # Sent just now, so step 1 (the citizen's asking) is within its standard.
        body = {**INQUIRY, "id": upstream, "sent_at": datetime.now(UTC).isoformat(), **fields}
        publish(
            self.settings.amqp_url,
            topology.INBOUND,
            f"inquiry.{body['channel']}",
            json.dumps(body).encode(),
        )
        return upstream

    def case(self, upstream: str) -> Case:
        """The case of an inquiry sent, once its first task waits on its unit's queue (so that
        "Ambil kasus berikutnya" finds it)."""
        task = first_task(self.console.engine, self.settings.amqp_url, upstream)
        return Case(upstream, task.inquiry_id, task.task_id, task.ticket, task.unit)

    def queued(self, unit: str) -> None:
        """Wait until a task waits on the unit's queue. The control card's row (what the queue page
        lists) is written before the task is published: a row may show a moment before "Ambil
        kasus berikutnya" can take it."""
        queue = topology.TASK_QUEUE_PREFIX + unit
        wait_for(lambda: ready_count(self.settings.amqp_url, queue) >= 1, what=f"a task on {queue}")

    def inquire(self, **fields: Any) -> Case:
        return self.case(self.send(**fields))

    def replied(self, case: Case) -> None:
        """Wait until the router has handled the case's answer (its reply is on its way)."""

        def replied_at() -> Any:
            with self.console.engine.connect() as db:
                return db.scalar(
                    sa.select(inquiries.c.replied_at).where(inquiries.c.inquiry_id == case.inquiry_id)
                )

        wait_for(replied_at, what=f"the reply to case {case.ticket}")


@pytest.fixture
def pipeline(settings: Settings, chart: OrgChart) -> Iterator[Pipeline]:
    """Intake and router on threads, the four officers, and the console served as
    `bamsos run console` serves it (services/console/main.py), on a free port of 127.0.0.1."""
    settings = settings.model_copy(update={"console_host": "127.0.0.1", "console_port": 0})
    engine = make_engine(settings.database_url)
    try:
        for o in OFFICERS:
            add_officer(engine, chart, o.username, o.name, [o.unit], PASSWORD)
        add_officer(engine, chart, LESTARI.username, LESTARI.name, [], PASSWORD, roles=["pdp"])
    finally:
        engine.dispose()
    console = build_console(
        settings, secret=secrets.token_urlsafe(32), metrics=build_console_metrics(CollectorRegistry())
    )
    config = uvicorn.Config(
        create_app(console),
        host=settings.console_host,
        port=settings.console_port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)  # on a thread: it leaves the signals to pytest
    thread = threading.Thread(target=server.run, name="console", daemon=True)
    with InProcess("intake", settings), InProcess("router", settings):
        thread.start()
        try:
            wait_for(lambda: server.started or not thread.is_alive(), timeout=15, what="the console")
            assert server.started, "the console did not start"
            port = server.servers[0].sockets[0].getsockname()[1]
            yield Pipeline(settings, console, f"http://127.0.0.1:{port}")
        finally:
            server.should_exit = True
            thread.join(15)
            console.engine.dispose()
    assert not thread.is_alive(), "the console did not stop"


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make tools` installs Debian's chromium package")
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture
def new_page(browser: Browser, pipeline: Pipeline) -> Iterator[Callable[[], Page]]:
    """Pages in fresh browser contexts (one officer's browser each), on the console's address,
    in Indonesian on WIB, 1280x800."""
    contexts = []

    def open_page() -> Page:
        context = browser.new_context(
            base_url=pipeline.base_url,
            viewport=VIEWPORT,
            locale="id-ID",
            timezone_id="Asia/Jakarta",
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[[], Page]) -> Page:
    return new_page()


def log_in(page: Page, officer: Petugas, password: str = PASSWORD) -> None:
    """What an officer does at the start of the day: /masuk, name and password, "Masuk"."""
    page.goto("/masuk")
    page.get_by_label("Nama pengguna").fill(officer.username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"**/antrean/{officer.unit}" if officer.unit else "**/pdp/log")


SCREENSHOTS = os.environ.get("BAMSOS_SCREENSHOTS", "").strip()


def screenshot(page: Page, name: str, show: Locator | None = None, *, whole: bool = False) -> None:
    """`<BAMSOS_SCREENSHOTS>/<name>.png` of the 1280x800 viewport, when that folder is set;
    scrolled first so that `show` is at the top of the window, or (`whole`) ends at its bottom."""
    if not SCREENSHOTS:
        return
    if show is not None:
        show.evaluate(
            """(el, whole) => {
                const box = el.getBoundingClientRect();
                const top = whole ? box.bottom + 24 - innerHeight : box.top - 16;
                window.scrollTo(0, Math.max(0, top + scrollY));
            }""",
            whole,
        )
    folder = Path(SCREENSHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=folder / f"{name}.png", animations="disabled", caret="hide")
