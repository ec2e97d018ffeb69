"""Document status on the real broker and database: the office's export imported with
`bamsos dokumen impor`, a question naming a pending number routed to its kasi (step 6), and
`bamsos staff alihkan` re-routing the case to the pickup desk and back, as the card shows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.runtime import topology
from shared.runtime.settings import Settings
from shared.runtime.storage import make_engine
from shared.sop.orgchart import OrgChart
from shared.staff.actions import take_next
from tests.helpers import INQUIRY, InProcess, publish, ready_count, wait_for

pytestmark = pytest.mark.integration

KASI = "kasi.identitas_penduduk"


def bamsos(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, BAMSOS_AMQP_URL=settings.amqp_url, BAMSOS_DATABASE_URL=settings.database_url)
    command = [sys.executable, "-m", "services.cli", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)


def test_a_pending_document_goes_to_its_kasi_who_re_routes_it_to_the_pickup_desk_and_back(
    settings: Settings, chart: OrgChart, tmp_path: Path
) -> None:
    export = tmp_path / "ekspor.csv"
    export.write_bytes(
        "\ufeffnomor_registrasi,status,jenis_dokumen\n"
        "1471-2026-000123,belum_terbit,KTP-el\n"
        "1471-2026-000124,terbit,KK\n"
        "1471-2026-000125,hilang,KK\n".encode()
    )
    imported = bamsos(settings, "dokumen", "impor", str(export))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.splitlines() == [
        "baris 4: status 'hilang' bukan terbit atau belum_terbit",
        "2 nomor registrasi diimpor (terbit: 1, belum terbit: 1); 1 baris ditolak",
    ]

    engine = make_engine(settings.database_url)
    asked = {**INQUIRY, "text": "Min, KTP saya sudah jadi belum? nomor registrasi 1471 2026 000123"}
    del asked["topic"], asked["service"]
    with InProcess("intake", settings), InProcess("router", settings), InProcess("pickup_bridge", settings):
        publish(settings.amqp_url, topology.INBOUND, "inquiry.instagram", json.dumps(asked).encode())
        wait_for(lambda: ready_count(settings.amqp_url, f"bamsos.tasks.{KASI}") == 1, what="the kasi's task")
        kasi = take_next(engine, settings.amqp_url, KASI, "Kasi Hendra", chart)
        assert kasi is not None and (kasi.step, kasi.topic) == (6, "belum_terbit")

        moved = bamsos(
            settings, "staff", "alihkan", kasi.task_id, "--petugas", "Kasi Hendra", "--ke", "loket"
        )
        assert moved.returncode == 0, moved.stderr
        assert moved.stdout.strip() == "Kasus dialihkan ke loket pengambilan dokumen (dokumen sudah terbit)."
        wait_for(lambda: ready_count(settings.amqp_url, "bamsos.tasks.pickup") == 1, what="the desk's task")
        desk = take_next(engine, settings.amqp_url, "pickup", "Loket Ani", chart)
        assert desk is not None and (desk.step, desk.topic) == (7, "dokumen_terbit")

        wrong = bamsos(settings, "staff", "alihkan", desk.task_id, "--petugas", "Loket Ani", "--ke", "loket")
        assert wrong.returncode != 0
        assert "hanya kepala seksi atau kepala bidang yang memegang langkah 6" in wrong.stderr

        back = bamsos(settings, "staff", "alihkan", desk.task_id, "--petugas", "Loket Ani", "--ke", "kasi")
        assert back.returncode == 0, back.stderr
        assert back.stdout.strip() == "Kasus dikembalikan ke kepala seksi terkait (dokumen belum terbit)."
        wait_for(lambda: ready_count(settings.amqp_url, f"bamsos.tasks.{KASI}") == 1, what="the kasi again")

    again = take_next(engine, settings.amqp_url, KASI, "Kasi Hendra", chart)
    assert again is not None and (again.step, again.inquiry_id) == (6, kasi.inquiry_id)
    card = bamsos(settings, "staff", "kartu", again.task_id)
    assert card.returncode == 0, card.stderr
    lines = card.stdout.splitlines()
    # Each handover's "from -> to" column: step 6 to the kasi, on to the desk (7), back to the kasi (6).
    routes = [(line[0], line[41:77].strip()) for line in lines if line[:2] in ("6.", "7.")]
    assert routes == [
        ("6", "admin -> kasi (identitas_penduduk)"),
        ("7", "kasi -> pickup"),
        ("6", "pickup -> kasi (identitas_penduduk)"),
    ], lines
    notes = [line for line in lines if line.startswith("Catatan")]
    assert notes == [
        "Catatan langkah 6: dialihkan: dokumen sudah terbit",
        "Catatan langkah 7: dialihkan: dokumen belum terbit",
    ]
