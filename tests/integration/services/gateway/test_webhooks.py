"""The gateway's webhooks on the real broker and database: what a platform posts is checked, then
published with confirms before the 200; statuses of what we sent become one delivery receipt."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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
from shared.devtools import fake_platforms
from shared.devtools.fake_platforms import signature
from shared.runtime.settings import Settings
from shared.runtime.storage import gateway_messages, gateway_sends, inquiries, make_engine
from shared.sop.contracts import Inquiry, Receipt
from tests.helpers import InProcess, drain, ready_count, wait_for
from tests.integration.services.gateway.platforms_on import (
    META_SECRET,
    META_VERIFY,
    TG_SECRET,
    WA_SECRET,
    WA_VERIFY,
    closed_port,
    with_platforms,
)

pytestmark = pytest.mark.integration

CITIZEN = "6281234567890"
PSID = "6543210987654321"
INTAKE = "bamsos.intake"
ROUTER = "bamsos.router"


@dataclass
class Running:
    """The app under a test client, and its metrics."""

    client: TestClient
    registry: CollectorRegistry

    def webhooks(self, channel: str, outcome: str) -> float:
        return self.counted("webhooks", channel=channel, outcome=outcome)

    def counted(self, name: str, **labels: str) -> float:
        return self.registry.get_sample_value(f"bamsos_gateway_{name}_total", labels) or 0.0

    def signed(self, platform: str, body: Any, secret: str | None = None) -> httpx.Response:
        """POST as WhatsApp or Meta does: the raw body signed with the app secret."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        secret = secret or {"whatsapp": WA_SECRET, "meta": META_SECRET}[platform]
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature(secret, raw)}
        return self.client.post(f"/webhooks/{platform}", content=raw, headers=headers)

    def telegram(self, body: Any, secret: str | None = TG_SECRET) -> httpx.Response:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        return self.client.post("/webhooks/telegram", json=body, headers=headers)


@contextmanager
def serving(settings: Settings, engine: Engine, amqp_url: str | None = None) -> Iterator[Running]:
    """The gateway's app with a real publisher (on `amqp_url`, the test vhost unless said)."""
    registry = CollectorRegistry()
    metrics = build_gateway_metrics(registry)
    metrics.start_at_zero()
    publisher = Publisher(amqp_url or settings.amqp_url)
    app = create_app(Gateway(platforms(settings), publisher, engine, metrics))
    try:
        with TestClient(app) as client:
            yield Running(client, registry)
    finally:
        publisher.close()


@pytest.fixture
def gateway(settings: Settings, engine: Engine) -> Iterator[Running]:
    with serving(with_platforms(settings), engine) as running:
        yield running


def sent_earlier(
    engine: Engine, platform_message_id: str, channel: str = "whatsapp", account: str = CITIZEN
) -> str:
    """A reply the sender put out a minute ago (as it records one): its reply id."""
    reply_id = uuid.uuid4().hex
    at = datetime.now(UTC) - timedelta(minutes=1)
    with engine.begin() as db:
        db.execute(
            sa.insert(gateway_sends).values(
                reply_id=reply_id, channel=channel, account=account, state="sent", sent_at=at
            )
        )
        db.execute(
            sa.insert(gateway_messages).values(
                platform_message_id=platform_message_id, reply_id=reply_id, part=0, sent_at=at
            )
        )
    return reply_id


def state_of(engine: Engine, reply_id: str) -> tuple[str, datetime | None]:
    with engine.connect() as db:
        row = db.execute(
            sa.select(gateway_sends.c.state, gateway_sends.c.delivered_at).where(
                gateway_sends.c.reply_id == reply_id
            )
        ).one()
    return row.state, row.delivered_at


def nothing_published(amqp_url: str) -> bool:
    return ready_count(amqp_url, INTAKE) == 0 and ready_count(amqp_url, ROUTER) == 0


# --- the handshake --------------------------------------------------------------------------------


