"""A citizen on WhatsApp and one on Telegram, through the gateway and back, with every process real.

The whole pipeline runs as `bamsos run all` (the five workers and the gateway); the platforms are
local fakes of their send APIs. Signed webhooks go in, an officer answers from the admin queue, the
fake platform receives each answer once, WhatsApp's delivery webhook comes back (Telegram's
accepted send is its delivery), and the control card shows step 8 done.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa

from services.catalog import PROCESSES
from shared.devtools.fake_platforms import (
    Call,
    FakePlatforms,
    signature,
    telegram_text,
    whatsapp_status,
    whatsapp_text,
)
from shared.devtools.local_prometheus import free_port
from shared.devtools.polling import healthy
from shared.runtime.settings import Settings
from shared.runtime.storage import handovers, inquiries, make_engine
from shared.sop.contracts import Outcome
from shared.sop.office_calendar import office_zone
from shared.sop.orgchart import OrgChart
from shared.staff.actions import send_result, take_next
from shared.staff.card import control_card
from tests.helpers import wait_for

pytestmark = pytest.mark.e2e

APP_SECRET, VERIFY, TG_SECRET = "wa-app-secret", "wa-verify", "tg-secret"
RETENTION_DAYS, PRIVACY_CONTACT = 180, "PPID Disdukcapil, surel ppid@disdukcapil.example"


@pytest.fixture
def fake() -> Iterator[FakePlatforms]:
    with FakePlatforms() as platforms:
        yield platforms


@pytest.fixture
def gateway_url(settings: Settings, fake: FakePlatforms) -> Iterator[str]:
    port = free_port()
    env = dict(
        os.environ,
        BAMSOS_AMQP_URL=settings.amqp_url,
        BAMSOS_DATABASE_URL=settings.database_url,
        BAMSOS_CALENDAR="24x7",
        BAMSOS_METRICS_PORTS=json.dumps(dict.fromkeys(PROCESSES, 0)),
        BAMSOS_LOG_LEVEL="warning",
        BAMSOS_GATEWAY_PORT=str(port),
        BAMSOS_CONSOLE_PORT="0",
        BAMSOS_PDP_KEY="kunci-rahasia-uji-0123456789",  # the console starts only with it
        BAMSOS_WHATSAPP_VERIFY_TOKEN=VERIFY,
        BAMSOS_WHATSAPP_APP_SECRET=APP_SECRET,
        BAMSOS_WHATSAPP_ACCESS_TOKEN="wa-access-token",
        BAMSOS_WHATSAPP_PHONE_NUMBER_ID="106540352242922",
        BAMSOS_WHATSAPP_API_URL=fake.url,
        BAMSOS_TELEGRAM_SECRET_TOKEN=TG_SECRET,
        BAMSOS_TELEGRAM_BOT_TOKEN="123456:bot-token",
        BAMSOS_TELEGRAM_API_URL=fake.url,
        BAMSOS_RETENTION_DAYS=str(RETENTION_DAYS),
        BAMSOS_PRIVACY_CONTACT=PRIVACY_CONTACT,
    )
    proc = subprocess.Popen([sys.executable, "-m", "services.cli", "run", "all"], env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: healthy(url), what="the gateway")
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


def post_signed(url: str, body: dict[str, object]) -> httpx.Response:
    raw = json.dumps(body).encode()
    headers = {"X-Hub-Signature-256": signature(APP_SECRET, raw), "Content-Type": "application/json"}
    return httpx.post(f"{url}/webhooks/whatsapp", content=raw, headers=headers)


def test_an_answer_reaches_whatsapp_and_telegram_once_and_step_8_closes(
    settings: Settings, chart: OrgChart, fake: FakePlatforms, gateway_url: str
) -> None:
    engine = make_engine(settings.database_url)
    wa = post_signed(
        gateway_url, whatsapp_text("wamid.HBgM001", "6281234567890", "Siti", "Min, syarat bikin KIA apa aja?")
    )
    update = telegram_text(900001, 55501, 7, "Budi", "Kak, syarat bikin KIA untuk anak 5 tahun apa saja?")
    tg = httpx.post(
        f"{gateway_url}/webhooks/telegram",
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET},
    )
    assert (wa.status_code, tg.status_code) == (200, 200)
    # WhatsApp retries a webhook it thinks failed: the same message again registers nothing new.
    assert (
        post_signed(
            gateway_url,
            whatsapp_text("wamid.HBgM001", "6281234567890", "Siti", "Min, syarat bikin KIA apa aja?"),
        ).status_code
        == 200
    )

    def registered() -> int:
        with engine.connect() as db:
            return int(db.scalar(sa.select(sa.func.count()).select_from(inquiries)) or 0)

    wait_for(lambda: registered() == 2, what="both inquiries registered")
    zone = office_zone(settings)
    for _ in range(2):
        task = wait_for(
            lambda: take_next(engine, settings.amqp_url, "admin", "Admin Rina", chart), what="a task"
        )
        answer = "Syarat KIA: akta kelahiran anak dan KK orang tua, kak."
        send_result(
            engine,
            settings.amqp_url,
            task.task_id,
            officer="Admin Rina",
            outcome=Outcome.answered,
            text=answer,
            now=task.assigned_at,
            zone=zone,
        )

    def answers(platform: str) -> list[Call]:
        """What the platform received that is the officer's answer (the others are notices)."""
        return [c for c in fake.sent(platform) if (c.text or "").startswith("Syarat KIA")]

    wait_for(
        lambda: len(answers("whatsapp")) == 1 and len(answers("telegram")) == 1, what="both answers sent"
    )
    [wa_call], [tg_call] = answers("whatsapp"), answers("telegram")
    assert wa_call.body["to"] == "6281234567890" and wa_call.text.startswith("Syarat KIA")
    assert tg_call.body["chat_id"] == "55501" and tg_call.text.startswith("Syarat KIA")

    wamid = wa_call.answer["messages"][0]["id"]
    assert post_signed(gateway_url, whatsapp_status(wamid, "6281234567890", "delivered")).status_code == 200
    assert post_signed(gateway_url, whatsapp_status(wamid, "6281234567890", "read")).status_code == 200

    def steps_8_done() -> bool:
        with engine.connect() as db:
            rows = db.execute(sa.select(handovers.c.done_at).where(handovers.c.step == 8)).all()
        return len(rows) == 2 and all(r.done_at is not None for r in rows)

    wait_for(steps_8_done, what="step 8 closed on both cards")
    with engine.connect() as db:
        case = db.scalar(sa.select(inquiries.c.inquiry_id).where(inquiries.c.channel == "whatsapp"))
    card = "\n".join(control_card(engine, case, zone).lines())
    step8 = next(line for line in card.splitlines() if line.startswith("8."))
    assert "…" not in step8  # a finished step shows its time against the standard
    assert (len(answers("whatsapp")), len(answers("telegram"))) == (1, 1)
    # Besides the answer, each citizen got the acknowledgement with the ticket and, once the answer
    # was delivered, the survey.
    for platform in ("whatsapp", "telegram"):
        wait_for(lambda p=platform: len(fake.sent(p)) == 3, what=f"the survey on {platform}")
        texts = [c.text or "" for c in fake.sent(platform)]
        assert "sudah kami terima dengan nomor tiket BMS-" in texts[0]
        assert "1 = tidak baik, 2 = kurang baik, 3 = baik, 4 = sangat baik" in texts[2]


