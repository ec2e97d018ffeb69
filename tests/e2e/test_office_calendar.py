"""The pipeline on the office calendar, production's default: a question sent on a Friday night
before a long weekend (Monday 17 August 2026 is Independence Day) is due on Tuesday morning, and the
control card and the laporan count only office hours. An office whose hours have a lunch break
(its office file in BAMSOS_OFFICES_DIR) does not count the break either.

The services run as processes with their SOP clock frozen (`BAMSOS_FROZEN_NOW`, a test-only knob):
first on Friday at 20:00 WIB, after closing, when the question arrives; then, restarted, on Tuesday
at 08:00 WIB, half an hour after opening, when the officers find it. Four days pass on the wall
clock, thirty minutes on the office's.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from services.catalog import PROCESSES
from shared.devtools.simulation import Connector, Staff, publish_inquiries
from shared.laporan import Period
from shared.laporan.figures import snapshot, step_timings
from shared.runtime import topology
from shared.runtime.settings import Settings
from shared.runtime.storage import handovers, inquiries, make_engine
from shared.sop.contracts import Channel, Inquiry, Service, Topic
from shared.sop.orgchart import OrgChart
from tests.helpers import ready_count, wait_for

pytestmark = pytest.mark.e2e

WIB = ZoneInfo("Asia/Jakarta")
FRIDAY_NIGHT = datetime(2026, 8, 14, 20, 0, tzinfo=WIB)  # closed at 16:30 on Fridays
TUESDAY_OPENING = datetime(2026, 8, 18, 7, 30, tzinfo=WIB)  # Saturday, Sunday, the holiday: closed
TUESDAY_0800 = datetime(2026, 8, 18, 8, 0, tzinfo=WIB)


@contextmanager
def services_at(settings: Settings, now: datetime, **more: str) -> Iterator[None]:
    """`bamsos run all` on the office calendar, with the SOP clock standing at `now`."""
    env = dict(
        os.environ,
        BAMSOS_AMQP_URL=settings.amqp_url,
        BAMSOS_DATABASE_URL=settings.database_url,
        BAMSOS_CALENDAR="office",
        BAMSOS_FROZEN_NOW=now.isoformat(),
        BAMSOS_METRICS_PORTS=json.dumps(dict.fromkeys(PROCESSES, 0)),
        BAMSOS_GATEWAY_PORT="0",
        BAMSOS_CONSOLE_PORT="0",
        BAMSOS_PDP_KEY="kunci-rahasia-uji-0123456789",  # the console starts only with it
        BAMSOS_LOG_LEVEL="warning",
        **more,
    )
    proc = subprocess.Popen([sys.executable, "-m", "services.cli", "run", "all"], env=env)
    try:
        yield
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


def card(engine: sa.Engine) -> dict[int, sa.Row[tuple[object, ...]]]:
    with engine.connect() as db:
        return {r.step: r for r in db.execute(sa.select(handovers).order_by(handovers.c.id))}


def test_a_question_on_a_friday_night_before_a_holiday_counts_only_office_hours(
    settings: Settings, chart: OrgChart
) -> None:
    engine = make_engine(settings.database_url)
    question = Inquiry(
        id="office-calendar-1",
        channel=Channel.telegram,
        account="@citra",
        name="Citra",
        sent_at=FRIDAY_NIGHT - timedelta(minutes=10),
        text="Min, syarat tambah anggota keluarga di KK apa saja ya?",
        service=Service.kk,
        topic=Topic.informasi,
    )
    admin = topology.TASK_QUEUE_PREFIX + "admin"
    with services_at(settings, FRIDAY_NIGHT):
        publish_inquiries(settings.amqp_url, [question])
        wait_for(lambda: ready_count(settings.amqp_url, admin) == 1, timeout=60, what="the admin's task")

    # Registered after closing: steps 1 and 2 took no office time; step 3 (the admin's, 5 minutes)
    # is due five minutes after Tuesday's opening, past the weekend and the holiday.
    friday = card(engine)
    assert friday[1].duration_seconds == 0 and friday[2].duration_seconds == 0
    assert not friday[1].breached
    assert friday[3].handed_at == FRIDAY_NIGHT and friday[3].done_at is None
    assert friday[3].due_at == TUESDAY_OPENING + timedelta(minutes=5)

    kasi = topology.TASK_QUEUE_PREFIX + f"kasi.{chart.seksi_of_service(Service.kk)}"
    staff = Staff(settings.amqp_url, chart)
    connector = Connector(settings.amqp_url, now=lambda: TUESDAY_0800)
    with services_at(settings, TUESDAY_0800):
        # At 08:00 the step is 25 minutes past due: the router's scan tells the section head, once.
        wait_for(lambda: ready_count(settings.amqp_url, kasi) == 1, timeout=60, what="the breach notice")
        staff.start()
        connector.start()
        try:
            wait_for(lambda: len(card(engine)) == 4 and card(engine)[8].done_at, timeout=60, what="delivery")
        finally:
            staff.stop()
            connector.stop()

    tuesday = card(engine)
    assert tuesday[3].done_at == TUESDAY_0800
    assert tuesday[3].duration_seconds == 30 * 60  # 07:30-08:00, not the four days since Friday
    assert tuesday[3].breached and tuesday[3].escalation_level == 1
    [notice] = staff.notices_seen
    assert notice.role.value == "kasi" and notice.summary.startswith("PERINGATAN ke-1:")
    assert tuesday[8].handed_at == TUESDAY_0800 and tuesday[8].duration_seconds == 0
    with engine.connect() as db:
        case = db.execute(sa.select(inquiries)).one()
    assert case.received_at == FRIDAY_NIGHT and case.path == "3"
    assert [r["in_reply_to"] for r in connector.replies] == [question.id]

    # The laporan of that Friday: the SOP's durations in office time, step 3 late by 25 minutes.
    with snapshot(engine) as db:
        timings = {
            t.step: t.timing for t in step_timings(db, Period(date(2026, 8, 14), date(2026, 8, 14), WIB))
        }
    assert (timings[3].closed, timings[3].within, timings[3].median_minutes) == (1, 0, 30.0)
    assert {step: timings[step].median_minutes for step in (1, 2, 8)} == {1: 0.0, 2: 0.0, 8: 0.0}


MONDAY_1158 = datetime(2026, 11, 30, 11, 58, tzinfo=WIB)  # two minutes before the lunch break
OFFICE_WITH_BREAKS = """
nama: Dinas Kependudukan dan Pencatatan Sipil Kabupaten Siak
kop: {pemerintah: PEMERINTAH KABUPATEN SIAK, kantor: DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL,
      nomor_sop: 1/2026, kota: Siak Sri Indrapura, jabatan_kepala: Kepala Dinas}