def test_the_handshake_answers_the_challenge_as_plain_text_and_refuses_a_wrong_token(
    gateway: Running,
) -> None:
    for platform, token in (("whatsapp", WA_VERIFY), ("meta", META_VERIFY)):
        params = {"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1158201444"}
        answer = gateway.client.get(f"/webhooks/{platform}", params=params)
        assert answer.status_code == 200
        assert answer.text == "1158201444"
        assert answer.headers["content-type"].startswith("text/plain")
    for params in (
        {"hub.mode": "subscribe", "hub.verify_token": "guessed", "hub.challenge": "1158201444"},
        {"hub.mode": "subscribe", "hub.verify_token": META_VERIFY, "hub.challenge": "1158201444"},
        {"hub.mode": "unsubscribe", "hub.verify_token": WA_VERIFY, "hub.challenge": "1158201444"},
        {"hub.challenge": "1158201444"},
    ):
        answer = gateway.client.get("/webhooks/whatsapp", params=params)
        assert answer.status_code == 403
        assert "1158201444" not in answer.text


def test_a_platform_that_is_off_answers_404_to_the_handshake_and_the_webhook(
    settings: Settings, engine: Engine
) -> None:
    with serving(with_platforms(settings, meta_app_secret=None), engine) as gateway:
        params = {"hub.mode": "subscribe", "hub.verify_token": META_VERIFY, "hub.challenge": "1"}
        assert gateway.client.get("/webhooks/meta", params=params).status_code == 404
        body = fake_platforms.meta_webhook("page", [fake_platforms.meta_text("m_1", PSID, "halo")])
        assert gateway.signed("meta", body).status_code == 404
        assert (
            gateway.client.get("/webhooks/whatsapp", params={**params, "hub.verify_token": WA_VERIFY}).text
            == "1"
        )
    assert nothing_published(settings.amqp_url)


def test_telegram_has_no_handshake_and_an_unknown_platform_is_not_found(gateway: Running) -> None:
    assert gateway.client.get("/webhooks/telegram", params={"hub.mode": "subscribe"}).status_code == 404
    assert gateway.client.post("/webhooks/line", json={}).status_code == 404


# --- citizens' messages ---------------------------------------------------------------------------


def test_a_signed_whatsapp_text_is_an_inquiry_on_the_intake_queue_when_the_platform_gets_its_200(
    gateway: Running, settings: Settings
) -> None:
    at = datetime(2026, 11, 30, 1, 15, tzinfo=UTC)
    body = fake_platforms.whatsapp_text(
        "wamid.HBgLNjI4MTIz", CITIZEN, "Siti Lestari", "Syarat bikin KIA?", at
    )
    answer = gateway.signed("whatsapp", body)
    assert answer.status_code == 200
    [got] = drain(settings.amqp_url, INTAKE)  # confirmed before the 200: no waiting
    assert got.routing_key == "inquiry.whatsapp"
    assert got.properties.message_id == "whatsapp:wamid.HBgLNjI4MTIz"
    assert got.properties.delivery_mode == 2 and got.properties.content_type == "application/json"
    inquiry = Inquiry.model_validate_json(got.body)
    assert (inquiry.id, inquiry.channel, inquiry.account, inquiry.name) == (
        "wamid.HBgLNjI4MTIz",
        "whatsapp",
        CITIZEN,
        "Siti Lestari",
    )
    assert inquiry.sent_at == at
    assert inquiry.text == "Syarat bikin KIA?"
    assert got.json()["schema"] == "bamsos.inquiry/1"
    assert gateway.webhooks("whatsapp", "accepted") == 1


def test_a_whatsapp_image_without_a_caption_is_kept_with_a_placeholder_and_its_media_id(
    gateway: Running, settings: Settings
) -> None:
    body = fake_platforms.whatsapp_text("wamid.IMG", CITIZEN, "Siti", "x")
    message = body["entry"][0]["changes"][0]["value"]["messages"][0]
    del message["text"]
    message.update(
        type="image", image={"mime_type": "image/jpeg", "sha256": "abc=", "id": "1479537139650973"}
    )
    assert gateway.signed("whatsapp", body).status_code == 200
    [got] = drain(settings.amqp_url, INTAKE)
    inquiry = Inquiry.model_validate_json(got.body)
    assert (inquiry.text, inquiry.media_kind, inquiry.media_id) == (
        "[gambar tanpa keterangan]",
        "image",
        "1479537139650973",
    )


