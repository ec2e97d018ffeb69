"""The website chat box in a real browser (Debian's chromium, headless): an office's page on one port
of 127.0.0.1 loads `/widget/bamsos.js` from the gateway on another (cross-origin, as on the office's
site), a citizen asks, an officer answers from the admin queue (`shared.staff.actions`), the
answer and the survey appear in the same box and the rating typed there is thanked; a returning
visitor finds the conversation; the keyboard alone; a page the gateway does not list can't send.
The gateway, intake and router run on threads over the test's vhost and database.

With `BAMSOS_SCREENSHOTS=docs` the box with its answer is written to docs/widget.png (the README's).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sqlalchemy as sa
import uvicorn
from playwright.sync_api import Browser, Locator, Page, expect
from prometheus_client import CollectorRegistry
from sqlalchemy.engine import Engine

from services.gateway.app import Gateway, create_app
from services.gateway.metrics import build_gateway_metrics
from services.gateway.platforms import platforms
from services.gateway.publisher import Publisher
from services.gateway.sender import Sender
from services.gateway.webguard import web_box
from shared.devtools.local_prometheus import free_port
from shared.runtime.settings import Settings
from shared.runtime.storage import handovers, inquiries, make_engine
from shared.sop.contracts import Outcome
from shared.sop.office_calendar import office_zone
from shared.sop.orgchart import OrgChart
from shared.staff.actions import send_result, take_next
from tests.browser.conftest import TIMEOUT_MS, VIEWPORT, screenshot
from tests.helpers import InProcess, ready_count, wait_for

pytestmark = pytest.mark.e2e

QUESTION = "Selamat siang, syarat membuat KIA untuk anak umur 5 tahun apa saja?"
ANSWER = "Syarat KIA anak di bawah 5 tahun: fotokopi akta kelahiran dan KK orang tua. Gratis, di loket 3."

# An office's page as it may be: global styles that would wreck a box that inherits them, and an
# element with an id the box uses inside its shadow root.
PAGE = """<!doctype html>
<html lang="id"><head><meta charset="utf-8"><title>Disdukcapil Kota Contoh</title>
<style>
  * { font-family: Georgia, serif !important; }
  body { background: #fdf6e3; margin: 40px; }
  button { background: hotpink; font-size: 30px; }
  li { list-style: square; color: green; }
</style></head>
<body>
  <h1>Dinas Kependudukan dan Pencatatan Sipil</h1>
  <p>Layanan KTP-el, KK, KIA, akta kelahiran dan kematian.</p>
  <textarea id="bamsos-text">milik halaman kantor</textarea>
  <script src="{gateway}/widget/bamsos.js" defer></script>
</body></html>
"""


class HostSite:
    """The office's site: one page on a port of its own."""

    def __init__(self, gateway_url: str) -> None:
        page = PAGE.replace("{gateway}", gateway_url).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HostSite:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Office:
    settings: Settings
    engine: Engine
    site: HostSite  # listed in BAMSOS_WEB_ORIGINS
    stranger: HostSite  # not listed


@pytest.fixture
def office(settings: Settings) -> Iterator[Office]:
    """Intake and router, the gateway (web server and sender) on a free port, and two sites."""
    engine = make_engine(settings.database_url)
    publisher = Publisher(settings.amqp_url)
    metrics = build_gateway_metrics(CollectorRegistry())
    gateway_url = f"http://127.0.0.1:{free_port()}"
    stop = threading.Event()
    with (
        InProcess("intake", settings),
        InProcess("router", settings),
        HostSite(gateway_url) as site,
        HostSite(gateway_url) as stranger,
    ):
        on = settings.model_copy(update={"web_origins": [site.url]})
        found = platforms(on)
        app = create_app(
            Gateway(found, publisher, engine, metrics, web=web_box(on.web_origins, "kunci-uji", 30))
        )
        port = int(gateway_url.rsplit(":", 1)[1])
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
        )
        serving = threading.Thread(target=server.run, name="gateway", daemon=True)
        sender = Sender(found, amqp_url=on.amqp_url, engine=engine, metrics=metrics, rate=50.0, attempts=3)
        sending = threading.Thread(target=sender.run, args=(stop,), name="sender", daemon=True)
        sending.start()
        serving.start()
        try:
            wait_for(lambda: server.started or not serving.is_alive(), timeout=15, what="the gateway")
            assert server.started, "the gateway did not start"
            yield Office(on, engine, site, stranger)
        finally:
            server.should_exit = True
            stop.set()
            serving.join(15)
            sending.join(15)
            publisher.close()
            engine.dispose()


@pytest.fixture
def visit(browser: Browser) -> Iterator[Callable[[str], Page]]:
    """A citizen's browser (one context: its cookies stay between visits) opening a page."""
    context = browser.new_context(viewport=VIEWPORT, locale="id-ID", timezone_id="Asia/Jakarta")
    context.set_default_timeout(TIMEOUT_MS)

    def open_page(url: str) -> Page:
        page = context.new_page()
        page.goto(url)
        return page

    yield open_page
    context.close()


