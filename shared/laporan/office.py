"""The office that issues the laporan: its kop surat, who signs, and the names of its units."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from shared.laporan.bahasa import ROLES, label
from shared.runtime.settings import Settings
from shared.sop import office as sop_office
from shared.sop.office import Letterhead
from shared.sop.offices import the_office

BLANK = "...................................."


@dataclass(frozen=True)
class Office(Letterhead):
    """The office's letterhead and unit names (`BAMSOS_REPORT_*` for a deployment of one office,
    defaults for Dukcapil Kota Pekanbaru; or its office file's `kop`)."""

    # Seksi and bidang codes -> their names in the organisation chart ("Seksi Identitas Penduduk").
    units: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> Office:
        return cls.of(the_office(settings))

    @classmethod
    def of(cls, office: sop_office.Office) -> Office:
        return cls(**asdict(office.letterhead), units=office.unit_names())

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