FORGERIES: dict[str, Callable[[bytes], dict[str, str]]] = {
    "missing": lambda raw: {},
    "another secret": lambda raw: {"X-Hub-Signature-256": signature("not-the-app-secret", raw)},
    "another body": lambda raw: {"X-Hub-Signature-256": signature(WA_SECRET, raw + b" ")},
    "mangled": lambda raw: {"X-Hub-Signature-256": signature(WA_SECRET, raw).upper()},
    "no digest": lambda raw: {"X-Hub-Signature-256": "sha256="},
    "the bare digest": lambda raw: {"X-Hub-Signature-256": signature(WA_SECRET, raw)[len("sha256=") :]},
}


def test_a_forged_or_missing_signature_is_refused_401_and_nothing_is_published(
    gateway: Running, settings: Settings
) -> None:
    raw = json.dumps(fake_platforms.whatsapp_text("wamid.FORGED", CITIZEN, "X", "palsu")).encode()
    for name, forge in FORGERIES.items():
        answer = gateway.client.post("/webhooks/whatsapp", content=raw, headers=forge(raw))
        assert answer.status_code == 401, name
    assert nothing_published(settings.amqp_url)
    assert gateway.webhooks("whatsapp", "bad_signature") == len(FORGERIES)
    assert gateway.webhooks("whatsapp", "accepted") == 0


def test_a_meta_webhook_signed_with_whatsapps_secret_is_refused(gateway: Running, settings: Settings) -> None:
    body = fake_platforms.meta_webhook("page", [fake_platforms.meta_text("m_1", PSID, "halo")])
    assert gateway.signed("meta", body, secret=WA_SECRET).status_code == 401
    assert nothing_published(settings.amqp_url)


def test_a_telegram_update_without_its_secret_token_is_refused_401(
    gateway: Running, settings: Settings
) -> None:
    wrong = [None, "", "tg-secret-tokeN", "tg-secret-token-and-more", WA_SECRET]
    for secret in wrong:
        answer = gateway.telegram(fake_platforms.telegram_text(1, 4242, 7, "Siti", "halo"), secret=secret)
        assert answer.status_code == 401, secret
    assert nothing_published(settings.amqp_url)
    assert gateway.webhooks("telegram", "bad_signature") == len(wrong)


def test_a_telegram_update_with_its_secret_token_is_an_inquiry(gateway: Running, settings: Settings) -> None:
    assert gateway.telegram(fake_platforms.telegram_text(1, 4242, 7, "Siti", "halo")).status_code == 200
    [got] = drain(settings.amqp_url, INTAKE)
    inquiry = Inquiry.model_validate_json(got.body)
    assert (got.routing_key, inquiry.id, inquiry.account, inquiry.name) == (
        "inquiry.telegram",
        "4242:7",
        "4242",
        "Siti",
    )


def test_a_telegram_update_without_a_message_is_answered_200_and_publishes_nothing(
    gateway: Running, settings: Settings
) -> None:
    edited = {
        "update_id": 2,
        "edited_message": fake_platforms.telegram_text(2, 4242, 7, "Siti", "ralat")["message"],
    }
    assert gateway.telegram(edited).status_code == 200
    assert nothing_published(settings.amqp_url)
    assert gateway.webhooks("telegram", "ignored") == 1


