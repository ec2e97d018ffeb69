"""The sender on the real broker and database, against local fakes of the platforms' send APIs:
each reply on `bamsos.replies` reaches its citizen once, as the platform documents the call, is
recorded before the ack, and what a platform refuses is dead-lettered with the reason."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from prometheus_client import CollectorRegistry
from sqlalchemy.engine import Engine

from services.gateway.metrics import build_gateway_metrics
from services.gateway.platforms import platforms
from services.gateway.sender import Sender
from services.intake.service import SPEC as INTAKE
from services.router.service import SPEC as ROUTER
from shared.devtools.fake_platforms import Call, FakePlatforms
from shared.runtime import topology
from shared.runtime.settings import Settings
from shared.runtime.storage import gateway_messages, gateway_sends, handovers, inquiries
from shared.runtime.worker import to_json
from shared.runtime.worker.harness import run_route
from shared.sop.classify import Classifier, load_rules
from shared.sop.clock import SopClock
from shared.sop.context import HandlerSetup
from shared.sop.contracts import Channel, Inquiry, Outcome, Receipt, Reply, Task, TaskResult
from shared.sop.metrics import build_sop_metrics
from shared.sop.orgchart import load_chart
from tests.helpers import Got, drain, publish, ready_count, wait_for
from tests.integration.services.gateway.platforms_on import (
    META_TOKEN,
    TG_BOT,
    WA_PHONE,
    WA_TOKEN,
    with_platforms,
)

pytestmark = pytest.mark.integration

CITIZEN = "6281234567890"
PSID = "6543210987654321"
CHAT = "4242"
ANSWER = "Syaratnya KK asli dan akta kelahiran anak. Datang ke loket 3, gratis."


@dataclass
class Running:
    registry: CollectorRegistry

    def sends(self, channel: str, outcome: str) -> float:
        labels = {"channel": channel, "outcome": outcome}
        return self.registry.get_sample_value("bamsos_gateway_sends_total", labels) or 0.0


@contextmanager
def sending(settings: Settings, engine: Engine, fake: FakePlatforms, **changes: Any) -> Iterator[Running]:
    """`Sender.run` on a thread, every platform pointed at the fakes; stopped (and joined) after."""
    on = with_platforms(
        settings, whatsapp_api_url=fake.url, telegram_api_url=fake.url, meta_api_url=fake.url, **changes
    )
    registry = CollectorRegistry()
    metrics = build_gateway_metrics(registry)
    metrics.start_at_zero()
    sender = Sender(
        platforms(on), amqp_url=on.amqp_url, engine=engine, metrics=metrics, rate=100.0, attempts=3
    )
    stop = threading.Event()
    thread = threading.Thread(target=sender.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield Running(registry)
    finally:
        stop.set()
        thread.join(15)
        assert not thread.is_alive(), "the sender did not stop"


@pytest.fixture
def fake() -> Iterator[FakePlatforms]:
    with FakePlatforms() as platforms_:
        yield platforms_


def a_reply(channel: str = "whatsapp", account: str = CITIZEN, text: str = ANSWER) -> Reply:
    return Reply(
        reply_id=uuid.uuid4().hex,
        inquiry_id=uuid.uuid4().hex,
        in_reply_to=f"upstream-{uuid.uuid4().hex[:8]}",
        channel=Channel(channel),
        account=account,
        text=text,
        created_at=datetime.now(UTC),
    )


def put(settings: Settings, reply: Reply) -> None:
    """The router's reply, on bamsos.outbound `reply.<channel>` (bound to bamsos.replies)."""
    publish(settings.amqp_url, topology.OUTBOUND, f"reply.{reply.channel}", to_json(reply), reply.reply_id)


def recorded(engine: Engine, reply_id: str) -> sa.Row[Any] | None:
    with engine.connect() as db:
        return db.execute(sa.select(gateway_sends).where(gateway_sends.c.reply_id == reply_id)).one_or_none()


def parts(engine: Engine, reply_id: str) -> list[tuple[int, str]]:
    with engine.connect() as db:
        rows = db.execute(
            sa.select(gateway_messages.c.part, gateway_messages.c.platform_message_id)
            .where(gateway_messages.c.reply_id == reply_id)
            .order_by(gateway_messages.c.part)
        )
        return [(r.part, r.platform_message_id) for r in rows]