zona_waktu: WIB
jam_kerja: "mon-thu 07:30-12:00,13:00-16:00; fri 07:30-11:30,13:30-16:30"
awalan_tiket: SIK
"""


def test_a_case_arriving_just_before_the_lunch_break_is_due_after_it(
    settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / "siak.yaml").write_text(OFFICE_WITH_BREAKS, encoding="utf-8")
    engine = make_engine(settings.database_url)
    question = Inquiry(
        id="office-breaks-1",
        channel=Channel.telegram,
        account="@dewi",
        name="Dewi",
        sent_at=MONDAY_1158 - timedelta(minutes=1),
        text="Min, syarat pindah datang dari luar kabupaten apa saja?",
        service=Service.pindah_datang,
        topic=Topic.informasi,
    )
    admin = topology.TASK_QUEUE_PREFIX + "admin"
    with services_at(settings, MONDAY_1158, BAMSOS_OFFICES_DIR=str(tmp_path)):
        publish_inquiries(settings.amqp_url, [question])
        wait_for(lambda: ready_count(settings.amqp_url, admin) == 1, timeout=60, what="the admin's task")

    # The admin's five minutes: two before the break (11:58-12:00), three after it (13:00-13:03).
    steps = card(engine)
    assert steps[3].handed_at == MONDAY_1158
    assert steps[3].due_at == datetime(2026, 11, 30, 13, 3, tzinfo=WIB)
    with engine.connect() as db:
        assert db.scalar(sa.select(inquiries.c.ticket)) == "SIK-261130-0001"  # the office's own series
