"""The access log: the services' role may add and read rows but not change or remove them; a row
edited or removed by a superuser is named by `bamsos pdp verifikasi`; two writers at once keep one
chain; accounts are never kept in clear."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ProgrammingError

from services.cli import main
from shared.privacy.access_log import AccessLog, Account, Action
from shared.runtime.storage import SERVICE_ROLE, access_log, make_engine

pytestmark = pytest.mark.integration

KEY = "kunci-rahasia-uji-0123456789"
LOG = AccessLog(KEY.encode())
BUDI = Account("whatsapp", "6281234567890")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def pdp(database_url: str, *args: str) -> tuple[int, str]:
    env = {"BAMSOS_DATABASE_URL": database_url, "BAMSOS_PDP_KEY": KEY}
    result = CliRunner().invoke(main, ["pdp", *args], env=env)
    return result.exit_code, result.output


def fill(engine: Engine, rows: int) -> None:
    with engine.begin() as db:
        for n in range(rows):
            LOG.record(
                db, f"petugas{n % 2}", Action.OPEN_CASE, case_id=f"case-{n}", account=BUDI, client="10.0.0.7"
            )


def test_the_services_role_may_add_and_read_rows_but_not_change_or_remove_them(engine: Engine) -> None:
    with engine.begin() as db:
        db.execute(sa.text(f"SET LOCAL ROLE {SERVICE_ROLE}"))
        LOG.record(db, "siti", Action.REVEAL, case_id="case-1", account=BUDI, client="10.0.0.7")
        assert db.scalar(sa.select(sa.func.count()).select_from(access_log)) == 1
    for statement in (
        sa.update(access_log).values(actor="orang-lain"),
        sa.delete(access_log),
        sa.text("TRUNCATE access_log"),
    ):
        with engine.begin() as db:
            db.execute(sa.text(f"SET LOCAL ROLE {SERVICE_ROLE}"))
            with pytest.raises(ProgrammingError, match="permission denied"):
                db.execute(statement)
    with engine.connect() as db:
        assert db.scalar(sa.select(access_log.c.actor)) == "siti", "the row is as it was written"


def test_a_row_edited_by_the_superuser_is_named_by_verifikasi(engine: Engine, database_url: str) -> None:
    fill(engine, 5)
    assert pdp(database_url, "verifikasi")[0] == 0
    ids = [r.id for r in engine.connect().execute(sa.select(access_log.c.id).order_by(access_log.c.id))]
    with engine.begin() as db:  # as the superuser the tests connect as
        db.execute(sa.update(access_log).where(access_log.c.id == ids[2]).values(actor="orang-lain"))
    code, output = pdp(database_url, "verifikasi")
    assert code == 1
    assert f"log akses RUSAK di baris {ids[2]}: isi baris ini diubah (2 baris sebelumnya utuh)" in output


def test_a_row_removed_by_the_superuser_breaks_the_chain_at_the_next(
    engine: Engine, database_url: str
) -> None:
    fill(engine, 4)
    ids = [r.id for r in engine.connect().execute(sa.select(access_log.c.id).order_by(access_log.c.id))]
    with engine.begin() as db:
        db.execute(sa.delete(access_log).where(access_log.c.id == ids[1]))
    code, output = pdp(database_url, "verifikasi")
    assert code == 1 and f"di baris {ids[2]}: rantai putus" in output


def test_two_writers_at_once_keep_one_unbroken_chain(engine: Engine, database_url: str) -> None:
    start = threading.Barrier(2)

    def writer() -> None:
        own = make_engine(engine.url.render_as_string(hide_password=False))
        start.wait()
        for n in range(40):
            with own.begin() as db:
                LOG.record(db, "konsol", Action.CARD_SEARCH, account=Account("telegram", f"akun{n}"))
        own.dispose()

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    code, output = pdp(database_url, "verifikasi")
    assert (code, output.splitlines()[0]) == (0, "log akses utuh: 80 baris, rantai hash cocok")


def test_a_writer_whose_snapshot_could_be_older_than_the_lock_is_refused(engine: Engine) -> None:
    refused = pytest.raises(RuntimeError, match="READ COMMITTED, not REPEATABLE READ")
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as db, db.begin(), refused:
        LOG.record(db, "siti", Action.REVEAL, case_id="case-1")


def test_the_log_keeps_the_account_as_a_keyed_hash_and_finds_it_again(
    engine: Engine, database_url: str
) -> None:
    fill(engine, 3)
    with engine.begin() as db:
        LOG.record(db, "andi", Action.REVEAL, case_id="case-9", account=Account("instagram", "lain"))
        dump = " ".join(str(v) for row in db.execute(sa.select(access_log)) for v in row)
    assert BUDI.account not in dump and "6281234567890" not in dump
    code, output = pdp(database_url, "log", "--kanal", "whatsapp", "--akun", BUDI.account)
    assert code == 0 and output.count("buka kasus") == 3 and "andi" not in output
    assert output.endswith("3 baris\n")
    code, output = pdp(database_url, "log", "--petugas", "andi")
    assert "tampilkan data" in output and "kasus case-9" in output and output.endswith("1 baris\n")
    code, output = pdp(database_url, "log", "--dari", "2000-01-01", "--sampai", "2000-01-02")
    assert output == "0 baris\n"


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["log", "--dari", "kemarin"], "'kemarin' bukan tanggal YYYY-MM-DD"),
        (["log", "--akun", "budi"], "kanal harus salah satu dari"),
        (["log", "--kanal", "myspace", "--akun", "budi"], "kanal harus salah satu dari"),
    ],
)
def test_bad_input_is_refused_in_bahasa_indonesia(database_url: str, args: list[str], complaint: str) -> None:
    code, output = pdp(database_url, *args)
    assert code == 2 and complaint in output


def test_without_the_secret_the_commands_refuse(database_url: str) -> None:
    env = {"BAMSOS_DATABASE_URL": database_url, "BAMSOS_PDP_KEY": None}
    result = CliRunner().invoke(main, ["pdp", "verifikasi"], env=env)
    assert result.exit_code == 1 and "BAMSOS_PDP_KEY belum diatur" in result.output
