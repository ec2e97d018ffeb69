"""The console's pieces without servers: the login limit's window, the step clock's colours on the
office calendar, the answer templates' checks."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from services.console.answers import load_answers
from services.console.main import unit_users_warning
from services.console.security import LoginLimiter, csrf_ok, csrf_token
from services.console.views import holder_text, short_time, step_clock, summary, time_parts
from shared.runtime.errors import ConfigError
from shared.runtime.settings import Settings
from shared.sop.office_calendar import make_clock
from shared.sop.orgchart import OrgChart
from shared.staff.actions import office_time

WIB = ZoneInfo("Asia/Jakarta")


def test_the_login_limit_counts_failures_per_name_and_address_in_a_sliding_window() -> None:
    now = [1000.0]
    limiter = LoginLimiter(failures=5, window=300, clock=lambda: now[0])
    key = ("rina", "10.0.0.7")
    for _ in range(4):
        limiter.fail(key)
    assert not limiter.blocked(key)
    limiter.fail(key)
    assert limiter.blocked(key)
    assert not limiter.blocked(("rina", "10.0.0.8")) and not limiter.blocked(("sari", "10.0.0.7"))
    now[0] += 299
    assert limiter.blocked(key)
    now[0] += 2  # the first failures leave the window
    assert not limiter.blocked(key)
    limiter.fail(key)
    limiter.reset(key)
    assert not limiter.blocked(key)


def test_a_csrf_token_is_made_once_per_session_and_compared_exactly() -> None:
    session: dict[str, object] = {}
    token = csrf_token(session)
    assert csrf_token(session) == token and len(token) >= 40
    assert csrf_ok(session, token)
    assert not csrf_ok(session, token[:-1]) and not csrf_ok(session, None) and not csrf_ok({}, token)


def test_the_step_clock_is_green_amber_red_in_office_time() -> None:
    clock = make_clock(Settings(calendar="office"))
    monday = datetime(2026, 11, 30, 9, 0, tzinfo=WIB)
    due = clock.due_at(monday, 300)
    assert step_clock(clock, due, 300, monday + timedelta(minutes=1)).state == "hijau"
    amber = step_clock(clock, due, 300, monday + timedelta(minutes=4, seconds=30))
    assert (amber.state, amber.label) == ("kuning", "Menit terakhir")
    assert amber.text == "sisa 0,5 dari 5 menit"
    live = step_clock(clock, due, 300, monday + timedelta(minutes=4, seconds=30), whole=True)
    assert live.text == "sisa kurang dari 1 menit (baku 5)"  # the live list counts whole minutes
    late = step_clock(clock, due, 300, monday + timedelta(minutes=7), whole=True)
    assert (late.state, late.text) == ("merah", "lewat 2 menit (baku 5)")
    # Handed over on Friday evening: the night and the weekend don't count.
    friday = datetime(2026, 11, 27, 22, 10, tzinfo=WIB)
    due = clock.due_at(friday, 300)
    saturday = step_clock(clock, due, 300, datetime(2026, 11, 28, 10, 0, tzinfo=WIB))
    assert saturday.state == "hijau" and saturday.text == "sisa 5,0 dari 5 menit"


def test_times_and_holders_as_officers_read_them(chart: OrgChart) -> None:
    now = datetime(2026, 11, 30, 9, 0, tzinfo=WIB)
    assert short_time(now - timedelta(minutes=5), WIB, now) == "08.55 WIB"
    assert short_time(now - timedelta(days=1), WIB, now) == "29-11 09.00 WIB"
    # The queue, the card and the terminal write a time one way, the Indonesian way, as the
    # citizens' notices do: hours, minutes and seconds parted by dots.
    moment = datetime(2026, 11, 30, 9, 5, 33, tzinfo=WIB)
    assert time_parts(moment, WIB) == ("30-11-2026", "09.05.33")
    assert office_time(moment, WIB, named=True) == "30-11-2026 09.05.33 WIB"
    assert holder_text("kasi", "kelahiran_kematian", "pcs", chart) == "Kepala Seksi Kelahiran dan Kematian"
    kabid = holder_text("kabid", "kelahiran_kematian", "pcs", chart)
    assert kabid == "Kepala Bidang Pelayanan Pencatatan Sipil"
    assert holder_text("pickup", None, None, chart) == "Loket pengambilan"


def test_a_bad_answer_file_stops_the_console_with_the_reason(tmp_path: Path) -> None:
    bad = tmp_path / "answers.yaml"
    bad.write_text("layanan:\n  paspor:\n    - judul: x\n      dasar: y\n      teks: z\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"layanan\.paspor"):
        load_answers(bad)
    bad.write_text("umum:\n  - judul: x\n    dasar: y\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"umum\.0\.teks"):
        load_answers(bad)


def test_the_console_warns_at_start_when_the_router_would_not_count_its_results() -> None:
    as_console = "amqp://office1-console:pw@127.0.0.1:5672/%2F"
    as_admin_unit = "amqp://office1-staff.admin:pw@127.0.0.1:5672/%2F"
    prefix = {"broker_user_prefix": "office1-"}
    assert unit_users_warning(Settings(amqp_url=as_admin_unit, unit_users=False, **prefix)) is None
    assert unit_users_warning(Settings(amqp_url=as_console, unit_users=True, **prefix)) is None
    warning = unit_users_warning(Settings(amqp_url=as_admin_unit, unit_users=True, **prefix))
    assert warning is not None and "office1-console" in warning and "dead-lettered" in warning


def test_a_summary_is_masked_before_it_is_cut_so_no_number_shows_in_part() -> None:
    """Cut first, the NIK's first digits would stay: too short to read as a NIK, they'd show."""
    text = "x" * 100 + " NIK 3271046504870002 dan HP 0812 3456 7890"
    short = summary(text, limit=112)
    assert "327104" not in short and short.startswith("x" * 100 + " NIK 3271••")
    assert summary("HP\n0812-3456-7890") == "HP 0812•••••890"