def calls_with(fake: FakePlatforms, text: str) -> list[Call]:
    return [c for c in list(fake.calls) if c.text == text]


def dead_letter(settings: Settings) -> Got:
    wait_for(lambda: ready_count(settings.amqp_url, topology.DEAD_LETTER_QUEUE) == 1, what="a dead letter")
    [got] = drain(settings.amqp_url, topology.DEAD_LETTER_QUEUE)
    return got


def words(text: str) -> list[str]:
    return text.split()


# --- sending ----------------------------------------------------------------------------------------


def test_a_whatsapp_reply_is_sent_once_as_documented_and_recorded_before_the_ack(
    settings: Settings, engine: Engine, fake: FakePlatforms
) -> None:
    reply = a_reply()
    with sending(settings, engine, fake) as running:
        put(settings, reply)
        wait_for(lambda: recorded(engine, reply.reply_id), what="the send recorded")
    [call] = fake.calls
    assert (call.platform, call.path, call.answered) == ("whatsapp", f"/{WA_PHONE}/messages", 200)
    assert call.headers["authorization"] == f"Bearer {WA_TOKEN}"
    assert call.body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": CITIZEN,
        "type": "text",
        "text": {"body": ANSWER},
    }
    sent = recorded(engine, reply.reply_id)
    assert sent is not None
    assert (sent.channel, sent.account, sent.state, sent.via_template) == ("whatsapp", CITIZEN, "sent", False)
    [(part, wamid)] = parts(engine, reply.reply_id)
    assert part == 0 and wamid.startswith("wamid."), "the platform's id, for its status webhooks"
    assert ready_count(settings.amqp_url, topology.REPLIES_QUEUE) == 0, "acked"
    assert ready_count(settings.amqp_url, "bamsos.router") == 0, "WhatsApp's receipt comes by webhook"
    assert running.sends("whatsapp", "sent") == 1


def test_a_long_messenger_reply_goes_out_in_two_messages_cut_between_words(
    settings: Settings, engine: Engine, fake: FakePlatforms
) -> None:
    text = " ".join(f"kata{n:04d}" for n in range(340))  # 3,059 characters: over Messenger's 2,000
    reply = a_reply("facebook", PSID, text)
    with sending(settings, engine, fake):
        put(settings, reply)
        wait_for(lambda: recorded(engine, reply.reply_id), what="the send recorded")
    calls = fake.sent("meta")
    assert len(calls) == 2
    assert all(
        c.path == "/me/messages" and c.headers["authorization"] == f"Bearer {META_TOKEN}" for c in calls
    )
    assert all(
        c.body == {"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": {"text": c.text}}
        for c in calls
    )
    texts = [str(c.text) for c in calls]
    assert all(len(t) <= 2000 for t in texts)
    assert words(" ".join(texts)) == words(text), "every word once, in order, none cut"
    assert [p for p, _ in parts(engine, reply.reply_id)] == [0, 1]


def test_a_long_instagram_reply_is_cut_at_instagrams_own_limit(
    settings: Settings, engine: Engine, fake: FakePlatforms
) -> None:
    text = " ".join(f"kata{n:04d}" for n in range(170))  # 1,529 characters: over Instagram's 1,000
    reply = a_reply("instagram", "17841400001", text)
    with sending(settings, engine, fake):
        put(settings, reply)
        wait_for(lambda: recorded(engine, reply.reply_id), what="the send recorded")
    texts = [str(c.text) for c in fake.sent("meta")]
    assert len(texts) == 2 and all(len(t) <= 1000 for t in texts)
    assert words(" ".join(texts)) == words(text)


def test_a_reply_longer_than_the_contract_allows_is_dead_lettered_not_sent(
    settings: Settings, engine: Engine, fake: FakePlatforms
) -> None:
    # A reply's text is 1-4000 characters (bamsos.reply/1): a 5,000-character one is not a reply.
    body = json.loads(to_json(a_reply()))
    body["text"] = ("kata " * 1000).strip()
    raw = json.dumps(body).encode()
    with sending(settings, engine, fake):
        publish(settings.amqp_url, topology.OUTBOUND, "reply.whatsapp", raw, body["reply_id"])
        dead = dead_letter(settings)
    assert dead.properties.headers["x-bamsos-reason"] == "invalid"
    assert dead.properties.headers["x-bamsos-queue"] == topology.REPLIES_QUEUE
    assert dead.body == raw
    assert fake.calls == []