def test_messenger_and_instagram_messages_are_inquiries_on_their_channels_and_echoes_are_ignored(
    gateway: Running, settings: Settings
) -> None:
    echo = {**fake_platforms.meta_text("m_ours", "PAGE_ID", "jawaban"), "recipient": {"id": PSID}}
    echo["message"]["is_echo"] = True
    body = fake_platforms.meta_webhook("page", [fake_platforms.meta_text("m_1", PSID, "halo"), echo])
    assert gateway.signed("meta", body).status_code == 200
    body = fake_platforms.meta_webhook("instagram", [fake_platforms.meta_text("aWdf", "17841400001", "hai")])
    assert gateway.signed("meta", body).status_code == 200
    got = drain(settings.amqp_url, INTAKE)
    assert [(g.routing_key, g.json()["id"], g.json()["account"]) for g in got] == [
        ("inquiry.facebook", "m_1", PSID),
        ("inquiry.instagram", "aWdf", "17841400001"),
    ]


NOT_WEBHOOKS = {
    "not json": ("whatsapp", b"{not json"),
    "no entry": ("whatsapp", b'{"object": "whatsapp_business_account"}'),
    "a list": ("whatsapp", b"[1, 2, 3]"),
    "not utf-8": ("whatsapp", "\u00e9".encode("latin-1")),
    "deep nesting": ("whatsapp", b"[" * 100_000 + b"]" * 100_000),
    "a time past the calendar": (
        "whatsapp",
        json.dumps(fake_platforms.whatsapp_status("wamid.X", CITIZEN, "read"))
        .replace('"timestamp": "', '"timestamp": "9e99')
        .encode(),
    ),
    "not a page": ("meta", json.dumps({"object": "user", "entry": []}).encode()),
    "no sender": ("meta", b'{"object": "page", "entry": [{"messaging": [{"message": {"mid": "m"}}]}]}'),
}


def test_a_signed_body_that_is_not_a_webhook_is_refused_400_and_nothing_is_published(
    gateway: Running, settings: Settings
) -> None:
    for name, (platform, raw) in NOT_WEBHOOKS.items():
        assert gateway.signed(platform, raw).status_code == 400, name
    assert nothing_published(settings.amqp_url)
    assert gateway.webhooks("whatsapp", "malformed") == 6
    assert gateway.webhooks("facebook", "malformed") == 2


def test_a_telegram_body_that_is_not_an_update_is_refused_400(gateway: Running, settings: Settings) -> None:
    assert gateway.telegram({"message": {"text": "no update id"}}).status_code == 400
    assert nothing_published(settings.amqp_url)


def test_a_message_whose_id_breaks_the_inquiry_contract_is_refused_400_not_an_error(
    gateway: Running, settings: Settings
) -> None:
    # An inquiry id is at most 200 characters: a signed body with a longer one is malformed.
    body = fake_platforms.whatsapp_text("wamid." + "x" * 300, CITIZEN, "Siti", "halo")
    assert gateway.signed("whatsapp", body).status_code == 400
    assert nothing_published(settings.amqp_url)


def test_a_message_id_the_database_cannot_hold_is_refused_400_not_an_error(
    gateway: Running, settings: Settings
) -> None:
    # PostgreSQL's text holds no NUL character: looking such an id up fails before any publishing.
    for body in (
        fake_platforms.whatsapp_text("wamid.\u0000", CITIZEN, "Siti", "halo"),
        fake_platforms.whatsapp_status("wamid.\u0000", CITIZEN, "delivered"),
    ):
        assert gateway.signed("whatsapp", body).status_code == 400
    assert nothing_published(settings.amqp_url)


def test_a_body_over_a_megabyte_is_refused_413(gateway: Running, settings: Settings) -> None:
    body = fake_platforms.whatsapp_text("wamid.BIG", CITIZEN, "Siti", "x" * (1024 * 1024))
    assert gateway.signed("whatsapp", body).status_code == 413
    assert nothing_published(settings.amqp_url)


