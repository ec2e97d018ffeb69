"""The data-editing unit and the pickup desk in the console (through their bridges): finish a
step, re-route a document case between the kasi (step 6) and the pickup desk (step 7)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from shared.runtime import topology
from shared.runtime.settings import Settings
from shared.runtime.storage import handovers, make_engine
from tests.helpers import InProcess, drain, ready_count, wait_for
from tests.integration.services.console.conftest import inquire, logged_in

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pipeline", "bridges")]


@pytest.fixture
def bridges(settings: Settings) -> Iterator[None]:
    with InProcess("editor_bridge", settings), InProcess("pickup_bridge", settings):
        yield


def test_the_editor_finishes_a_data_error_and_the_citizen_gets_the_text(
    settings: Settings, client: TestClient
) -> None:
    case = inquire(settings, topic="kesalahan_data", service="kk", text="Nama saya salah ketik di KK.")
    token = logged_in(client, "eko")
    taken = client.post("/antrean/editor/ambil", data={"csrf_token": token})
    assert taken.headers["location"] == f"/kasus/{case.task_id}"
    page = client.get(f"/kasus/{case.task_id}").text
    assert "Selesai dan kirim" in page and "Kirim jawaban" not in page and "Eskalasi" not in page
    done = client.post(
        f"/kasus/{case.task_id}/selesai", data={"csrf_token": token, "teks": "Data KK sudah diperbaiki."}
    )
    assert done.status_code == 303

    def reply() -> list[str]:
        return [
            g.json()["text"]
            for g in drain(settings.amqp_url, topology.REPLIES_QUEUE)
            if g.routing_key.startswith("reply.")
        ]

    [text] = wait_for(reply, what="the reply")
    assert text.startswith("Data KK sudah diperbaiki.")


def test_a_kasi_reroutes_an_issued_document_to_the_pickup_desk_and_back(
    settings: Settings, client: TestClient
) -> None:
    case = inquire(
        settings, topic="belum_terbit", service="akta_kelahiran", text="Akta anak saya sudah jadi?"
    )
    token = logged_in(client, "hendra")
    client.post("/antrean/kasi.kelahiran_kematian/ambil", data={"csrf_token": token})
    page = client.get(f"/kasus/{case.task_id}").text
    assert "Alihkan ke loket pengambilan" in page and "Eskalasi ke kepala bidang" in page
    moved = client.post(f"/kasus/{case.task_id}/alihkan", data={"csrf_token": token})
    assert moved.status_code == 303
    wait_for(lambda: ready_count(settings.amqp_url, "bamsos.tasks.pickup") == 1, what="the pickup task")
    with TestClient(client.app, base_url="http://testserver", follow_redirects=False) as desk:
        desk_token = logged_in(desk, "yanti")
        pickup_task = desk.post("/antrean/pickup/ambil", data={"csrf_token": desk_token}).headers["location"]
        page = desk.get(pickup_task).text
        assert "Kembalikan ke kepala seksi (belum terbit)" in page and "Selesai dan kirim" in page
        back = desk.post(pickup_task + "/alihkan", data={"csrf_token": desk_token})
        assert back.status_code == 303
    queue = "bamsos.tasks.kasi.kelahiran_kematian"
    wait_for(lambda: ready_count(settings.amqp_url, queue) == 1, what="the case back with the kasi")
    with make_engine(settings.database_url).connect() as db:
        steps = db.execute(
            sa.select(handovers.c.step, handovers.c.to_role, handovers.c.officer, handovers.c.note)
            .where(handovers.c.inquiry_id == case.inquiry_id, handovers.c.task_id.is_not(None))
            .order_by(handovers.c.id)
        ).all()
    assert [tuple(s) for s in steps] == [
        (6, "kasi", "Kasi Hendra", "dialihkan: dokumen sudah terbit"),
        (7, "pickup", "Yanti Loket", "dialihkan: dokumen belum terbit"),
        (6, "kasi", None, None),
    ]