def test_throttled_then_accepted_is_one_message_sent_after_the_platforms_retry_after(
    settings: Settings, engine: Engine, fake: FakePlatforms
) -> None:
    fake.plan("whatsapp", 500, {"error": {"message": "Something went wrong", "code": 131000}})
    throttled = {"error": {"message": "(#130429) Rate limit hit", "type": "OAuthException", "code": 130429}}
    fake.plan("whatsapp", 429, throttled, {"Retry-After": "2"})
    reply = a_reply()
    with sending(settings, engine, fake) as running:
        put(settings, reply)
        wait_for(lambda: [c.answered for c in fake.calls] == [500, 429], what="the 500 and the 429")
        throttled_at = time.monotonic()
        wait_for(lambda: recorded(engine, reply.reply_id), what="the send recorded")
        waited = time.monotonic() - throttled_at
    assert [c.answered for c in fake.calls] == [500, 429, 200]
    assert len(fake.sent("whatsapp")) == 1
    assert len(parts(engine, reply.reply_id)) == 1
    assert waited >= 1.9, f"the next call came {waited:.2f}s after a Retry-After of 2s"
    assert (running.sends("whatsapp", "retried"), running.sends("whatsapp", "sent")) == (2, 1)


def test_a_reply_the_platform_refuses_is_dead_lettered_with_the_reason_and_its_queue(
    settings: Settings, engine: Engine, fake: FakePlatforms
) -> None:
    refusal = {
        "error": {
            "message": "(#131030) Recipient phone number not in allowed list",
            "type": "OAuthException",
            "code": 131030,
            "fbtrace_id": "AbCdEf",
        }
    }
    fake.plan("whatsapp", 400, refusal)
    reply = a_reply()
    with sending(settings, engine, fake) as running:
        put(settings, reply)
        dead = dead_letter(settings)
    headers = dead.properties.headers
    assert headers["x-bamsos-reason"] == "platform_refused"
    assert headers["x-bamsos-queue"] == topology.REPLIES_QUEUE, "bamsos dlq replay sends it back there"
    assert "131030" in headers["x-bamsos-detail"] and CITIZEN not in headers["x-bamsos-detail"]
    assert dead.body == to_json(reply)
    assert len(fake.calls) == 1, "a refusal is not retried"
    assert recorded(engine, reply.reply_id) is None
    assert ready_count(settings.amqp_url, topology.REPLIES_QUEUE) == 0
    assert running.sends("whatsapp", "refused") == 1


def test_a_reply_on_a_channel_whose_platform_is_off_is_dead_lettered(
    settings: Settings, engine: Engine, fake: FakePlatforms
) -> None:
    with sending(settings, engine, fake, meta_page_token=None) as running:
        put(settings, a_reply("facebook", PSID))
        dead = dead_letter(settings)
    assert dead.properties.headers["x-bamsos-reason"] == "channel_off"
    assert fake.calls == []
    assert running.sends("facebook", "no_platform") == 1


# --- WhatsApp's 24-hour window ----------------------------------------------------------------------


def answered_case(engine: Engine, account: str, wrote_ago: timedelta) -> Reply:
    """A citizen's WhatsApp inquiry through intake and the router, answered by the admin (step 3):
    the reply the router sends, with step 8 open on the control card."""
    setup = HandlerSetup(
        clock=SopClock(),
        chart=load_chart(),
        metrics=build_sop_metrics(CollectorRegistry()),
        classifier=Classifier(load_rules()),
    )
    inquiry = Inquiry.model_validate(
        {
            "id": f"wamid.{uuid.uuid4().hex}",
            "channel": "whatsapp",
            "account": account,
            "name": "Siti Lestari",
            "sent_at": datetime.now(UTC) - wrote_ago,
            "text": "Min, syarat bikin KIA apa aja?",
            "service": "kia",
            "topic": "informasi",
        }
    )
    with engine.begin() as db:
        ctx = setup.context(db, None)
        registered, _acknowledgement = run_route(INTAKE, inquiry, ctx)
        [assigned] = run_route(ROUTER, registered.message, ctx)
        assert isinstance(assigned.message, Task)
        result = TaskResult(
            task_id=assigned.message.task_id,
            officer="Petugas A",
            outcome=Outcome.answered,
            text=ANSWER,
            at=datetime.now(UTC),
        )
        [reply] = [o.message for o in run_route(ROUTER, result, ctx) if isinstance(o.message, Reply)]
    return reply


