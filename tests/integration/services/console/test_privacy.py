"""Personal data in the console (UU 27/2022), over HTTP on the real broker and database: NIK, phone
numbers and e-mail addresses masked on the queue, the case page and card search; the holder's
reveal with a reason; a row in the access log for every look, with the client address; the
kadis's unmasked laporan an explicit, logged choice."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import openpyxl
import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient

from services.console.state import Console, build_console
from shared.privacy.access_log import Account, Action, Entry, entries
from shared.runtime.errors import ConfigError
from shared.runtime.settings import Settings
from tests.integration.services.console.conftest import client_for, inquire, logged_in

pytestmark = pytest.mark.integration

NIK = "3271046504870002"
PHONE = "081234567890"
TEXT = f"Min, KIA anak saya belum jadi. NIK saya {NIK}, WA {PHONE}, email siti.l@contoh.id"


def rows(console: Console, action: Action) -> list[Entry]:
    with console.engine.connect() as db:
        return [e for e in entries(db) if e.action == action]


def take(client: TestClient, token: str) -> str:
    response = client.post("/antrean/admin/ambil", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["location"].startswith("/kasus/")
    return str(response.headers["location"]).removeprefix("/kasus/")


@pytest.mark.usefixtures("pipeline")
def test_the_case_text_is_masked_until_its_holder_reveals_it_with_a_reason_which_is_logged(
    settings: Settings, console: Console, client: TestClient
) -> None:
    case = inquire(settings, topic="informasi", service="kia", text=TEXT)
    token = logged_in(client, "rina")
    queue = client.get("/antrean/admin").text
    assert case.ticket in queue and NIK not in queue and "3271••••••••0002" in queue and PHONE not in queue
    task_id = take(client, token)
    page = client.get(f"/kasus/{task_id}").text
    assert NIK not in page and PHONE not in page and "siti.l@" not in page and "s•••@contoh.id" in page
    [opened] = rows(console, Action.OPEN_CASE)
    assert (opened.actor, opened.case_id, opened.client) == ("rina", case.inquiry_id, "testclient")
    assert opened.account_hash == console.access_log.account_hash(Account("instagram", "@sitilestari"))
    # Without the form's token, without a reason, or not the holder: refused, nothing shown or logged.
    assert client.post(f"/kasus/{task_id}/tampilkan", data={"alasan": "verifikasi"}).status_code == 403
    no_reason = client.post(f"/kasus/{task_id}/tampilkan", data={"csrf_token": token, "alasan": "iseng"})
    assert no_reason.status_code == 400 and NIK not in no_reason.text
    with client_for(console) as sari:
        other = logged_in(sari, "sari")
        refused = sari.post(f"/kasus/{task_id}/tampilkan", data={"csrf_token": other, "alasan": "lainnya"})
        assert refused.status_code == 403 and NIK not in refused.text
    assert rows(console, Action.REVEAL) == []
    shown = client.post(f"/kasus/{task_id}/tampilkan", data={"csrf_token": token, "alasan": "verifikasi"})
    assert shown.status_code == 200 and NIK in shown.text and PHONE in shown.text
    [reveal] = rows(console, Action.REVEAL)
    assert (reveal.actor, reveal.case_id, reveal.client) == ("rina", case.inquiry_id, "testclient")
    assert reveal.reference == "alasan: verifikasi data pemohon"
    # The next visit is masked again (and is another look).
    assert NIK not in client.get(f"/kasus/{task_id}").text and len(rows(console, Action.OPEN_CASE)) == 2
    # A card search by the account shows the case masked, and is logged under the account.
    found = client.get("/kartu", params={"q": "@sitilestari"}).text
    assert case.ticket in found and NIK not in found and "3271••••••••0002" in found
    [search] = rows(console, Action.CARD_SEARCH)
    assert search.account_hash == opened.account_hash and search.client == "testclient"
    # A search by date looks at no account: masked, and no row.
    client.get("/kartu", params={"q": datetime.now(UTC).date().isoformat()})
    assert len(rows(console, Action.CARD_SEARCH)) == 1


def register_text(xlsx: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(xlsx), read_only=True)
    return " ".join(str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row if v)


@pytest.mark.usefixtures("pipeline")
def test_the_laporan_is_masked_for_every_head_and_in_full_only_when_the_kadis_asks_which_is_logged(
    settings: Settings, console: Console, client: TestClient
) -> None:
    inquire(settings, topic="informasi", service="kia", text=TEXT)
    month = datetime.now(UTC).astimezone(console.clock.zone).strftime("%Y-%m")
    token = logged_in(client, "wati")
    masked = client.get(f"/laporan/{month}.xlsx")
    assert masked.status_code == 200 and NIK not in register_text(masked.content)
    assert "KIA anak saya belum jadi" in register_text(masked.content), "the register, masked"
    assert "tanpa sensor" in client.get("/ringkasan").text
    assert rows(console, Action.LAPORAN_UNMASKED) == []
    assert client.post(f"/laporan/{month}.xlsx").status_code == 403  # no form token
    full = client.post(f"/laporan/{month}.xlsx", data={"csrf_token": token})
    assert full.status_code == 200 and NIK in register_text(full.content)
    [unmasked] = rows(console, Action.LAPORAN_UNMASKED)
    assert unmasked.actor == "wati" and unmasked.client == "testclient" and "/" in (unmasked.reference or "")
    # A kasi gets the masked one and no choice.
    with client_for(console) as kasi:
        kasi_token = logged_in(kasi, "hendra")
        assert "tanpa sensor" not in kasi.get("/ringkasan").text
        assert kasi.post(f"/laporan/{month}.xlsx", data={"csrf_token": kasi_token}).status_code == 403
    assert len(rows(console, Action.LAPORAN_UNMASKED)) == 1


def test_the_console_refuses_to_start_without_the_access_logs_key(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="BAMSOS_PDP_KEY"):
        build_console(settings.model_copy(update={"pdp_key": None}))
    with pytest.raises(ConfigError, match="minimal 16"):
        build_console(settings.model_copy(update={"pdp_key": SecretStr("pendek")}))
