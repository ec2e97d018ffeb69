"""The organisation chart: the default covers every service, a bad one is refused clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.runtime.errors import ConfigError
from shared.sop.contracts import Service
from shared.sop.orgchart import load_chart


def test_the_default_chart_gives_every_service_a_section_and_division() -> None:
    chart = load_chart()
    for service in Service:
        seksi = chart.seksi_of_service(service)
        assert chart.bidang_of_seksi(seksi) in chart.bidang


def test_a_chart_naming_an_unknown_division_or_missing_a_service_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "chart.yaml"
    bad.write_text(
        "kantor: Disdukcapil\n"
        "bidang: {pdp: {nama: Pendaftaran}}\n"
        "seksi: {identitas: {nama: Identitas, bidang: capil}}\n"
        "layanan: {ktp_el: identitas}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_chart(bad)
    message = str(caught.value)
    assert "seksi 'identitas' names bidang 'capil'" in message
    assert "no seksi for the service codes: akta_kelahiran" in message


def test_a_unit_code_that_cannot_be_a_queue_name_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "chart.yaml"
    bad.write_text(load_chart().model_dump_json().replace('"pdp"', '"Pelayanan Pendaftaran"'))
    with pytest.raises(ConfigError, match="String should match pattern"):
        load_chart(bad)


def test_a_chart_that_is_not_yaml_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "chart.yaml"
    bad.write_text("bidang: [unclosed")
    with pytest.raises(ConfigError, match="cannot read it"):
        load_chart(bad)
