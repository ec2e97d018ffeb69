"""Personal data stays in the database: a feed full of recognisable names, accounts, NIKs and phone
numbers goes through the whole pipeline, and none of them shows in any metric or any log line at the
default level, nor in the dead-letter listing — though the database holds them. The data-protection
officer's commands (`bamsos pdp ekspor`, `hapus`, `log`, `verifikasi`) print and log none either:
the copy goes to its files only."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from services.catalog import PROCESSES
from shared.devtools.feed import make_inquiries
from shared.devtools.local_prometheus import free_port
from shared.devtools.simulation import Connector, Staff, publish_inquiries
from shared.runtime import topology
from shared.runtime.settings import Settings
from shared.runtime.storage import inquiries, make_engine
from shared.runtime.worker import to_json
from shared.sop.orgchart import OrgChart
from tests.helpers import publish, ready_count, wait_for

pytestmark = pytest.mark.e2e

NAMES = ["Bambang Sutrisno Wicaksono", "Ni Luh Ayu Pradnyani", "Yohanes Kurniawan Siregar"]
ACCOUNTS = ["@bambang_wicaksono88", "@ayupradnyani.bali", "@yohanes_siregar"]
NIKS = ["3271046504870002", "5171015708920003", "1271032011850001"]
PHONES = ["081234567890", "+6285712345678", "0812-9876-5432"]


def test_names_accounts_nik_and_phone_numbers_never_reach_metrics_or_logs(
    settings: Settings, chart: OrgChart, tmp_path: Path
) -> None:
    feed = [
        inquiry.model_copy(
            update={
                "name": NAMES[n % 3],
                "account": ACCOUNTS[n % 3],
                "text": f"{inquiry.text} NIK saya {NIKS[n % 3]}, hp {PHONES[n % 3]}, a.n. {NAMES[n % 3]}",
            }
        )
        for n, inquiry in enumerate(make_inquiries(12, seed=5))
    ]
    # Bad input carrying personal data too: an unknown channel, a text too long.
    bad = [
        to_json(feed[0]).replace(b'"channel":"', b'"channel":"myspace', 1),
        to_json(feed[1]).replace(feed[1].text.encode(), (feed[1].text * 200).encode()),
    ]
    ports = {name: free_port() for name in PROCESSES}
    env = dict(
        os.environ,
        BAMSOS_AMQP_URL=settings.amqp_url,
        BAMSOS_DATABASE_URL=settings.database_url,
        BAMSOS_CALENDAR="24x7",
        BAMSOS_METRICS_PORTS=json.dumps(ports),
        BAMSOS_GATEWAY_PORT=str(free_port()),
        BAMSOS_CONSOLE_PORT=str(free_port()),
        # `run all` starts the console, which does not start without the access log's key.
        BAMSOS_PDP_KEY="kunci-rahasia-uji-0123456789",
    )
    env.pop("BAMSOS_LOG_LEVEL", None)  # the default level, as in production
    log = tmp_path / "services.log"
    bamsos = [sys.executable, "-m", "services.cli"]
    subprocess.run([*bamsos, "setup"], env=env, check=True, capture_output=True)
    with log.open("wb") as out:
        pipeline = subprocess.Popen([*bamsos, "run", "all"], env=env, stdout=out, stderr=subprocess.STDOUT)
    staff = Staff(settings.amqp_url, chart).start()
    connector = Connector(settings.amqp_url).start()
    try:
        publish_inquiries(settings.amqp_url, feed)
        for body in bad:
            publish(settings.amqp_url, topology.INBOUND, "inquiry.web", body)
        wait_for(lambda: len(connector.replies) >= len(feed), timeout=90, what="every inquiry answered")
        wait_for(lambda: ready_count(settings.amqp_url, topology.DEAD_LETTER_QUEUE) == 2, what="2 dead")
        # The console starts last and slowest (its answer index): wait for each process's metrics.
        metrics = "".join(
            wait_for(lambda p=port: _scrape(p), what=f"metrics on {port}") for port in ports.values()
        )
    finally:
        staff.stop()
        connector.stop()
        pipeline.send_signal(signal.SIGTERM)
        pipeline.wait(30)
    dlq = subprocess.run([*bamsos, "dlq", "list"], env=env, check=True, capture_output=True, text=True).stdout
    subject = ["--kanal", feed[3].channel.value, "--akun", feed[3].account, "--nomor-permohonan", "PDP-1"]
    commands = [
        ["ekspor", *subject, "--keluar", str(tmp_path / "salinan.json")],
        ["hapus", *subject],
        ["log"],
        ["verifikasi"],
    ]
    pdp_out = ""
    for args in commands:
        done = subprocess.run([*bamsos, "pdp", *args], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        pdp_out += done.stdout + done.stderr
    assert NAMES[0] in (tmp_path / "salinan.json").read_text(encoding="utf-8"), "the copy holds it"
    dlq += subprocess.run(
        [*bamsos, "dlq", "list"], env=env, check=True, capture_output=True, text=True
    ).stdout

    logs = log.read_text()
    assert "service_started" in logs and logs.count("dead_lettered") == 2, "the log was captured"
    assert "bamsos_inquiries_total" in metrics and "unknown_channel" in dlq
    personal = [*NAMES, *ACCOUNTS, *NIKS, *PHONES, *(a.lstrip("@") for a in ACCOUNTS)]
    for where, text in (
        ("metrics", metrics),
        ("logs", logs),
        ("bamsos dlq list", dlq),
        ("bamsos pdp", pdp_out),
    ):
        leaked = [p for p in personal if p in text]
        assert not leaked, f"personal data in {where}: {leaked}"
    with make_engine(settings.database_url).connect() as db:
        held = set(db.scalars(sa.select(inquiries.c.account)))
    assert set(ACCOUNTS) - {feed[3].account} < held, "the database keeps what the reports need"
    assert "(dihapus)" in held, "but what its subject asked to erase"


def _scrape(port: int) -> str:
    """The metrics served on `port`, "" while nothing listens there yet."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text: str = response.read().decode()
            return text
    except urllib.error.URLError:
        return ""
