"""The data-protection officer in the console: lands on the access log, filters it, handles a data
subject's request (a copy as JSON and PDF, erasure after a confirmation), and opens no queue, case
or card; no other officer sees the officer's pages. Over HTTP, and as plain functions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from services.console import card, pdp_log, queue
from services.console.guards import Denied
from services.console.state import Console
from shared.privacy.access_log import Account, Action, entries
from shared.runtime.settings import Settings
from shared.runtime.storage import inquiries
from tests.helpers import wait_for
from tests.integration.services.console.conftest import DPO, client_for, inquire, logged_in, login
from tests.integration.services.console.test_handlers import request

pytestmark = pytest.mark.integration

WORK_PAGES = [
    "/antrean/admin",
    "/kartu",
    "/kartu?q=@sitilestari",
    "/kasus/admin-x",
    "/peringatan",
    "/ringkasan",
]
DPO_PAGES = ["/pdp/log", "/pdp/permohonan"]


def test_the_dpo_lands_on_the_access_log_and_every_page_with_case_text_is_refused(
    client: TestClient,
) -> None:
    response = login(client, DPO[0])
    assert response.status_code == 303 and response.headers["location"] == "/pdp/log"
    page = client.get("/pdp/log").text
    assert "Log akses data pribadi" in page and 'href="/pdp/permohonan"' in page
    assert "Nomor permohonan" in client.get("/pdp/permohonan").text
    assert 'href="/kartu"' not in page and "/antrean/" not in page
    for path in [*WORK_PAGES, "/laporan/2026-11.pdf"]:
        refused = client.get(path)
        assert refused.status_code == 403, path
        assert "pelindungan data" in refused.text and "Kembali ke log akses" in refused.text


@pytest.mark.parametrize("username", ["rina", "hendra", "budi", "wati"])
def test_units_and_heads_are_refused_the_dpo_pages(console: Console, username: str) -> None:
    with client_for(console) as client:
        token = logged_in(client, username)
        for path in DPO_PAGES:
            assert client.get(path).status_code == 403, path
        form = {"csrf_token": token, "kanal": "instagram", "akun": "@sitilestari", "nomor": "PDP/1"}
        for path in ["/pdp/permohonan", "/pdp/permohonan/ekspor", "/pdp/permohonan/hapus"]:
            assert client.post(path, data=form).status_code == 403, path


def test_the_log_is_filtered_by_date_officer_and_account(console: Console, client: TestClient) -> None:
    log, now = console.access_log, datetime.now(UTC)
    siti, budi = Account("instagram", "@sitilestari"), Account("telegram", "budi_s")
    with console.engine.begin() as db:
        log.record(db, "rina", Action.OPEN_CASE, case_id="kasus-1", account=siti, client="10.0.0.7", at=now)
        log.record(db, "hendra", Action.CARD_SEARCH, account=budi, client="10.0.0.8", at=now)
        log.record(
            db, "os:root", Action.SUBJECT_EXPORT, account=siti, reference="PDP/9", at=now - timedelta(days=30)
        )
    logged_in(client, DPO[0])
    week = client.get("/pdp/log").text
    assert "2 catatan" in week and "buka kasus" in week and "10.0.0.7" in week and "PDP/9" not in week
    assert "@sitilestari" not in week and f"#{log.account_hash(siti)[:12]}" in week
    by_officer = client.get("/pdp/log", params={"petugas": "hendra"}).text
    assert (
        "1 catatan" in by_officer and "cari kartu menurut akun" in by_officer and "kasus-1" not in by_officer
    )
    month = (now - timedelta(days=40)).date().isoformat()
    by_account = client.get(
        "/pdp/log", params={"kanal": "instagram", "akun": "@sitilestari", "dari": month}
    ).text
    assert "2 catatan" in by_account and "PDP/9" in by_account and "10.0.0.8" not in by_account
    bad = client.get("/pdp/log", params={"dari": "kemarin"})
    assert bad.status_code == 400 and "TTTT-BB-HH" in bad.text
    half = client.get("/pdp/log", params={"akun": "@sitilestari"})
    assert half.status_code == 400 and "pilih kanal" in half.text


def texts_of(console: Console, account: str) -> list[str]:
    with console.engine.connect() as db:
        return list(db.scalars(sa.select(inquiries.c.text).where(inquiries.c.account == account)))


@pytest.mark.usefixtures("pipeline")
def test_a_data_subjects_request_a_copy_then_erasure_after_a_confirmation(
    settings: Settings, console: Console, client: TestClient
) -> None:
    answered = inquire(
        settings, topic="informasi", service="kia", account="@bambang88", text="NIK 3271046504870002"
    )
    still_open = inquire(
        settings, topic="informasi", service="kia", account="@bambang88", text="Satu lagi, min"
    )
    with client_for(console) as rina:
        token = logged_in(rina, "rina")
        taken = rina.post("/antrean/admin/ambil", data={"csrf_token": token}).headers["location"]
        assert taken == f"/kasus/{answered.task_id}"
        rina.post(f"{taken}/jawab", data={"csrf_token": token, "teks": "Syarat KIA: akta kelahiran."})
    wait_for(lambda: _replied(console, answered.inquiry_id), what="the answer recorded")
    token = logged_in(client, DPO[0])
    form = {"csrf_token": token, "kanal": "instagram", "akun": "@bambang88", "nomor": "PDP/2026/017"}
    found = client.post("/pdp/permohonan", data=form).text
    assert "2 pertanyaan, 1 masih terbuka" in found and still_open.ticket in found
    copy = client.post("/pdp/permohonan/ekspor", data={**form, "format": "json"})
    assert (
        copy.status_code == 200
        and 'filename="ekspor-PDP-2026-017.json"' in copy.headers["content-disposition"]
    )
    held = json.loads(copy.text)
    assert held["akun"] == "@bambang88" and {c["text"] for c in held["pertanyaan"]} >= {
        "NIK 3271046504870002"
    }
    pdf = client.post("/pdp/permohonan/ekspor", data={**form, "format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    confirm = client.post("/pdp/permohonan/hapus", data=form).text
    assert "Konfirmasi penghapusan" in confirm and "Ya, hapus sekarang" in confirm
    assert "NIK 3271046504870002" in texts_of(console, "@bambang88"), "nothing erased before the confirmation"
    done = client.post("/pdp/permohonan/hapus", data={**form, "konfirmasi": "ya"}).text
    assert (
        "data pribadi 1 kasus dihapus" in done
        and f"Dibiarkan: 1 kasus masih terbuka ({still_open.ticket})" in done
    )
    assert "NIK 3271046504870002" not in texts_of(console, "@bambang88")
    with console.engine.connect() as db:
        logged = [(e.action, e.actor, e.reference, e.client) for e in entries(db) if e.actor == DPO[0]]
    by_dpo = (DPO[0], "PDP/2026/017", "testclient")
    assert logged == [(Action.SUBJECT_EXPORT, *by_dpo)] * 2 + [(Action.SUBJECT_ERASURE, *by_dpo)]


def _replied(console: Console, inquiry_id: str) -> bool:
    with console.engine.connect() as db:
        return (
            db.scalar(sa.select(inquiries.c.replied_at).where(inquiries.c.inquiry_id == inquiry_id))
            is not None
        )


def test_a_request_with_a_wrong_field_or_an_unknown_account_is_refused_and_changes_nothing(
    console: Console, client: TestClient
) -> None:
    token = logged_in(client, DPO[0])
    form = {"csrf_token": token, "kanal": "instagram", "akun": "@tidakada", "nomor": "PDP/1"}
    unknown = client.post("/pdp/permohonan/hapus", data={**form, "konfirmasi": "ya"})
    assert unknown.status_code == 404 and "Tidak ada data tentang akun itu" in unknown.text
    no_number = client.post("/pdp/permohonan", data={**form, "nomor": ""})
    assert no_number.status_code == 400 and "Nomor permohonan wajib" in no_number.text
    no_channel = client.post("/pdp/permohonan/ekspor", data={**form, "kanal": "merpati"})
    assert no_channel.status_code == 400 and "Pilih kanal" in no_channel.text
    assert client.post("/pdp/permohonan/hapus", data={**form, "csrf_token": "x"}).status_code == 403
    with console.engine.connect() as db:
        assert list(entries(db)) == []


@pytest.mark.anyio
async def test_the_guards_as_functions_the_dpo_only_on_their_pages(console: Console) -> None:
    page: Any = await pdp_log.log_page(request(console, "/pdp/log", DPO[0]))
    assert page.status_code == 200 and "0 catatan" in page.body.decode()
    with pytest.raises(Denied, match="hanya untuk petugas pelindungan data"):
        await pdp_log.log_page(request(console, "/pdp/log", "wati"))
    with pytest.raises(Denied, match="Petugas pelindungan data tidak membuka"):
        await queue.queue_page(request(console, "/antrean/admin", DPO[0], unit="admin"))
    with pytest.raises(Denied, match="Petugas pelindungan data tidak membuka"):
        await card.card_search(request(console, "/kartu", DPO[0]))