def step8_note(engine: Engine, reply_id: str) -> str | None:
    with engine.connect() as db:
        inquiry_id = db.scalar(sa.select(inquiries.c.inquiry_id).where(inquiries.c.reply_id == reply_id))
        note: str | None = db.scalar(
            sa.select(handovers.c.note).where(handovers.c.inquiry_id == inquiry_id, handovers.c.step == 8)
        )
        return note


def test_past_the_24_hour_window_the_approved_template_goes_out_and_step_8_says_so(
    settings: Settings, engine: Engine, fake: FakePlatforms
) -> None:
    reply = answered_case(engine, CITIZEN, wrote_ago=timedelta(hours=25))
    with sending(settings, engine, fake, whatsapp_template="bamsos_jawaban_siap:id") as running:
        put(settings, reply)
        wait_for(lambda: recorded(engine, reply.reply_id), what="the send recorded")
    [call] = fake.calls
    assert call.body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": CITIZEN,
        "type": "template",
        "template": {"name": "bamsos_jawaban_siap", "language": {"code": "id"}},
    }
    sent = recorded(engine, reply.reply_id)
    assert sent is not None and sent.via_template
    note = step8_note(engine, reply.reply_id)
    assert note is not None
    assert "templat WhatsApp 'bamsos_jawaban_siap'" in note and "24 jam" in note
    assert running.sends("whatsapp", "template") == 1


def test_past_the_24_hour_window_without_a_template_the_reply_is_dead_lettered_window_closed(
    settings: Settings, engine: Engine, fake: FakePlatforms
) -> None:
    reply = answered_case(engine, CITIZEN, wrote_ago=timedelta(hours=25))
    with sending(settings, engine, fake) as running:
        put(settings, reply)
        dead = dead_letter(settings)
    assert dead.properties.headers["x-bamsos-reason"] == "window_closed"
    assert "BAMSOS_WHATSAPP_TEMPLATE" in dead.properties.headers["x-bamsos-detail"]
    assert fake.calls == []
    assert recorded(engine, reply.reply_id) is None
    assert step8_note(engine, reply.reply_id) is None
    assert running.sends("whatsapp", "window_closed") == 1


def test_within_the_24_hour_window_the_text_goes_out_even_with_a_template_set(
    settings: Settings, engine: Engine, fake: FakePlatforms
) -> None:
    reply = answered_case(engine, CITIZEN, wrote_ago=timedelta(hours=23))
    with sending(settings, engine, fake, whatsapp_template="bamsos_jawaban_siap:id"):
        put(settings, reply)
        wait_for(lambda: recorded(engine, reply.reply_id), what="the send recorded")
    [call] = fake.calls
    assert call.body["type"] == "text" and call.text == reply.text and reply.text.startswith(ANSWER)
    assert step8_note(engine, reply.reply_id) is None


def test_a_window_closed_refusal_from_the_platform_is_dead_lettered_window_closed(
    settings: Settings, engine: Engine, fake: FakePlatforms
) -> None:
    window = {"error": {"message": "(#10) This message is sent outside of allowed window.", "code": 10}}
    fake.plan("meta", 400, {"error": {**window["error"], "error_subcode": 2018278}})
    with sending(settings, engine, fake):
        put(settings, a_reply("facebook", PSID))
        dead = dead_letter(settings)
    assert dead.properties.headers["x-bamsos-reason"] == "window_closed"


# --- Telegram: an accepted send is the delivery -----------------------------------------------------


