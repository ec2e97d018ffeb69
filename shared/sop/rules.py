"""The SOP's steps, their time standards, and the escalation rules, as plain functions.

SOP 060/Dukcapil-PDIP/702/2020 (see docs/sop.md): a request goes through steps 1 and 2, then one
path among 3, 3->4, 5, 6 and 7, then step 8. Nothing here does I/O, so every rule is unit-tested.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.runtime.errors import Rejected
from shared.sop.contracts import Outcome, Role, Service, Topic
from shared.sop.orgchart import OrgChart
from shared.sop.units import Unit

# Mutu baku: the standard time of each step, in minutes, straight from the SOP's table.
STANDARD_MINUTES: dict[int, int] = {1: 5, 2: 3, 3: 5, 4: 5, 5: 5, 6: 5, 7: 3, 8: 2}

STEP_NAMES: dict[int, str] = {
    1: "Pengajuan permohonan",
    2: "Registrasi pemohon",
    3: "Informasi pelayanan",
    4: "Konsultasi kepala bidang",
    5: "Perbaikan data (operator editor)",
    6: "Percepatan penerbitan/penandatanganan",
    7: "Koordinasi pengambilan dokumen",
    8: "Jawaban kepada pemohon",
}

# Who holds each step on the control card (its `to_role`), per the SOP's table: step 1 is the
# admin's receipt of the request, step 8 waits on the citizen's chat receiving the answer.
STEP_ROLES: dict[int, tuple[Role, ...]] = {
    1: (Role.admin,),
    2: (Role.admin,),
    3: (Role.admin, Role.kasi),
    4: (Role.kabid,),
    5: (Role.editor,),
    6: (Role.kasi, Role.kabid),
    7: (Role.pickup,),
    8: (Role.pemohon,),
}

# Every (step, role) pair as metric labels: what dashboards and alerts expect to see, even at zero.
STEP_ROLE_LABELS: tuple[tuple[str, str], ...] = tuple(
    (str(step), role.value) for step, roles in STEP_ROLES.items() for role in roles
)

# Roles whose steps a bridge service carries instead of the router.
BRIDGED_ROLES: frozenset[Role] = frozenset({Role.editor, Role.pickup})


@dataclass(frozen=True)
class Assignment:
    """Who takes the next step of a case: a role, and for heads the unit of the org chart."""

    step: int
    role: Role
    seksi: str | None = None
    bidang: str | None = None

    @property
    def unit(self) -> Unit:
        return Unit.of(self.role, self.seksi, self.bidang)

    @property
    def queue_key(self) -> str:
        """The routing key on `bamsos.tasks`, which is also the queue name without its prefix."""
        return self.unit.key


def first_assignment(topic: Topic | None, service: Service | None, chart: OrgChart) -> Assignment:
    """Where a registered inquiry goes first, by its topic (SOP steps 3, 5, 6, 7).

    With no topic the admin gets it: to answer, or to triage and route on (step 3).
    """
    if topic is None or topic is Topic.informasi:
        return Assignment(step=3, role=Role.admin)
    if topic is Topic.kebijakan:
        return _section_head(3, service, chart)
    if topic is Topic.kesalahan_data:
        return Assignment(step=5, role=Role.editor)
    if topic is Topic.belum_terbit:
        return _section_head(6, service, chart)
    return Assignment(step=7, role=Role.pickup)


def next_assignment(
    current: Assignment,
    outcome: Outcome,
    *,
    topic: Topic | None,
    service: Service | None,
    chart: OrgChart,
) -> Assignment | None:
    """What follows an officer's result: None when the case is ready for the reply (step 8).

    `topic` and `service` are the case's, already updated with what the officer set.
    """
    if outcome is not Outcome.escalated:
        return None
    if current.role is Role.admin:
        # The admin routes on: by the topic they set (triage), else as a policy question.
        if topic is None or topic is Topic.informasi:
            return _section_head(3, service, chart)
        return first_assignment(topic, service, chart)
    if current.step == 6 and current.role in (Role.kasi, Role.kabid) and topic is Topic.dokumen_terbit:
        # Re-route: the head finds the document already issued; the pickup desk says where (7).
        return Assignment(step=7, role=Role.pickup)
    if current.role is Role.pickup and topic is Topic.belum_terbit:
        # Re-route: the pickup desk finds it not ready; its section head hurries it (6).
        if service is None:
            raise Rejected("escalation_not_allowed", "a case sent back to its section head needs its service")
        return _section_head(6, service, chart)
    if current.role is Role.kasi:
        # Step 3 -> 4: the section head is in doubt. Step 6: the division head signs too.
        step = 4 if current.step == 3 else current.step
        bidang = chart.bidang_of_seksi(current.seksi) if current.seksi else None
        return Assignment(step=step, role=Role.kabid, seksi=current.seksi, bidang=bidang)
    raise Rejected("escalation_not_allowed", f"role {current.role.value} has no one to escalate to")


# An officer's re-route between the document steps (6: not yet issued, 7: issued), as the control
# card notes it on the step handed on.
REROUTE_NOTES: dict[tuple[int, int], str] = {
    (6, 7): "dialihkan: dokumen sudah terbit",
    (7, 6): "dialihkan: dokumen belum terbit",
}


# Who hears of a late step, level by level: admin -> kasi of the section -> kabid of the division ->
# kadis. A unit that is not on the ladder itself (the citizen's side, editor, pickup) starts at
# the admin or the section head that owns the service.
_LADDER: tuple[Role, ...] = (Role.admin, Role.kasi, Role.kabid, Role.kadis)
_LADDER_START: dict[Role, int] = {
    Role.pemohon: 0,
    Role.admin: 1,
    Role.editor: 1,
    Role.pickup: 1,
    Role.kasi: 2,
    Role.kabid: 3,
    Role.kadis: 4,
}


def notice_for(
    step: int,
    holder: Role,
    level: int,
    *,
    service: Service | None,
    seksi: str | None,
    chart: OrgChart,
) -> Assignment | None:
    """Who gets breach notice number `level` (1, 2, ...) of a late `step` held by `holder`.

    None once the ladder is climbed past kadis. Heads are those of the case's own section (`seksi`,
    when a head holds the step) or of the section that owns the service ("terkait").
    """
    position = _LADDER_START[holder] + level - 1
    if position >= len(_LADDER):
        return None
    role = _LADDER[position]
    if role in (Role.admin, Role.kadis):
        return Assignment(step=step, role=role)
    seksi = seksi or chart.seksi_of_service(service or Service.lainnya)
    bidang = chart.bidang_of_seksi(seksi)
    return Assignment(step=step, role=role, seksi=seksi if role is Role.kasi else None, bidang=bidang)


def _section_head(step: int, service: Service | None, chart: OrgChart) -> Assignment:
    seksi = chart.seksi_of_service(service or Service.lainnya)
    return Assignment(step=step, role=Role.kasi, seksi=seksi, bidang=chart.bidang_of_seksi(seksi))


def path_of(steps: list[int]) -> str:
    """The SOP path a case took, e.g. "3", "3-4", "5": its steps between 3 and 7, in order."""
    seen: list[int] = []
    for step in steps:
        if 3 <= step <= 7 and step not in seen:
            seen.append(step)
    return "-".join(str(s) for s in seen) or "none"
