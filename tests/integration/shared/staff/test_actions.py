"""The staff's terminal on the real broker and database: take, answer, refuse, card, arrival order."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from shared.runtime import topology
from shared.runtime.settings import Settings
from shared.runtime.storage import handovers, inquiries, make_engine
from shared.sop.contracts import Outcome
from shared.sop.office_calendar import make_clock, office_zone
from shared.sop.orgchart import OrgChart
from shared.staff.actions import Refused, send_result, take_next
from shared.staff.card import control_card
from tests.helpers import INQUIRY, InProcess, drain, publish, ready_count, wait_for

pytestmark = pytest.mark.integration


def admin_tasks(settings: Settings, n: int) -> list[str]:
    """n inquiries through intake and router: n admin tasks, in arrival order. Without the
    acknowledgements, so that what reaches bamsos.replies afterwards is the answers alone."""
    quiet = settings.model_copy(update={"acknowledge": False})
    with InProcess("intake", quiet), InProcess("router", quiet):
        for i in range(n):
            body = json.dumps({**INQUIRY, "id": f"ig-{i}", "topic": "informasi"}).encode()
            publish(settings.amqp_url, topology.INBOUND, "inquiry.instagram", body)
        wait_for(lambda: ready_count(settings.amqp_url, "bamsos.tasks.admin") == n, what=f"{n} tasks")
    with make_engine(settings.database_url).connect() as db:
        return list(
            db.scalars(sa.select(handovers.c.task_id).where(handovers.c.step == 3).order_by(handovers.c.id))
        )


def test_taking_a_case_records_the_officers_receipt_and_removes_it_from_the_queue(
    settings: Settings, chart: OrgChart
) -> None:
    [task_id] = admin_tasks(settings, 1)
    engine = make_engine(settings.database_url)
    task = take_next(engine, settings.amqp_url, "admin", "Rina", chart)
    assert task is not None and task.task_id == task_id
    assert ready_count(settings.amqp_url, "bamsos.tasks.admin") == 0
    with engine.connect() as db:
        row = db.execute(sa.select(handovers).where(handovers.c.task_id == task_id)).one()
    assert row.officer == "Rina" and row.taken_at is not None and row.done_at is None
    assert take_next(engine, settings.amqp_url, "admin", "Rina", chart) is None


def test_an_answer_is_one_task_result_and_the_citizen_gets_it(settings: Settings, chart: OrgChart) -> None:
    [task_id] = admin_tasks(settings, 1)
    engine = make_engine(settings.database_url)
    take_next(engine, settings.amqp_url, "admin", "Rina", chart)
    with InProcess("router", settings):
        send_result(
            engine,
            settings.amqp_url,
            task_id,
            officer="Rina",
            outcome=Outcome.answered,
            text="Syarat KIA: akta kelahiran dan KK.",
            now=datetime.now(UTC),
            zone=office_zone(settings),
        )
        wait_for(lambda: ready_count(settings.amqp_url, topology.REPLIES_QUEUE) == 1, what="the reply")
    [reply] = drain(settings.amqp_url, topology.REPLIES_QUEUE)
    assert (
        reply.json()["text"] == f"Syarat KIA: akta kelahiran dan KK.\n\nNomor tiket: {reply.json()['ticket']}"
    )
    with pytest.raises(Refused, match="sudah selesai"):
        send_result(
            engine,
            settings.amqp_url,
            task_id,
            officer="Rina",
            outcome=Outcome.answered,
            text="lagi",
            now=datetime.now(UTC),
            zone=office_zone(settings),
        )
    lines = control_card(engine, task_id, office_zone(settings)).lines()
    assert any(line.startswith("3. Informasi pelayanan") and "Rina" in line for line in lines)
    assert lines[-1] == "Semua langkah selesai dalam waktu baku." or lines[-1].startswith("Keterlambatan")


def test_results_that_cannot_count_are_refused_before_anything_is_sent(
    settings: Settings, chart: OrgChart
) -> None:
    [task_id] = admin_tasks(settings, 1)
    engine = make_engine(settings.database_url)
    with pytest.raises(Refused, match="tidak ditemukan"):
        send_result(
            engine,
            settings.amqp_url,
            "admin-nope",
            officer="R",
            outcome=Outcome.answered,
            text="x",
            now=datetime.now(UTC),
            zone=office_zone(settings),
        )
    with pytest.raises(Refused, match="tidak boleh kosong"):
        send_result(
            engine,
            settings.amqp_url,
            task_id,
            officer="R",
            outcome=Outcome.answered,
            text="  ",
            now=datetime.now(UTC),
            zone=office_zone(settings),
        )
    with pytest.raises(Refused, match="tidak dikenal"):
        take_next(engine, settings.amqp_url, "kasi.tidak_ada", "R", chart)
    assert ready_count(settings.amqp_url, "bamsos.router") == 0


def test_several_officers_on_one_queue_take_each_case_once_oldest_first(
    settings: Settings, chart: OrgChart
) -> None:
    arrival = admin_tasks(settings, 24)
    engine = make_engine(settings.database_url)
    taken: dict[str, list[str]] = {}

    def officer(name: str) -> None:
        mine = taken.setdefault(name, [])
        while (task := take_next(engine, settings.amqp_url, "admin", name, chart)) is not None:
            mine.append(task.task_id)

    threads = [threading.Thread(target=officer, args=(f"Petugas {n}",)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    everything = [t for mine in taken.values() for t in mine]
    assert sorted(everything) == sorted(arrival), "every case taken exactly once"
    for mine in taken.values():
        positions = [arrival.index(t) for t in mine]
        assert positions == sorted(positions), "each officer got older cases before newer ones"


def test_the_control_card_names_the_step_where_the_delay_happened(settings: Settings) -> None:
    fast = settings.model_copy(update={"time_scale": 600.0})
    with InProcess("intake", fast), InProcess("router", fast):
        just_sent = {**INQUIRY, "sent_at": datetime.now(UTC).isoformat()}
        publish(fast.amqp_url, topology.INBOUND, "inquiry.instagram", json.dumps(just_sent).encode())
        wait_for(
            lambda: ready_count(fast.amqp_url, "bamsos.tasks.kasi.identitas_penduduk") == 1,
            what="the first breach notice",
        )
    with make_engine(fast.database_url).connect() as db:
        task_id = db.scalar(sa.select(handovers.c.task_id).where(handovers.c.step == 3))
    env = dict(os.environ, BAMSOS_AMQP_URL=fast.amqp_url, BAMSOS_DATABASE_URL=fast.database_url)
    out = subprocess.run(
        [sys.executable, "-m", "services.cli", "staff", "kartu", task_id],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "KARTU KENDALI" in out and "TERLAMBAT" in out
    assert "Keterlambatan terjadi pada langkah 3 (Informasi pelayanan)" in out


def test_a_case_that_arrives_at_night_is_due_the_next_working_morning_and_the_card_says_so(
    settings: Settings,
) -> None:
    wib = ZoneInfo("Asia/Jakarta")
    office = make_clock(settings.model_copy(update={"calendar": "office"}))
    friday_night = datetime(2026, 11, 27, 22, 10, tzinfo=wib)
    due = office.due_at(friday_night, 300)
    assert due == datetime(2026, 11, 30, 7, 35, tzinfo=wib), "Monday 07:30 plus the 5-minute standard"
    engine = make_engine(settings.database_url)
    with engine.begin() as db:
        db.execute(
            sa.insert(inquiries).values(
                inquiry_id="c-night",
                channel="instagram",
                upstream_id="ig-night",
                account="@warga",
                text="Min, KIA sudah jadi?",
                sent_at=friday_night,
                received_at=friday_night,
            )
        )
        db.execute(
            sa.insert(handovers).values(
                inquiry_id="c-night",
                step=3,
                from_role="admin",
                to_role="admin",
                task_id="admin-night",
                handed_at=friday_night,
                due_at=due,
                standard_seconds=300,
            )
        )
    card = "\n".join(control_card(engine, "c-night", office.zone).lines())
    assert "30-11-2026 07.35.00" in card
    assert (
        "Diserahkan di luar jam kerja: langkah 3; waktu baku dihitung sejak jam kerja berikutnya "
        "(lihat kolom batas)." in card
    )


def test_the_queue_view_shows_the_oldest_wait_against_its_standard(settings: Settings) -> None:
    fast = settings.model_copy(update={"time_scale": 600.0})  # 5 minutes pass in half a second
    with InProcess("intake", fast), InProcess("router", fast):
        publish(fast.amqp_url, topology.INBOUND, "inquiry.instagram", json.dumps(INQUIRY).encode())
        wait_for(lambda: ready_count(fast.amqp_url, "bamsos.tasks.admin") == 1, what="the admin's task")
    env = dict(
        os.environ,
        BAMSOS_AMQP_URL=fast.amqp_url,
        BAMSOS_DATABASE_URL=fast.database_url,
        BAMSOS_TIME_SCALE="600",
        BAMSOS_CALENDAR="24x7",
    )

    def late_view() -> str | None:
        command = [sys.executable, "-m", "services.cli", "staff", "antrean", "--unit", "admin"]
        out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
        return out if "TERLAMBAT" in out else None

    out = wait_for(late_view, what="the wait past 5 minutes")
    assert "Antrean admin: 1 kasus menunggu" in out and "(baku 5 menit, TERLAMBAT)" in out