def conversation(page: Page) -> Locator:
    return page.get_by_role("log", name="Percakapan")


def ask(page: Page, question: str, name: str = "") -> None:
    """What a citizen does: open the box, (a name,) the question, Enter."""
    page.get_by_role("button", name="Tanya Disdukcapil").click()
    if name:
        page.get_by_label("Nama (boleh dikosongkan)").fill(name)
    page.get_by_label("Pertanyaan Anda").fill(question)
    page.get_by_label("Pertanyaan Anda").press("Enter")


def answer_first_case(office: Office, chart: OrgChart, text: str) -> None:
    """An admin takes the case from the queue and answers it, as from the console."""
    s = office.settings
    task = wait_for(
        lambda: take_next(office.engine, s.amqp_url, "admin", "Admin Rina", chart), what="the task"
    )
    send_result(
        office.engine,
        s.amqp_url,
        task.task_id,
        officer="Admin Rina",
        outcome=Outcome.answered,
        text=text,
        now=datetime.now(UTC),
        zone=office_zone(s),
    )


def step_8_done(engine: Engine) -> bool:
    with engine.connect() as db:
        row = db.execute(
            sa.select(handovers.c.done_at)
            .join(inquiries, inquiries.c.inquiry_id == handovers.c.inquiry_id)
            .where(handovers.c.step == 8, inquiries.c.channel == "web")
        ).first()
    return row is not None and row.done_at is not None


def test_a_question_in_the_box_gets_its_ticket_the_officer_s_answer_and_the_survey_it_answers(
    office: Office, chart: OrgChart, visit: Callable[[str], Page]
) -> None:
    page = visit(office.site.url)
    ask(page, QUESTION, name="Siti")
    log = conversation(page)
    expect(log).to_contain_text(QUESTION)
    expect(log).to_contain_text("BMS-")  # the acknowledgement with the ticket
    expect(page.get_by_role("status")).to_have_text("Terkirim. Jawaban akan muncul di sini.")
    expect(page.get_by_label("Pertanyaan Anda")).to_be_focused()
    answer_first_case(office, chart, ANSWER)
    expect(log).to_contain_text(ANSWER)
    # The stream that showed it is the delivery: step 8 closes, and the survey follows.
    wait_for(lambda: step_8_done(office.engine), what="step 8 closed")
    expect(log).to_contain_text("4 = sangat baik")
    screenshot(page, "widget")
    # The citizen rates in the same box: the number, Enter; the office thanks them there.
    page.get_by_label("Pertanyaan Anda").fill("4")
    page.get_by_label("Pertanyaan Anda").press("Enter")
    expect(log).to_contain_text("Terima kasih atas penilaian Bapak/Ibu (4 dari 4")
    with office.engine.connect() as db:
        name, account = db.execute(sa.select(inquiries.c.name, inquiries.c.account)).one()
    assert name == "Siti" and account.startswith("w-")
    # The office's page still finds its own element by its id, and keeps its styles.
    assert page.evaluate("document.getElementById('bamsos-text').value") == "milik halaman kantor"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(253, 246, 227)"
    # ... and its styles, !important ones too, stay out of the box.
    assert "Georgia" not in log.evaluate("el => getComputedStyle(el).fontFamily")
    send = page.get_by_role("button", name="Kirim")
    assert send.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(11, 83, 148)"  # not hotpink


def test_a_returning_visitor_finds_the_conversation(office: Office, visit: Callable[[str], Page]) -> None:
    page = visit(office.site.url)
    ask(page, QUESTION)
    expect(conversation(page)).to_contain_text("BMS-")
    page.close()
    again = visit(office.site.url)
    again.get_by_role("button", name="Tanya Disdukcapil").click()
    expect(conversation(again)).to_contain_text(QUESTION)
    expect(conversation(again)).to_contain_text("BMS-")


def test_the_box_is_used_with_the_keyboard_alone(office: Office, visit: Callable[[str], Page]) -> None:
    page = visit(office.site.url)
    opener = page.get_by_role("button", name="Tanya Disdukcapil")
    opener.focus()
    page.keyboard.press("Enter")
    expect(opener).to_be_hidden()
    question = page.get_by_label("Pertanyaan Anda")
    expect(question).to_be_focused()
    expect(conversation(page)).to_have_attribute("aria-live", "polite")
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_label("Nama (boleh dikosongkan)")).to_be_focused()
    page.keyboard.press("Escape")
    expect(opener).to_be_focused()
    # The honeypot is out of sight and out of the tab order.
    assert page.get_by_label("Situs web").get_attribute("tabindex") == "-1"


def test_a_page_the_gateway_does_not_list_can_t_send(office: Office, visit: Callable[[str], Page]) -> None:
    page = visit(office.stranger.url)
    ask(page, "Pertanyaan dari situs lain")
    expect(page.get_by_role("status")).to_contain_text("Tidak tersambung")
    assert ready_count(office.settings.amqp_url, "bamsos.intake") == 0
    with office.engine.connect() as db:
        assert db.scalar(sa.select(sa.func.count()).select_from(inquiries)) == 0
