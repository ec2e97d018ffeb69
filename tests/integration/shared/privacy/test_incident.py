"""`bamsos pdp insiden`: whose data an officer, or a client address, saw in a window."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from services.cli import main
from shared.privacy.access_log import AccessLog, Account, Action
from shared.runtime.storage import access_log, make_engine
from tests.unit.shared.laporan.feed import Step, add_case

pytestmark = pytest.mark.integration

KEY = "kunci-rahasia-uji-0123456789"
LOG = AccessLog(KEY.encode())
# 10:00 WIB on 7 December 2026, and the day after.
MORNING = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
NEXT_DAY = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)


def pdp(database_url: str, *args: str) -> tuple[int, str]:
    env = {"BAMSOS_DATABASE_URL": database_url, "BAMSOS_PDP_KEY": KEY}
    result = CliRunner().invoke(main, ["pdp", *args], env=env)
    return result.exit_code, result.output


def test_the_accounts_an_officer_saw_in_a_window_are_listed_and_the_query_is_logged(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    with engine.begin() as db:
        for n, account in enumerate(["budi88", "sari.w", "andi_p"]):
            add_case(
                db,
                f"case-{n}",
                MORNING,
                [Step(3, "admin", 2.0, "Sari")],
                path="3",
                channel="instagram",
                account=account,
            )
        LOG.record(db, "rina", Action.OPEN_CASE, case_id="case-0", client="10.1.1.5", at=MORNING)
        LOG.record(db, "rina", Action.REVEAL, case_id="case-0", client="10.1.1.5", at=MORNING)
        # A card search names the account only by its keyed hash: the listing names it again.
        LOG.record(
            db,
            "rina",
            Action.CARD_SEARCH,
            account=Account("instagram", "sari.w"),
            client="10.1.1.5",
            at=MORNING,
        )
        LOG.record(db, "rina", Action.OPEN_CASE, case_id="case-2", client="10.1.1.5", at=NEXT_DAY)  # outside
        LOG.record(db, "joko", Action.OPEN_CASE, case_id="case-2", client="10.9.9.9", at=MORNING)
    code, output = pdp(
        database_url, "insiden", "--dari", "2026-12-07", "--sampai", "2026-12-07", "--petugas", "rina"
    )
    assert code == 0, output
    assert output.splitlines() == [
        f"{'instagram  budi88':<45} buka kasus x1, tampilkan data x1",
        f"{'instagram  sari.w':<45} cari kartu menurut akun x1",
        "2 akun",
    ]
    code, output = pdp(
        database_url,
        "insiden",
        "--dari",
        "2026-12-07 00:00",
        "--sampai",
        "2026-12-09",
        "--alamat",
        "10.9.9.9",
    )
    assert "andi_p" in output and output.endswith("1 akun\n")
    with engine.connect() as db:
        assert db.scalar(sa.select(sa.func.count()).where(access_log.c.action == "incident_query")) == 2
    engine.dispose()


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--dari", "2026-12-07", "--sampai", "2026-12-07"], "sebutkan --petugas atau --alamat"),
        (
            ["--dari", "2026-12-07", "--sampai", "2026-12-07", "--petugas", "a", "--alamat", "b"],
            "sebutkan --petugas",
        ),
        (
            ["--dari", "2026-12-08", "--sampai", "2026-12-07", "--petugas", "a"],
            "--sampai harus setelah --dari",
        ),
        (["--dari", "7/12/2026", "--sampai", "2026-12-07", "--petugas", "a"], "bukan tanggal"),
        (["--petugas", "a"], "--dari dan --sampai wajib"),
    ],
)
def test_a_wrong_incident_query_is_refused(database_url: str, args: list[str], complaint: str) -> None:
    code, output = pdp(database_url, "insiden", *args)
    assert code == 2 and complaint in output
