"""An officer's work in the console on the real broker and database: take (the receipt with their
name), answer (the reply to the citizen), escalate kasi -> kabid, another unit's queue and case
refused, forms without their CSRF token refused, the citizen's text escaped."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from services.console.state import Console
from shared.runtime import topology
from shared.runtime.settings import Settings
from shared.runtime.storage import handovers, make_engine
from shared.runtime.worker import to_json
from shared.sop.contracts import Role, Task
from shared.sop.office_calendar import office_zone
from shared.staff.card import control_card
from tests.helpers import Got, drain, publish, ready_count, wait_for
from tests.integration.services.console.conftest import inquire, logged_in

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pipeline")]

ANSWER = "Syarat KIA: fotokopi kutipan akta kelahiran, KK asli dan KTP-el kedua orang tua."


def take(client: TestClient, unit: str, token: str) -> str:
    """Press "Ambil kasus berikutnya": the task id of the case page it leads to."""
    response = client.post(f"/antrean/{unit}/ambil", data={"csrf_token": token})
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/kasus/"), location
    return location.removeprefix("/kasus/")


def test_taking_the_next_case_puts_the_officers_name_on_the_control_card(
    settings: Settings, client: TestClient
) -> None:
    case = inquire(settings, topic="informasi", service="kia")
    token = logged_in(client, "rina")
    queue = client.get("/antrean/admin").text
    assert case.ticket in queue and "Instagram" in queue and "Kartu Identitas Anak" in queue
    assert 'aria-live="polite"' in queue and 'sse-connect="/antrean/admin/live"' in queue
    assert take(client, "admin", token) == case.task_id
    assert ready_count(settings.amqp_url, "bamsos.tasks.admin") == 0
    with make_engine(settings.database_url).connect() as db:
        row = db.execute(sa.select(handovers).where(handovers.c.task_id == case.task_id)).one()
    assert row.officer == "Rina Admin" and row.taken_at is not None and row.done_at is None
    lines = control_card(make_engine(settings.database_url), case.task_id, office_zone(settings)).lines()
    assert any(line.startswith("3. Informasi pelayanan") and "Rina Admin" in line for line in lines)
    page = client.get(f"/kasus/{case.task_id}").text
    assert "Min, syarat bikin KIA apa aja?" in page
    assert "Rina Admin sejak" in page and case.ticket in page
    # The queue shows it held by her, with the way back to it.
    assert f'href="/kasus/{case.task_id}"' in client.get("/antrean/admin").text
    # An empty queue says so.
    empty = client.post("/antrean/admin/ambil", data={"csrf_token": token}, follow_redirects=True)
    assert "Antrean kosong" in empty.text


def test_an_answer_goes_to_the_citizen_beginning_with_the_officers_text(
    settings: Settings, client: TestClient
) -> None:
    case = inquire(settings, topic="informasi", service="kia")
    token = logged_in(client, "rina")
    task_id = take(client, "admin", token)
    response = client.post(f"/kasus/{task_id}/jawab", data={"csrf_token": token, "teks": ANSWER})
    assert response.status_code == 303 and response.headers["location"] == "/antrean/admin"
    replies: list[Got] = []

    def the_reply() -> list[Got]:
        replies.extend(
            got
            for got in drain(settings.amqp_url, topology.REPLIES_QUEUE)
            if got.routing_key == "reply.instagram"
        )
        return replies

    [reply] = wait_for(the_reply, what="the reply on bamsos.replies")
    body = reply.json()
    assert body["text"].startswith(ANSWER) and body["ticket"] == case.ticket
    assert f"Jawaban terkirim (tiket {case.ticket})." in client.get("/antrean/admin").text
    # Done: the page says so and offers no form; a second answer is refused before anything is sent.
    wait_for(lambda: "Tugas ini sudah selesai." in client.get(f"/kasus/{task_id}").text, what="done")
    again = client.post(f"/kasus/{task_id}/jawab", data={"csrf_token": token, "teks": "lagi"})
    assert again.status_code == 409 and "sudah selesai" in again.text
    assert not [
        g for g in drain(settings.amqp_url, topology.REPLIES_QUEUE) if g.routing_key.startswith("reply.")
    ]


def test_an_empty_answer_is_refused_and_nothing_is_sent(settings: Settings, client: TestClient) -> None:
    inquire(settings, topic="informasi", service="kia")
    token = logged_in(client, "rina")
    task_id = take(client, "admin", token)
    response = client.post(f"/kasus/{task_id}/jawab", data={"csrf_token": token, "teks": "   "})
    assert response.status_code == 400
    assert "tidak boleh kosong" in response.text
    assert ready_count(settings.amqp_url, "bamsos.router") == 0


def test_a_kasi_escalates_a_policy_question_to_the_kabid(settings: Settings, client: TestClient) -> None:
    case = inquire(
        settings,
        topic="kebijakan",
        service="akta_kelahiran",
        text="Anak saya lahir di rumah tanpa surat bidan, apakah tetap bisa dibuatkan akta kelahiran?",
    )
    token = logged_in(client, "hendra")
    assert take(client, "kasi.kelahiran_kematian", token) == case.task_id
    page = client.get(f"/kasus/{case.task_id}").text
    assert "Eskalasi ke kepala bidang" in page
    response = client.post(f"/kasus/{case.task_id}/eskalasi", data={"csrf_token": token})
    assert response.status_code == 303
    wait_for(lambda: ready_count(settings.amqp_url, "bamsos.tasks.kabid.pcs") == 1, what="the kabid's task")
    with make_engine(settings.database_url).connect() as db:
        rows = db.execute(
            sa.select(handovers.c.step, handovers.c.to_role, handovers.c.bidang, handovers.c.officer)
            .where(handovers.c.inquiry_id == case.inquiry_id, handovers.c.task_id.is_not(None))
            .order_by(handovers.c.id)
        ).all()
    assert [tuple(r) for r in rows] == [(3, "kasi", "pcs", "Kasi Hendra"), (4, "kabid", "pcs", None)]
    # The kabid sees it on their queue, answers only (nobody above to escalate to).
    with TestClient(client.app, base_url="http://testserver", follow_redirects=False) as kabid:
        kabid_token = logged_in(kabid, "budi")
        assert case.ticket in kabid.get("/antrean/kabid.pcs").text
        task_id = take(kabid, "kabid.pcs", kabid_token)
        page = kabid.get(f"/kasus/{task_id}").text
        assert "Kirim jawaban" in page and "Eskalasi ke kepala bidang" not in page
        refused = kabid.post(f"/kasus/{task_id}/eskalasi", data={"csrf_token": kabid_token})
        assert refused.status_code == 409


def test_the_admins_triage_sets_topic_and_service(settings: Settings, client: TestClient) -> None:
    case = inquire(
        settings, topic="informasi", service="lainnya", text="Dokumen saya belum jadi, bisa dibantu?"
    )
    token = logged_in(client, "rina")
    take(client, "admin", token)
    page = client.get(f"/kasus/{case.task_id}").text
    assert (
        '<label for="topik">Topik</label>' in page and '<label for="layanan-eskalasi">Layanan</label>' in page
    )
    response = client.post(
        f"/kasus/{case.task_id}/eskalasi",
        data={"csrf_token": token, "topik": "belum_terbit", "layanan": "kk"},
    )
    assert response.status_code == 303
    # Step 6 with the kasi of the KK's section.
    queue = "bamsos.tasks.kasi.pendataan_penduduk"
    wait_for(lambda: ready_count(settings.amqp_url, queue) == 1, what="the kasi's step-6 task")


def test_another_units_queue_and_case_are_refused_by_url_too(
    settings: Settings, client: TestClient, console: Console
) -> None:
    case = inquire(settings, topic="kebijakan", service="akta_kelahiran")
    token = logged_in(client, "dewi")  # kasi of identitas_penduduk
    assert client.get("/antrean/kasi.kelahiran_kematian").status_code == 403
    assert client.get("/antrean/admin").status_code == 403
    assert client.get("/antrean/kasi.kelahiran_kematian/live").status_code == 403
    page = client.get(f"/kasus/{case.task_id}")
    assert page.status_code == 403 and "Akses ditolak" in page.text
    assert (
        client.post("/antrean/kasi.kelahiran_kematian/ambil", data={"csrf_token": token}).status_code == 403
    )
    answer = client.post(f"/kasus/{case.task_id}/jawab", data={"csrf_token": token, "teks": "x"})
    assert answer.status_code == 403
    assert client.get(f"/kartu/{case.inquiry_id}").status_code == 403
    assert client.get(f"/kartu/{case.ticket}").status_code == 403
    # Searching for it finds nothing, rather than saying it exists.
    assert f"/kartu/{case.inquiry_id}" not in client.get("/kartu", params={"q": case.ticket}).text
    assert client.get("/kasus/admin-tidak-ada").status_code == 404
    # Nothing was taken from the other unit's queue.
    assert ready_count(settings.amqp_url, "bamsos.tasks.kasi.kelahiran_kematian") == 1
    assert console.metrics.denied.labels("forbidden")._value.get() >= 6


def test_a_form_without_its_csrf_token_is_refused_and_nothing_is_done(
    settings: Settings, client: TestClient
) -> None:
    case = inquire(settings, topic="informasi", service="kia")
    token = logged_in(client, "rina")
    assert client.post("/antrean/admin/ambil", data={}).status_code == 403
    assert client.post("/antrean/admin/ambil", data={"csrf_token": "palsu"}).status_code == 403
    assert ready_count(settings.amqp_url, "bamsos.tasks.admin") == 1
    take(client, "admin", token)
    response = client.post(f"/kasus/{case.task_id}/jawab", data={"teks": ANSWER})
    assert response.status_code == 403 and "Formulir ini tidak sah" in response.text
    assert ready_count(settings.amqp_url, "bamsos.router") == 0
    with make_engine(settings.database_url).connect() as db:
        assert db.scalar(sa.select(handovers.c.done_at).where(handovers.c.task_id == case.task_id)) is None


def test_a_citizens_script_is_shown_as_text(settings: Settings, client: TestClient) -> None:
    hostile = "<script>alert('xss')</script><img src=x onerror=alert(1)> syarat KIA?"
    case = inquire(settings, topic="informasi", service="kia", text=hostile, name="<b>Budi</b>")
    token = logged_in(client, "rina")
    for page in (client.get("/antrean/admin").text, client.get(f"/kasus/{case.task_id}").text):
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    take(client, "admin", token)
    page = client.get(f"/kasus/{case.task_id}")
    assert "&lt;b&gt;Budi&lt;/b&gt;" in page.text and "<b>Budi</b>" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


def test_breach_notices_in_front_of_a_case_are_read_on_the_way_to_it(
    settings: Settings, client: TestClient
) -> None:
    now = datetime.now(UTC)
    notice = Task(
        kind="notice",
        task_id="notice-uji",
        inquiry_id="c-lain",
        step=3,
        role=Role.kasi,
        seksi="kelahiran_kematian",
        service=None,
        topic=None,
        summary="PERINGATAN ke-1: langkah 3 (Informasi pelayanan) belum selesai.",
        assigned_at=now,
        due_at=now,
    )
    publish(settings.amqp_url, topology.TASKS, "kasi.kelahiran_kematian", to_json(notice))
    case = inquire(settings, topic="kebijakan", service="akta_kelahiran")
    token = logged_in(client, "hendra")
    assert "1 peringatan keterlambatan menunggu" in client.get("/antrean/kasi.kelahiran_kematian").text
    assert take(client, "kasi.kelahiran_kematian", token) == case.task_id
    page = client.get(f"/kasus/{case.task_id}").text
    assert "PERINGATAN ke-1: langkah 3 (Informasi pelayanan) belum selesai." in page
    assert ready_count(settings.amqp_url, "bamsos.tasks.kasi.kelahiran_kematian") == 0
