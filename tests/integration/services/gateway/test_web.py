"""The website chat box's API on the real broker and database: a question from the office's site
is published as a `web` inquiry with the visitor's opaque id; another origin, an oversized body, a
client past its pace and a filled honeypot publish nothing and are counted. The sender keeps what
goes to a `web` visitor in the database, once."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from prometheus_client import CollectorRegistry
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from services.gateway.app import Gateway, create_app
from services.gateway.metrics import build_gateway_metrics
from services.gateway.platforms import platforms
from services.gateway.publisher import Publisher
from services.gateway.sender import Sender
from services.gateway.webguard import COOKIE, web_box
from shared.runtime import topology
from shared.runtime.settings import Settings
from shared.runtime.storage import gateway_sends, web_messages
from shared.runtime.worker import to_json
from shared.sop.contracts import Channel, CitizenNotice, Inquiry, Reply
from tests.helpers import drain, publish, ready_count, wait_for

pytestmark = pytest.mark.integration

SITE = "http://kantor.example"
INTAKE = "bamsos.intake"


@dataclass
class Running:
    client: TestClient
    registry: CollectorRegistry

    def counted(self, outcome: str) -> float:
        labels = {"channel": "web", "outcome": outcome}
        return self.registry.get_sample_value("bamsos_gateway_webhooks_total", labels) or 0.0

    def ask(self, body: Any, origin: str | None = SITE, **headers: str) -> httpx.Response:
        sent = {"origin": origin, **headers} if origin else headers
        if isinstance(body, bytes):
            return self.client.post("/widget/messages", content=body, headers=sent)
        return self.client.post("/widget/messages", json=body, headers=sent)


@contextmanager
def serving(settings: Settings, engine: Engine, per_minute: int = 6) -> Iterator[Running]:
    registry = CollectorRegistry()
    metrics = build_gateway_metrics(registry)
    metrics.start_at_zero()
    publisher = Publisher(settings.amqp_url)
    box = web_box([SITE], "kunci-uji", per_minute)
    on = settings.model_copy(update={"web_origins": [SITE]})
    app = create_app(Gateway(platforms(on), publisher, engine, metrics, web=box))
    try:
        with TestClient(app, base_url="http://gateway.example") as client:
            yield Running(client, registry)
    finally:
        publisher.close()


@pytest.fixture
def box(settings: Settings, engine: Engine) -> Iterator[Running]:
    with serving(settings, engine) as running:
        yield running


def inquiries_published(settings: Settings) -> list[Inquiry]:
    return [Inquiry.model_validate_json(got.body) for got in drain(settings.amqp_url, INTAKE)]


def test_the_box_is_not_served_until_origins_are_set(settings: Settings, engine: Engine) -> None:
    publisher = Publisher(settings.amqp_url)
    app = create_app(
        Gateway(platforms(settings), publisher, engine, build_gateway_metrics(CollectorRegistry()))
    )
    try:
        with TestClient(app) as client:
            assert client.get("/widget/bamsos.js").status_code == 404
            assert client.post("/widget/messages", json={"text": "halo"}).status_code == 404
    finally:
        publisher.close()


def test_the_script_is_served_to_any_page(box: Running) -> None:
    answer = box.client.get("/widget/bamsos.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assert "attachShadow" in answer.text
    # The chat platforms' webhook path does not take the box's channel.
    assert box.client.post("/webhooks/web", json={}).status_code == 404


def test_a_question_from_the_office_s_site_becomes_a_web_inquiry_of_an_opaque_visitor(
    settings: Settings, engine: Engine, box: Running
) -> None:
    answer = box.ask({"text": "Syarat bikin KIA apa saja?", "name": "Siti", "website": ""})
    assert answer.status_code == 202
    assert answer.headers["access-control-allow-origin"] == SITE
    assert answer.headers["access-control-allow-credentials"] == "true"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "Path=/widget/" in cookie and "SameSite=lax" in cookie
    (inquiry,) = wait_for(lambda: inquiries_published(settings), what="the inquiry")
    assert (inquiry.channel, inquiry.text, inquiry.name) == (
        Channel.web,
        "Syarat bikin KIA apa saja?",
        "Siti",
    )
    assert inquiry.account.startswith("w-") and "Siti" not in inquiry.account
    # The same browser (its cookie) asks again: the same visitor.
    assert box.ask({"text": "Kalau KK hilang?"}).status_code == 202
    (again,) = wait_for(lambda: inquiries_published(settings), what="the second inquiry")
    assert again.account == inquiry.account and again.name is None
    with engine.connect() as db:
        kept = db.execute(
            sa.select(web_messages.c.sender, web_messages.c.text)
            .where(web_messages.c.visitor == inquiry.account)
            .order_by(web_messages.c.id)
        ).all()
    assert [tuple(row) for row in kept] == [
        ("citizen", "Syarat bikin KIA apa saja?"),
        ("citizen", "Kalau KK hilang?"),
    ]
    assert box.counted("accepted") == 2


def test_a_tampered_cookie_is_a_new_visitor(settings: Settings, box: Running) -> None:
    assert box.ask({"text": "Pertanyaan pertama"}).status_code == 202
    (first,) = wait_for(lambda: inquiries_published(settings), what="the inquiry")
    box.client.cookies.set(COOKIE, "w-orang-lain.palsu.palsu", domain="gateway.example", path="/widget/")
    assert box.ask({"text": "Pertanyaan kedua"}).status_code == 202
    (second,) = wait_for(lambda: inquiries_published(settings), what="the inquiry")
    assert second.account != first.account and second.account != "w-orang-lain"


def test_where_the_browser_refuses_the_cookie_the_box_continues_by_the_signed_id_it_holds(
    settings: Settings, box: Running
) -> None:
    first = box.ask({"text": "Pertanyaan pertama"})
    held = first.json()["visitor"]
    box.client.cookies.clear()  # as Safari, which keeps no third-party cookie
    assert box.ask({"text": "Pertanyaan kedua", "visitor": held}).status_code == 202
    box.client.cookies.clear()
    assert box.ask({"text": "Pertanyaan ketiga", "visitor": held[:-3] + "xyz"}).status_code == 202
    one, two, forged = (i.account for i in inquiries_published(settings))
    assert one == two and forged != one
    box.client.cookies.clear()
    assert box.client.get("/widget/stream", headers={"origin": SITE}).status_code == 204  # no one


def test_another_origin_is_refused_before_anything_is_read(settings: Settings, box: Running) -> None:
    for origin in ("http://penipu.example", "null", None):
        answer = box.ask({"text": "Halo"}, origin=origin)
        assert answer.status_code == 403, origin
        assert "access-control-allow-origin" not in answer.headers
    preflight = box.client.options("/widget/messages", headers={"origin": "http://penipu.example"})
    assert preflight.status_code == 403
    assert ready_count(settings.amqp_url, INTAKE) == 0
    assert box.counted("bad_origin") == 4


def test_the_site_s_preflight_is_allowed_with_credentials(box: Running) -> None:
    headers = {"origin": SITE, "access-control-request-method": "POST"}
    answer = box.client.options("/widget/messages", headers=headers)
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == SITE
    assert answer.headers["access-control-allow-credentials"] == "true"
    assert "POST" in answer.headers["access-control-allow-methods"]


def test_an_oversized_body_or_question_is_refused(settings: Settings, box: Running) -> None:
    assert (
        box.ask(b'{"text": "' + b"a" * 20_000 + b'"}', **{"content-type": "application/json"}).status_code
        == 413
    )
    assert box.ask({"text": "panjang " * 600}).status_code == 413  # 4800 characters
    assert box.ask(b"bukan json").status_code == 400
    assert box.ask({"text": "   "}).status_code == 400
    assert ready_count(settings.amqp_url, INTAKE) == 0
    assert (box.counted("too_large"), box.counted("malformed")) == (2, 2)


def test_a_client_past_its_messages_a_minute_waits(settings: Settings, engine: Engine) -> None:
    with serving(settings, engine, per_minute=2) as box:
        assert [box.ask({"text": f"Pertanyaan {n}"}).status_code for n in range(2)] == [202, 202]
        refused = box.ask({"text": "Pertanyaan ketiga"})
        assert refused.status_code == 429 and refused.headers["retry-after"] == "60"
        assert box.counted("rate_limited") == 1
    # Published with confirms before each 202: both are there, the third never was.
    assert [i.text for i in inquiries_published(settings)] == ["Pertanyaan 0", "Pertanyaan 1"]


def test_a_filled_honeypot_is_told_ok_and_nothing_is_published(settings: Settings, box: Running) -> None:
    answer = box.ask({"text": "Beli obat murah di sini", "website": "http://spam.example"})
    assert answer.status_code == 202
    assert COOKIE not in answer.headers.get("set-cookie", "")
    assert ready_count(settings.amqp_url, INTAKE) == 0
    assert box.counted("honeypot") == 1


def test_the_sender_keeps_a_web_visitor_s_answer_once_for_their_stream(
    settings: Settings, engine: Engine
) -> None:
    on = settings.model_copy(update={"web_origins": [SITE]})
    sender = Sender(
        platforms(on),
        amqp_url=on.amqp_url,
        engine=engine,
        metrics=build_gateway_metrics(CollectorRegistry()),
        rate=100.0,
        attempts=3,
    )
    visitor = "w-" + uuid.uuid4().hex
    now = datetime.now(UTC)
    reply = Reply(
        reply_id=uuid.uuid4().hex,
        inquiry_id="i-1",
        in_reply_to="u-1",
        channel=Channel.web,
        account=visitor,
        text="Jawaban petugas",
        created_at=now,
    )
    notice = CitizenNotice(
        notice_id=uuid.uuid4().hex,
        inquiry_id="i-1",
        ticket="BMS-261207-0001",
        kind="acknowledged",
        channel=Channel.web,
        account=visitor,
        text="Pertanyaan diterima",
        created_at=now,
    )
    for message, key, id_ in (
        (notice, "notice.web", notice.notice_id),
        (reply, "reply.web", reply.reply_id),
        (reply, "reply.web", reply.reply_id),
    ):
        publish(settings.amqp_url, topology.OUTBOUND, key, to_json(message), id_)
    stop = threading.Event()
    thread = threading.Thread(target=sender.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_for(
            lambda: (
                ready_count(settings.amqp_url, topology.REPLIES_QUEUE) == 0
                and kept(engine, visitor) == [("notice", "Pertanyaan diterima"), ("reply", "Jawaban petugas")]
            ),
            what="both kept",
        )
    finally:
        stop.set()
        thread.join(15)
    with engine.connect() as db:
        state = db.scalar(sa.select(gateway_sends.c.state).where(gateway_sends.c.reply_id == reply.reply_id))
    assert state == "sent", "delivered only when the visitor's stream has it"


def kept(engine: Engine, visitor: str) -> list[tuple[str, str]]:
    with engine.connect() as db:
        rows = db.execute(
            sa.select(web_messages.c.kind, web_messages.c.text)
            .where(web_messages.c.visitor == visitor)
            .order_by(web_messages.c.id)
        )
        return [(r.kind, r.text) for r in rows]
