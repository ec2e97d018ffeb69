"""The console's other pages: answer templates for the case's service, the control card with the
delayed step marked and its search, the breach board, the day's summary, the laporan."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from services.console.answers import load_answers
from shared.runtime.settings import Settings
from shared.runtime.storage import handovers, make_engine
from shared.sop.contracts import Service
from shared.sop.office_calendar import office_zone
from tests.integration.services.console.conftest import inquire, logged_in

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pipeline")]
_TEMPLATES = re.compile(r'<script type="application/json" id="templat-data">(.*?)</script>', re.DOTALL)


def test_every_service_has_answer_templates_with_their_regulation() -> None:
    book = load_answers()
    for service in Service:
        mine = [a for group, a in book.for_service(service.value) if group != "Umum"]
        assert mine, f"no template for {service.value}"
        assert all(a.dasar and a.teks for a in mine)
    assert any("79A" in a.dasar for a in book.umum)


def test_the_template_picker_offers_the_cases_service_and_fills_the_answer(
    settings: Settings, client: TestClient
) -> None:
    case = inquire(settings, topic="informasi", service="kia")
    token = logged_in(client, "rina")
    client.post("/antrean/admin/ambil", data={"csrf_token": token})
    page = client.get(f"/kasus/{case.task_id}").text
    found = _TEMPLATES.search(page)
    assert found
    offered = json.loads(found.group(1))
    assert offered[0]["judul"] == "Syarat Kartu Identitas Anak (KIA)"
    assert offered[0]["dasar"].startswith("Permendagri 2/2016")
    assert not any("akta kematian" in o["judul"].lower() for o in offered), "another service's templates"
    assert any(o["judul"] == "Layanan tanpa biaya" for o in offered), "the general ones too"
    assert '<label for="templat">' in page and '<label for="teks">' in page
    assert '<optgroup label="Kartu Identitas Anak">' in page
    # Without JavaScript the picker's button asks the server, which fills the text box.
    filled = client.get(f"/kasus/{case.task_id}", params={"templat": "0"}).text
    assert offered[0]["teks"].split(".")[0] in filled.split('<textarea id="teks"')[1]
    # Another officer of the unit reads the case but gets no form: it is Rina's.
    with TestClient(client.app, base_url="http://testserver", follow_redirects=False) as other:
        other_token = logged_in(other, "sari")
        seen = other.get(f"/kasus/{case.task_id}").text
        assert "sedang dipegang Rina Admin" in seen and "Kirim jawaban" not in seen
        answer = other.post(f"/kasus/{case.task_id}/jawab", data={"csrf_token": other_token, "teks": "x"})
        assert answer.status_code == 409


def breach(settings: Settings, task_id: str) -> None:
    """Make a task's step late on the card, as the router's scan does after its due time."""
    late = datetime.now(UTC) - timedelta(minutes=3)
    with make_engine(settings.database_url).begin() as db:
        db.execute(
            sa.update(handovers)
            .where(handovers.c.task_id == task_id)
            .values(due_at=late, handed_at=late - timedelta(minutes=5), breached=True, escalation_level=1)
        )


def test_the_control_card_marks_the_step_where_the_delay_happened(
    settings: Settings, client: TestClient
) -> None:
    case = inquire(settings, topic="kebijakan", service="akta_kelahiran")
    breach(settings, case.task_id)
    logged_in(client, "hendra")
    card = client.get(f"/kartu/{case.ticket}")
    assert card.status_code == 200
    assert "1. Pengajuan permohonan" in card.text and "3. Informasi pelayanan" in card.text
    row = card.text.split('class="terlambat terlambat-utama"')[1].split("</tr>")[0]
    assert "3. Informasi pelayanan" in row and "Keterlambatan terjadi di sini" in row
    assert "Keterlambatan terjadi pada langkah 3 (Informasi pelayanan)" in card.text
    assert "WIB" in card.text
    # The ticket names the case, as the citizen and the officer say it; the 32-character id is not shown.
    assert f'<dd class="tiket">{case.ticket}</dd>' in card.text and case.inquiry_id not in card.text
    # Found by its ticket, typed without dashes; by the citizen's account; by the day received.
    by_ticket = client.get("/kartu", params={"q": case.ticket.replace("-", "").lower()})
    assert by_ticket.status_code == 303 and by_ticket.headers["location"] == f"/kartu/{case.inquiry_id}"
    assert f'href="/kartu/{case.inquiry_id}"' in client.get("/kartu", params={"q": "@sitilestari"}).text
    today = datetime.now(office_zone(settings)).date().isoformat()
    assert f'href="/kartu/{case.inquiry_id}"' in client.get("/kartu", params={"q": today}).text
    assert "Tidak ada kasus yang cocok" in client.get("/kartu", params={"q": "1999-01-01"}).text


def test_breach_notices_board_shows_the_open_breaches_of_the_heads_own_section(
    settings: Settings, client: TestClient
) -> None:
    case = inquire(settings, topic="kebijakan", service="akta_kelahiran")
    breach(settings, case.task_id)
    for username, sees in (("hendra", True), ("budi", True), ("dewi", False)):
        with TestClient(client.app, base_url="http://testserver", follow_redirects=False) as head:
            logged_in(head, username)
            board = head.get("/peringatan")
            assert board.status_code == 200
            assert (case.ticket in board.text) is sees, username
    logged_in(client, "rina")
    assert client.get("/peringatan").status_code == 403  # the admin has no board


def test_the_summary_and_the_laporan_are_for_heads(settings: Settings, client: TestClient) -> None:
    inquire(settings, topic="kebijakan", service="akta_kelahiran")
    logged_in(client, "budi")
    page = client.get("/ringkasan")
    assert page.status_code == 200
    assert "1 kasus diterima hari ini" in page.text
    assert "3. Informasi pelayanan" in page.text
    month = datetime.now(office_zone(settings)).strftime("%Y-%m")
    assert f'href="/laporan/{month}.pdf"' in page.text
    pdf = client.get(f"/laporan/{month}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert f'filename="laporan-{month}.pdf"' in pdf.headers["content-disposition"]
    xlsx = client.get(f"/laporan/{month}.xlsx")
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    assert client.get(f"/laporan/{month}.exe").status_code == 404
    with TestClient(client.app, base_url="http://testserver", follow_redirects=False) as admin:
        logged_in(admin, "rina")
        assert admin.get(f"/laporan/{month}.pdf").status_code == 403
        assert admin.get("/ringkasan").status_code == 403
