"""The step 6 answer's promise kept, on the real broker and database: a citizen asks about a
pending document by its registration number, the kasi answers that it is being expedited, and the
next day's `bamsos dokumen impor` that marks the number issued sends the citizen one notice."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from shared.runtime import topology
from shared.runtime.settings import Settings
from shared.runtime.storage import make_engine
from shared.sop.contracts import Outcome
from shared.sop.office_calendar import office_zone
from shared.sop.orgchart import OrgChart
from shared.staff.actions import send_result, take_next
from tests.helpers import INQUIRY, InProcess, drain, publish, ready_count, wait_for
from tests.integration.shared.staff.test_reroute import bamsos

pytestmark = pytest.mark.integration

KASI = "kasi.identitas_penduduk"
HEADER = "nomor_registrasi,status,jenis_dokumen\n"


def export(tmp_path: Path, name: str, rows: str) -> str:
    path = tmp_path / name
    path.write_text(HEADER + rows, encoding="utf-8")
    return str(path)


def test_the_citizen_waiting_for_a_document_is_told_once_when_the_import_marks_it_issued(
    settings: Settings, chart: OrgChart, tmp_path: Path
) -> None:
    pending = export(
        tmp_path, "senin.csv", "1471-2026-000123,belum_terbit,KTP-el\n1471-2026-000200,belum_terbit,KK\n"
    )
    assert bamsos(settings, "dokumen", "impor", pending).returncode == 0
    engine = make_engine(settings.database_url)
    sent: list[dict[str, Any]] = []

    def taken(schema: str) -> list[dict[str, Any]]:
        """What BAMSOS sent citizens so far, of one schema (the chat connector's side)."""
        sent.extend(got.json() for got in drain(settings.amqp_url, topology.REPLIES_QUEUE))
        return [m for m in sent if m["schema"] == schema]

    def notices(kind: str) -> list[dict[str, Any]]:
        return [m for m in taken("bamsos.citizen-notice/1") if m["kind"] == kind]

    with InProcess("intake", settings), InProcess("router", settings):
        for account, number in (("@menunggu", "1471.2026.000123"), ("@lainnya", "1471 2026 000200")):
            asked = {
                **INQUIRY,
                "id": account,
                "account": account,
                "text": f"KTP saya sudah jadi? no reg {number}",
            }
            del asked["topic"], asked["service"]
            publish(settings.amqp_url, topology.INBOUND, "inquiry.instagram", json.dumps(asked).encode())
        for _ in range(2):
            wait_for(
                lambda: ready_count(settings.amqp_url, f"bamsos.tasks.{KASI}") >= 1, what="the kasi's task"
            )
            task = take_next(engine, settings.amqp_url, KASI, "Kasi Hendra", chart)
            assert task is not None and task.step == 6
            send_result(
                engine,
                settings.amqp_url,
                task.task_id,
                officer="Kasi Hendra",
                outcome=Outcome.answered,
                text="Dokumen Bapak/Ibu sedang dipercepat penerbitannya.",
                now=datetime.now(UTC),
                zone=office_zone(settings),
            )
        wait_for(lambda: len(taken("bamsos.reply/1")) == 2, what="the two replies")
        tickets = {m["account"]: m["ticket"] for m in notices("acknowledged")}

    issued = export(
        tmp_path, "selasa.csv", "1471-2026-000123,terbit,KTP-el\n1471-2026-000200,belum_terbit,KK\n"
    )
    imported = bamsos(settings, "dokumen", "impor", issued)
    assert imported.returncode == 0, imported.stderr
    assert "1 pemohon yang menunggu dokumennya dikabari bahwa dokumen sudah terbit" in imported.stdout
    [told] = wait_for(lambda: notices("issued") or None, what="the issued notice")
    assert (told["account"], told["channel"], told["ticket"]) == (
        "@menunggu",
        "instagram",
        tickets["@menunggu"],
    )
    assert "KTP-el dengan nomor registrasi 1471-2026-000123 sudah terbit" in told["text"]
    assert "Disdukcapil Kota Pekanbaru" in told["text"]

    again = bamsos(settings, "dokumen", "impor", issued)
    assert again.returncode == 0 and "dikabari" not in again.stdout
    assert notices("issued") == [told], "told once"
    engine.dispose()