def test_an_accepted_telegram_send_publishes_the_delivery_receipt_itself(
    settings: Settings, engine: Engine, fake: FakePlatforms
) -> None:
    reply = a_reply("telegram", CHAT)
    with sending(settings, engine, fake) as running:
        put(settings, reply)
        wait_for(lambda: ready_count(settings.amqp_url, "bamsos.router") == 1, what="the receipt")
    [call] = fake.calls
    assert call.path == f"/bot{TG_BOT}/sendMessage"
    assert call.body == {"chat_id": CHAT, "text": ANSWER}
    [got] = drain(settings.amqp_url, "bamsos.router")
    assert got.routing_key == "receipt.telegram"
    assert got.properties.message_id == f"receipt-{reply.reply_id}"
    assert Receipt.model_validate_json(got.body).reply_id == reply.reply_id
    assert [p for p, _ in parts(engine, reply.reply_id)] == [0]
    assert running.sends("telegram", "sent") == 1
    assert running.registry.get_sample_value("bamsos_gateway_deliveries_total", {"channel": "telegram"}) == 1


# --- redeliveries -----------------------------------------------------------------------------------


def test_the_same_reply_delivered_twice_reaches_the_citizen_once(
    settings: Settings, engine: Engine, fake: FakePlatforms
) -> None:
    reply = a_reply()
    after = a_reply(text="Balasan berikutnya, dikirim sesudahnya.")
    with sending(settings, engine, fake):
        put(settings, reply)
        put(settings, reply)
        put(settings, after)  # the queue is taken in order: once this is out, both copies were handled
        wait_for(lambda: recorded(engine, after.reply_id), what="the later reply sent")
    assert len(calls_with(fake, ANSWER)) == 1
    assert ready_count(settings.amqp_url, topology.REPLIES_QUEUE) == 0


def test_a_reply_recorded_sent_before_a_crash_is_acked_on_redelivery_without_a_second_call(
    settings: Settings, engine: Engine, fake: FakePlatforms
) -> None:
    # The crash came after the platform's 200 and the record, before the ack: the broker redelivers.
    reply = a_reply()
    with engine.begin() as db:
        at = datetime.now(UTC)
        db.execute(
            sa.insert(gateway_messages).values(
                platform_message_id="wamid.BEFORE-CRASH", reply_id=reply.reply_id, part=0, sent_at=at
            )
        )
        db.execute(
            sa.insert(gateway_sends).values(
                reply_id=reply.reply_id, channel="whatsapp", account=CITIZEN, state="sent", sent_at=at
            )
        )
    after = a_reply(text="Balasan berikutnya, dikirim sesudahnya.")
    with sending(settings, engine, fake):
        put(settings, reply)
        put(settings, after)
        wait_for(lambda: recorded(engine, after.reply_id), what="the later reply sent")
    assert calls_with(fake, ANSWER) == []
    assert ready_count(settings.amqp_url, topology.REPLIES_QUEUE) == 0


def test_a_telegram_reply_recorded_before_a_crash_still_gets_its_receipt_without_a_second_call(
    settings: Settings, engine: Engine, fake: FakePlatforms
) -> None:
    reply = a_reply("telegram", CHAT)
    with engine.begin() as db:
        db.execute(
            sa.insert(gateway_sends).values(
                reply_id=reply.reply_id,
                channel="telegram",
                account=CHAT,
                state="sent",
                sent_at=datetime.now(UTC),
            )
        )
    with sending(settings, engine, fake):
        put(settings, reply)
        wait_for(lambda: ready_count(settings.amqp_url, "bamsos.router") == 1, what="the receipt")
    assert fake.calls == []
    [got] = drain(settings.amqp_url, "bamsos.router")
    assert Receipt.model_validate_json(got.body).reply_id == reply.reply_id


def test_after_a_crash_between_the_parts_of_a_long_reply_only_the_missing_part_is_sent(
    settings: Settings, engine: Engine, fake: FakePlatforms
) -> None:
    text = " ".join(f"kata{n:04d}" for n in range(340))
    reply = a_reply("facebook", PSID, text)
    with engine.begin() as db:
        db.execute(
            sa.insert(gateway_messages).values(
                platform_message_id="m_part0", reply_id=reply.reply_id, part=0, sent_at=datetime.now(UTC)
            )
        )
    with sending(settings, engine, fake):
        put(settings, reply)
        wait_for(lambda: recorded(engine, reply.reply_id), what="the send recorded")
    [call] = fake.sent("meta")
    assert str(call.text).endswith("kata0339")
    assert not str(call.text).startswith("kata0000")
    assert [p for p, _ in parts(engine, reply.reply_id)] == [0, 1]
