"""A staff unit's key: built and read in one place, the same both ways."""

from __future__ import annotations

import pytest

from shared.sop.contracts import Role
from shared.sop.orgchart import OrgChart
from shared.sop.units import Unit


def test_every_unit_of_the_chart_reads_back_from_its_key(chart: OrgChart) -> None:
    for unit in chart.units():
        assert Unit.parse(unit.key) == unit


def test_a_section_head_is_keyed_by_the_seksi_and_a_division_head_by_the_bidang() -> None:
    assert Unit.of(Role.kasi, seksi="kelahiran_kematian", bidang="pcs").key == "kasi.kelahiran_kematian"
    assert Unit.of(Role.kabid, seksi="kelahiran_kematian", bidang="pcs").key == "kabid.pcs"
    assert Unit.of(Role.admin, seksi="kelahiran_kematian").key == "admin"
    assert Unit.parse("kabid.pcs").bidang == "pcs"
    assert Unit.parse("kabid.pcs").seksi is None


@pytest.mark.parametrize("key", ["kasi", "admin.pcs", "lurah", "kabid."])
def test_a_key_that_names_no_unit_is_refused(key: str) -> None:
    with pytest.raises(ValueError):
        Unit.parse(key)
