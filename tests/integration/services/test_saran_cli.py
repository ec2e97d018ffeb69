"""`bamsos saran` as a script uses it: a JSON list of suggestions (judul, layanan, skor, sumber),
templates then past answers with ticket and date and no name or account; bad input no error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from shared.runtime.storage import make_engine
from tests.helpers import answered_case

pytestmark = pytest.mark.integration


def saran(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, BAMSOS_DATABASE_URL=database_url)
    command = [sys.executable, "-m", "services.cli", "saran", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)


def test_the_json_lists_templates_then_past_answers_with_ticket_and_date(database_url: str) -> None:
    engine = make_engine(database_url)
    answered_case(
        engine, 7, "kk sy hilang gmn", "Bawa surat kehilangan.", "kk", datetime(2026, 11, 2, tzinfo=UTC)
    )
    engine.dispose()

    done = saran(database_url, "kartu keluarga saya hilang min", "--layanan", "kk", "--json")

    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert [s["sumber"] for s in found] == ["templat"] * 3 + ["jawaban"]
    assert found[0]["judul"] == "Kartu Keluarga hilang atau rusak" and found[0]["layanan"] == "kk"
    assert all({"judul", "layanan", "skor", "sumber"} <= set(s) for s in found)
    assert found[3]["tiket"] == "A-07" and found[3]["tanggal"] == "2026-11-02"
    assert "Siti" not in done.stdout and "6281234567890" not in done.stdout


@pytest.mark.parametrize("text", ["", "🙏🙏🙏", "3271046504870004", "syarat ktp " * 1000])
def test_bad_input_gets_a_list_and_no_error(database_url: str, text: str) -> None:
    done = saran(database_url, text, "--json")
    assert done.returncode == 0, done.stderr
    assert isinstance(json.loads(done.stdout), list)
