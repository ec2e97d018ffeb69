"""What an officer may do to a task, in one place: the actions (their Indonesian names are the
terminal's commands and the console's buttons), who may do which, the contract's outcome each
sends, and what the officer is told when it is sent.

The router and the bridges refuse anything else; the terminal and the console offer nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.sop.contracts import Outcome, Topic


class Action(StrEnum):
    """What an officer holding a task does with it."""

    jawab = "jawab"  # answer the citizen
    eskalasi = "eskalasi"  # kasi -> kabid, or the admin's triage routing the case on
    selesai = "selesai"  # the editor or the pickup desk finishes its step
    alihkan = "alihkan"  # re-route a document case by the document's real state


# Taking the next case is not done to a task held; the console counts it beside the actions.
TAKE = "ambil"

OUTCOMES: dict[Action, Outcome] = {
    Action.jawab: Outcome.answered,
    Action.eskalasi: Outcome.escalated,
    Action.selesai: Outcome.done,
    Action.alihkan: Outcome.escalated,  # with the topic that says where (`REROUTES`)
}

# What each role holding a task may do besides a re-route (which `REROUTES` allows by step).
_BY_ROLE: dict[str, tuple[Action, ...]] = {
    "admin": (Action.jawab, Action.eskalasi),
    "kasi": (Action.jawab, Action.eskalasi),
    "kabid": (Action.jawab,),
    "editor": (Action.selesai,),
    "pickup": (Action.selesai,),
}


@dataclass(frozen=True)
class Reroute:
    """Where a case between the document steps goes (`alihkan --ke`), the topic the escalation
    sets, the step and roles that may send it there, and what the officer is told."""

    topic: Topic
    step: int
    roles: tuple[str, ...]
    told: str


REROUTES: dict[str, Reroute] = {
    # Found issued: the pickup desk (7).
    "loket": Reroute(
        Topic.dokumen_terbit,
        6,
        ("kasi", "kabid"),
        "Kasus dialihkan ke loket pengambilan dokumen (dokumen sudah terbit)",
    ),
    # Found not ready: back to the section head (6).
    "kasi": Reroute(
        Topic.belum_terbit,
        7,
        ("pickup",),
        "Kasus dikembalikan ke kepala seksi terkait (dokumen belum terbit)",
    ),
}


def reroute_to(role: str, step: int) -> str | None:
    """Where the holder of this step may re-route the case (`loket` or `kasi`), if anywhere."""
    for to, way in REROUTES.items():
        if way.step == step and role in way.roles:
            return to
    return None


def allowed_actions(role: str, step: int) -> tuple[Action, ...]:
    """What the officer holding a task of `role` at `step` may do with it."""
    rerouted = (Action.alihkan,) if reroute_to(role, step) else ()
    return _BY_ROLE.get(role, ()) + rerouted


def confirmation(action: Action, *, role: str | None = None, to: str | None = None) -> str:
    """What the officer is told once it is sent (without the closing full stop): `role` is the
    role that held the task, if known; `to` where a re-route went."""
    if action is Action.alihkan and to in REROUTES:
        return REROUTES[to].told
    if action is Action.eskalasi:
        return "Kasus diteruskan ke kepala bidang" if role == "kasi" else "Kasus diteruskan"
    if action is Action.selesai:
        return "Tugas selesai, jawaban terkirim"
    return "Jawaban terkirim"
