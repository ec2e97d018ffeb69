"""A staff unit of the office, and its key.

A unit is a role, and for the heads the part of the org chart they head: `kasi.<seksi>`,
`kabid.<bidang>`; the single-unit roles are their own key (`admin`, `editor`, `pickup`, `kadis`).
The key names the unit's task queue (`bamsos.tasks.<key>`), its broker user (`staff.<key>`) and an
officer's unit in the console; it is built and read here only.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.sop.contracts import Role

# The heads: one unit per seksi (kasi) or bidang (kabid) of the org chart.
HEADS: frozenset[Role] = frozenset({Role.kasi, Role.kabid})


@dataclass(frozen=True)
class Unit:
    role: Role
    code: str | None = None  # the seksi a kasi heads, the bidang a kabid heads; None otherwise

    def __post_init__(self) -> None:
        if (self.role in HEADS) != bool(self.code):
            raise ValueError(f"unit of role {self.role.value} with code {self.code!r}")

    @classmethod
    def of(cls, role: Role, seksi: str | None = None, bidang: str | None = None) -> Unit:
        """The unit of a handover or a task: a kasi's by its seksi, a kabid's by its bidang."""
        code = seksi if role is Role.kasi else bidang if role is Role.kabid else None
        return cls(role, code)

    @classmethod
    def parse(cls, key: str) -> Unit:
        """`kasi.kelahiran_kematian` -> Unit(kasi, "kelahiran_kematian"); ValueError if it is none."""
        role, _, code = key.partition(".")
        return cls(Role(role), code or None)

    @property
    def key(self) -> str:
        """`admin`, `kasi.<seksi>`, `kabid.<bidang>`: the routing key on `bamsos.tasks`, which is also
        the queue name without its prefix."""
        return f"{self.role.value}.{self.code}" if self.code else self.role.value

    @property
    def seksi(self) -> str | None:
        return self.code if self.role is Role.kasi else None

    @property
    def bidang(self) -> str | None:
        return self.code if self.role is Role.kabid else None
