"""`bamsos petugas tambah … --peran pdp`: the data-protection officer holds a role, not a unit."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from services.cli import main
from shared.runtime.storage import make_engine
from shared.staff.officers import authenticate

pytestmark = pytest.mark.integration

PASSWORD = "kata-sandi-panjang"


def petugas(database_url: str, *args: str) -> tuple[int, str]:
    env = {"BAMSOS_DATABASE_URL": database_url, "BAMSOS_PASSWORD": PASSWORD}
    result = CliRunner().invoke(main, ["petugas", *args], env=env)
    return result.exit_code, result.output


def test_the_data_protection_officer_is_added_with_the_pdp_role_and_no_unit(database_url: str) -> None:
    code, output = petugas(database_url, "tambah", "dewi.pdp", "--nama", "Dewi Lestari", "--peran", "pdp")
    assert (code, output) == (0, "petugas dewi.pdp (Dewi Lestari) disimpan, peran: pdp\n")
    engine = make_engine(database_url)
    officer = authenticate(engine, "dewi.pdp", PASSWORD)
    engine.dispose()
    assert officer is not None and officer.is_dpo and officer.units == ()
    assert (
        "dewi.pdp" in petugas(database_url, "daftar")[1] and "peran pdp" in petugas(database_url, "daftar")[1]
    )


def test_an_officer_of_a_unit_is_no_data_protection_officer(database_url: str) -> None:
    assert petugas(database_url, "tambah", "budi", "--nama", "Budi", "--unit", "admin")[0] == 0
    engine = make_engine(database_url)
    officer = authenticate(engine, "budi", PASSWORD)
    engine.dispose()
    assert officer is not None and not officer.is_dpo and officer.units == ("admin",)


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--peran", "pdp", "--unit", "admin"], "petugas pelindungan data (pdp) tidak memegang unit"),
        ([], "unit tidak dikenal: (tidak ada)"),
    ],
)
def test_a_dpo_with_a_unit_or_an_officer_with_neither_is_refused(
    database_url: str, args: list[str], complaint: str
) -> None:
    code, output = petugas(database_url, "tambah", "sari", "--nama", "Sari", *args)
    assert code == 1 and complaint in output
    assert "sari" not in petugas(database_url, "daftar")[1], "nothing was saved"