def test_a_platforms_retry_of_a_registered_message_is_answered_200_counted_duplicate_and_not_published(
    gateway: Running, settings: Settings
) -> None:
    body = fake_platforms.whatsapp_text("wamid.RETRY", CITIZEN, "Siti", "Syarat KIA?")
    with InProcess("intake", settings):
        assert gateway.signed("whatsapp", body).status_code == 200
        engine = make_engine(settings.database_url)

        def registered() -> bool:
            with engine.connect() as db:
                query = sa.select(inquiries.c.inquiry_id).where(inquiries.c.upstream_id == "wamid.RETRY")
                return db.scalar(query) is not None

        wait_for(registered, what="intake registered the inquiry")
        engine.dispose()
    assert gateway.signed("whatsapp", body).status_code == 200  # WhatsApp retries when unsure
    assert ready_count(settings.amqp_url, INTAKE) == 0
    assert (gateway.webhooks("whatsapp", "accepted"), gateway.webhooks("whatsapp", "duplicate")) == (1, 1)


# --- statuses of what we sent ---------------------------------------------------------------------


def receipts(settings: Settings) -> list[Receipt]:
    got = drain(settings.amqp_url, ROUTER)
    assert all(g.routing_key.startswith("receipt.") for g in got)
    return [Receipt.model_validate_json(g.body) for g in got]


def test_delivered_is_one_receipt_for_the_router_and_read_after_it_adds_nothing(
    gateway: Running, settings: Settings, engine: Engine
) -> None:
    reply_id = sent_earlier(engine, "wamid.OUT1")
    at = datetime(2026, 11, 30, 2, 1, 30, tzinfo=UTC)
    assert (
        gateway.signed(
            "whatsapp", fake_platforms.whatsapp_status("wamid.OUT1", CITIZEN, "delivered", at)
        ).status_code
        == 200
    )
    got = drain(settings.amqp_url, ROUTER)
    assert [g.routing_key for g in got] == ["receipt.whatsapp"]
    assert got[0].json() == {
        "schema": "bamsos.receipt/1",
        "reply_id": reply_id,
        "delivered_at": "2026-11-30T02:01:30Z",
    }
    assert state_of(engine, reply_id) == ("delivered", at)
    for state in ("delivered", "read"):  # WhatsApp's retry of delivered, then read
        later = fake_platforms.whatsapp_status("wamid.OUT1", CITIZEN, state, at + timedelta(minutes=1))
        assert gateway.signed("whatsapp", later).status_code == 200
    assert receipts(settings) == []
    assert state_of(engine, reply_id) == ("delivered", at)
    assert gateway.counted("deliveries", channel="whatsapp") == 1
    assert gateway.webhooks("whatsapp", "duplicate") == 2


def test_read_without_delivered_counts_as_delivered(
    gateway: Running, settings: Settings, engine: Engine
) -> None:
    reply_id = sent_earlier(engine, "wamid.OUT2")
    at = datetime(2026, 11, 30, 2, 5, tzinfo=UTC)
    assert (
        gateway.signed(
            "whatsapp", fake_platforms.whatsapp_status("wamid.OUT2", CITIZEN, "read", at)
        ).status_code
        == 200
    )
    assert receipts(settings) == [Receipt(reply_id=reply_id, delivered_at=at)]
    assert state_of(engine, reply_id) == ("delivered", at)
    assert gateway.counted("deliveries", channel="whatsapp") == 1


def test_sent_is_not_a_delivery(gateway: Running, settings: Settings, engine: Engine) -> None:
    reply_id = sent_earlier(engine, "wamid.OUT3")
    assert (
        gateway.signed("whatsapp", fake_platforms.whatsapp_status("wamid.OUT3", CITIZEN, "sent")).status_code
        == 200
    )
    assert receipts(settings) == []
    assert state_of(engine, reply_id) == ("sent", None)
    assert gateway.webhooks("whatsapp", "ignored") == 1


def test_failed_publishes_nothing_counts_a_delivery_failure_and_marks_the_send_failed(
    gateway: Running, settings: Settings, engine: Engine
) -> None:
    reply_id = sent_earlier(engine, "wamid.OUT4")
    assert (
        gateway.signed(
            "whatsapp", fake_platforms.whatsapp_status("wamid.OUT4", CITIZEN, "failed")
        ).status_code
        == 200
    )
    assert receipts(settings) == []
    assert state_of(engine, reply_id) == ("failed", None)
    assert gateway.counted("delivery_failures", channel="whatsapp") == 1
    assert gateway.counted("deliveries", channel="whatsapp") == 0