def test_the_privacy_notice_comes_with_an_account_s_first_acknowledgement_only(
    settings: Settings, fake: FakePlatforms, gateway_url: str
) -> None:
    """Two questions from one WhatsApp number and one from a Telegram chat: each account is told
    once what is kept, for how long and where to ask, and not to post KTP-el/KK or NIK publicly."""
    for n, text in enumerate(("Min, syarat KIA apa?", "Kalau KK hilang bagaimana?")):
        assert (
            post_signed(gateway_url, whatsapp_text(f"wamid.P{n}", "6281100000001", "Siti", text)).status_code
            == 200
        )
    update = telegram_text(900101, 55601, 8, "Budi", "Syarat akta kelahiran apa saja?")
    headers = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
    assert httpx.post(f"{gateway_url}/webhooks/telegram", json=update, headers=headers).status_code == 200

    def acknowledgements(platform: str) -> list[str]:
        return [c.text or "" for c in fake.sent(platform) if "nomor tiket BMS-" in (c.text or "")]

    wait_for(
        lambda: len(acknowledgements("whatsapp")) == 2 and len(acknowledgements("telegram")) == 1,
        what="three acknowledgements",
    )
    told = [
        text
        for text in acknowledgements("whatsapp") + acknowledgements("telegram")
        if "Pelindungan data pribadi" in text
    ]
    assert len(told) == 2, "once per account: one of the two on WhatsApp, the one on Telegram"
    for text in told:
        assert f"paling lama {RETENTION_DAYS} hari" in text and PRIVACY_CONTACT in text
        assert "Disdukcapil Kota Pekanbaru" in text
        assert "foto KTP-el atau Kartu Keluarga" in text and "NIK di kolom komentar publik" in text
