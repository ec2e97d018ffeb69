"""The office that issues the laporan: its kop surat, who signs, and the names of its units."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.laporan.bahasa import ROLES, label
from shared.runtime.settings import Settings
from shared.sop.orgchart import load_chart

BLANK = "...................................."


@dataclass(frozen=True)
class Office:
    """Built from the settings (`BAMSOS_REPORT_*`, defaults for Dukcapil Kota Pekanbaru)."""

    government: str
    name: str
    address: str
    sop_number: str
    city: str
    head_title: str
    head_name: str
    head_nip: str
    # Seksi and bidang codes -> their names in the organisation chart ("Seksi Identitas Penduduk").
    units: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> Office:
        chart = load_chart(settings.org_chart)
        return cls(
            government=settings.report_government,
            name=settings.report_office,
            address=settings.report_address,
            sop_number=settings.report_sop_number,
            city=settings.report_city,
            head_title=settings.report_head_title,
            head_name=settings.report_head_name,
            head_nip=settings.report_head_nip,
            units={code: unit.nama for code, unit in (chart.seksi | chart.bidang).items()},
        )

    @property
    def signer(self) -> str:
        """The head's name, or a dotted line to write it on by hand."""
        return self.head_name or BLANK

    @property
    def nip(self) -> str:
        return f"NIP. {self.head_nip or BLANK}"

    def holder(self, role: str, unit: str | None) -> str:
        """Who held a step, as the office says it: "Kepala Seksi Identitas Penduduk", "Operator Editor"."""
        if unit and role in ("kasi", "kabid") and unit in self.units:
            return f"Kepala {self.units[unit]}"
        name = label(ROLES, role)
        return f"{name} ({unit})" if unit else name
