"""The office's organisation chart: which section (seksi) and division (bidang) own each service.

The SOP sends policy questions to the *related* section head ("kepala seksi terkait"), so routing
needs service -> seksi -> bidang. The chart is a YAML file (`orgchart.yaml` here is the default for a
city Dukcapil office); `BAMSOS_ORG_CHART` points at another one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError, model_validator

from shared.runtime.errors import ConfigError
from shared.sop.contracts import Role, Service
from shared.sop.units import Unit

DEFAULT_CHART = Path(__file__).with_name("orgchart.yaml")

UnitCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


class Division(BaseModel):
    """A bidang: its name."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    nama: str


class Section(BaseModel):
    """A seksi: its name and the bidang it belongs to."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    nama: str
    bidang: UnitCode


class OrgChart(BaseModel):
    """bidang: divisions; seksi: sections, each in a division; layanan: service code -> seksi."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kantor: str
    # The office as citizens are told its name ("Disdukcapil Kota Pekanbaru"); the full name if unset.
    sebutan: str | None = None
    bidang: dict[UnitCode, Division]
    seksi: dict[UnitCode, Section]
    layanan: dict[Service, UnitCode]

    @model_validator(mode="after")
    def _consistent(self) -> OrgChart:
        problems = [
            f"seksi '{code}' names bidang '{s.bidang}', which the chart does not define"
            for code, s in self.seksi.items()
            if s.bidang not in self.bidang
        ]
        problems += [
            f"layanan '{service.value}' names seksi '{seksi}', which the chart does not define"
            for service, seksi in self.layanan.items()
            if seksi not in self.seksi
        ]
        missing = sorted(s.value for s in Service if s not in self.layanan)
        if missing:
            problems.append(f"no seksi for the service codes: {', '.join(missing)}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def name_for_citizens(self) -> str:
        return self.sebutan or self.kantor

    def seksi_of_service(self, service: Service) -> str:
        return self.layanan[service]

    def bidang_of_seksi(self, seksi: str) -> str:
        return self.seksi[seksi].bidang

    def units(self) -> list[Unit]:
        """Every staff unit: one per single-unit role, one per seksi (kasi) and bidang (kabid)."""
        single = [Unit(role) for role in (Role.admin, Role.editor, Role.pickup, Role.kadis)]
        return [
            *single,
            *(Unit(Role.kasi, seksi) for seksi in self.seksi),
            *(Unit(Role.kabid, bidang) for bidang in self.bidang),
        ]

    def unit_keys(self) -> list[str]:
        """Every staff unit, as its queue's routing key (`admin`, `kasi.<seksi>`, `kabid.<bidang>`)."""
        return [unit.key for unit in self.units()]


def load_chart(path: Path | None = None) -> OrgChart:
    """Read and check a chart; a bad one raises ConfigError saying what is wrong and where."""
    path = path or DEFAULT_CHART
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"org chart {path}: cannot read it: {e}") from e
    try:
        return OrgChart.model_validate(raw)
    except ValidationError as e:
        lines = [
            f"  {'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in e.errors(include_input=False, include_url=False)
        ]
        raise ConfigError(f"org chart {path} is not valid:\n" + "\n".join(lines)) from e
