"""`bamsos laporan`: a month or a range, the format from the file name, clear refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from services.cli import main
from shared.runtime.storage import access_log, make_engine
from tests.unit.shared.laporan.feed import fed_database

pytestmark = pytest.mark.integration


def laporan(database_url: str, *args: str) -> tuple[int, str]:
    env = {"BAMSOS_DATABASE_URL": database_url, "BAMSOS_PDP_KEY": None}
    result = CliRunner().invoke(main, ["laporan", *args], env=env)
    return result.exit_code, result.output


def test_a_month_in_every_format_takes_the_format_from_the_file_name(
    database_url: str, tmp_path: Path
) -> None:
    fed_database(database_url).dispose()
    for fmt in ("pdf", "xlsx", "csv"):
        out = tmp_path / f"november.{fmt}"
        code, output = laporan(database_url, "--bulan", "2026-11", "--out", str(out))
        assert (code, output) == (0, f"laporan Bulan November 2026: 7 permohonan -> {out}\n")
        assert out.stat().st_size > 0
    code, output = laporan(database_url, "--from", "2026-11-02", "--to", "2026-11-03", "--out", str(out))
    assert "2 s.d. 3 November 2026: 5 permohonan" in output
    code, output = laporan(
        database_url, "--from", "2026-07-01", "--format", "pdf", "--out", str(tmp_path / "x")
    )
    assert (code, output) == (0, f"laporan 1 Juli 2026: tidak ada permohonan -> {tmp_path / 'x'}\n")


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--bulan", "2026-11", "--from", "2026-11-01"], "--bulan or --from/--to, not both"),
        (["--to", "2026-11-01"], "give --from (and --to) or --bulan"),
        (["--bulan", "November"], "'November' is not a month as YYYY-MM"),
        (["--from", "2026-11-05", "--to", "2026-11-01"], "--to is before --from"),
        (["--bulan", "2026-11", "--out", "laporan.docx"], "an --out file ending in .pdf, .xlsx or .csv"),
    ],
)
def test_a_wrong_request_is_refused_with_the_reason(
    database_url: str, args: list[str], complaint: str
) -> None:
    code, output = laporan(database_url, *args, *([] if "--out" in args else ["--out", "x.pdf"]))
    assert code == 2 and complaint in output


def test_the_register_is_masked_unless_asked_for_unmasked_which_the_access_log_records(
    database_url: str, tmp_path: Path
) -> None:
    fed_database(database_url).dispose()
    out = tmp_path / "november.csv"
    assert laporan(database_url, "--bulan", "2026-11", "--out", str(out))[0] == 0
    assert "warga.kota" not in out.read_text(encoding="utf-8-sig"), "masked by default"
    code, output = laporan(database_url, "--bulan", "2026-11", "--out", str(out), "--tanpa-sensor")
    assert code == 1 and "BAMSOS_PDP_KEY belum diatur" in output, "unmasked only where it can be logged"
    env = {"BAMSOS_DATABASE_URL": database_url, "BAMSOS_PDP_KEY": "kunci-rahasia-uji-0123456789"}
    args = ["laporan", "--bulan", "2026-11", "--out", str(out), "--tanpa-sensor"]
    assert CliRunner().invoke(main, args, env=env).exit_code == 0
    assert "warga.kota" in out.read_text(encoding="utf-8-sig")
    engine = make_engine(database_url)
    with engine.connect() as db:
        logged = db.execute(sa.select(access_log.c.action, access_log.c.actor, access_log.c.reference)).all()
    engine.dispose()
    assert [(a, r) for a, _, r in logged] == [
        ("laporan_unmasked", "2026-10-31T17:00:00+00:00/2026-11-30T17:00:00+00:00")
    ]
    assert logged[0].actor.startswith("os:")