def test_a_status_of_a_message_we_did_not_send_is_ignored(gateway: Running, settings: Settings) -> None:
    status = fake_platforms.whatsapp_status("wamid.SOMEONE-ELSES", CITIZEN, "delivered")
    assert gateway.signed("whatsapp", status).status_code == 200
    assert receipts(settings) == []
    assert gateway.webhooks("whatsapp", "ignored") == 1


def test_a_messenger_delivery_as_documented_is_a_receipt(
    gateway: Running, settings: Settings, engine: Engine
) -> None:
    reply_id = sent_earlier(engine, "m_out1", channel="facebook", account=PSID)
    # Meta's message_deliveries event: no timestamp, the mids and a watermark.
    delivery = {
        "sender": {"id": PSID},
        "recipient": {"id": "PAGE_ID"},
        "delivery": {"mids": ["m_out1"], "watermark": int(datetime.now(UTC).timestamp() * 1000)},
    }
    assert gateway.signed("meta", fake_platforms.meta_webhook("page", [delivery])).status_code == 200
    [receipt] = receipts(settings)
    assert receipt.reply_id == reply_id
    assert state_of(engine, reply_id)[0] == "delivered"


def test_a_messenger_read_watermark_delivers_every_reply_to_the_citizen_sent_before_it(
    gateway: Running, settings: Settings, engine: Engine
) -> None:
    first = sent_earlier(engine, "m_out2", channel="facebook", account=PSID)
    second = sent_earlier(engine, "m_out3", channel="facebook", account=PSID)
    other = sent_earlier(engine, "m_out4", channel="facebook", account="someone-else")
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    read = {
        "sender": {"id": PSID},
        "recipient": {"id": "PAGE_ID"},
        "timestamp": now_ms,
        "read": {"watermark": now_ms},
    }
    assert gateway.signed("meta", fake_platforms.meta_webhook("page", [read])).status_code == 200
    assert sorted(r.reply_id for r in receipts(settings)) == sorted([first, second])
    assert state_of(engine, other)[0] == "sent"


# --- the broker or the database away --------------------------------------------------------------


def test_with_the_broker_unreachable_the_platform_is_answered_503_so_it_retries(
    settings: Settings, engine: Engine
) -> None:
    away = f"amqp://guest:guest@127.0.0.1:{closed_port()}/%2F"
    with serving(with_platforms(settings), engine, amqp_url=away) as gateway:
        body = fake_platforms.whatsapp_text("wamid.AWAY", CITIZEN, "Siti", "halo")
        assert gateway.signed("whatsapp", body).status_code == 503
        assert gateway.webhooks("whatsapp", "unavailable") == 1
        assert gateway.webhooks("whatsapp", "accepted") == 0


def test_with_the_database_unreachable_the_platform_is_answered_503(settings: Settings) -> None:
    away = make_engine(f"postgresql+psycopg2://postgres@127.0.0.1:{closed_port()}/bamsos")
    with serving(with_platforms(settings), away) as gateway:
        body = fake_platforms.whatsapp_text("wamid.NODB", CITIZEN, "Siti", "halo")
        assert gateway.signed("whatsapp", body).status_code == 503
        assert gateway.webhooks("whatsapp", "unavailable") == 1
    away.dispose()
    assert nothing_published(settings.amqp_url)


def test_the_health_check_answers_ok(gateway: Running) -> None:
    answer = gateway.client.get("/healthz")
    assert (answer.status_code, answer.text) == (200, "ok")


def test_every_channel_and_outcome_is_exported_from_zero(gateway: Running) -> None:
    sample = gateway.registry.get_sample_value
    assert sample("bamsos_gateway_webhooks_total", {"channel": "instagram", "outcome": "unavailable"}) == 0.0
    assert sample("bamsos_gateway_deliveries_total", {"channel": "telegram"}) == 0.0
