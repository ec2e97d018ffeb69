"""What an officer may do to a task, and what they are told: one table for both front ends."""

from __future__ import annotations

import pytest

from shared.sop.contracts import Outcome, Topic
from shared.sop.rules import STEP_ROLES
from shared.staff.vocabulary import OUTCOMES, REROUTES, Action, allowed_actions, confirmation, reroute_to


@pytest.mark.parametrize(
    ("role", "step", "actions"),
    [
        ("admin", 3, ("jawab", "eskalasi")),
        ("kasi", 4, ("jawab", "eskalasi")),
        ("kasi", 6, ("jawab", "eskalasi", "alihkan")),
        ("kabid", 4, ("jawab",)),
        ("kabid", 6, ("jawab", "alihkan")),
        ("editor", 5, ("selesai",)),
        ("pickup", 7, ("selesai", "alihkan")),
        ("kadis", 4, ()),
    ],
)
def test_each_holder_may_do_what_the_sop_lets_them(role: str, step: int, actions: tuple[str, ...]) -> None:
    assert allowed_actions(role, step) == actions


def test_a_reroute_goes_where_the_document_really_is() -> None:
    assert reroute_to("kasi", 6) == reroute_to("kabid", 6) == "loket"
    assert reroute_to("pickup", 7) == "kasi"
    assert reroute_to("kasi", 4) is None
    assert REROUTES["loket"].topic is Topic.dokumen_terbit and REROUTES["kasi"].topic is Topic.belum_terbit
    # Every way out is held by a role the SOP has at that step.
    for way in REROUTES.values():
        assert set(way.roles) <= {role.value for role in STEP_ROLES[way.step]}


def test_every_action_sends_one_of_the_contracts_outcomes() -> None:
    assert set(OUTCOMES) == set(Action)
    assert OUTCOMES[Action.jawab] is Outcome.answered and OUTCOMES[Action.selesai] is Outcome.done
    assert OUTCOMES[Action.eskalasi] is OUTCOMES[Action.alihkan] is Outcome.escalated


def test_the_officer_is_told_what_was_sent() -> None:
    assert confirmation(Action.jawab) == "Jawaban terkirim"
    assert confirmation(Action.selesai) == "Tugas selesai, jawaban terkirim"
    assert confirmation(Action.eskalasi, role="kasi") == "Kasus diteruskan ke kepala bidang"
    assert confirmation(Action.eskalasi, role="admin") == "Kasus diteruskan"
    assert "loket pengambilan" in confirmation(Action.alihkan, to="loket")
    assert "kepala seksi terkait" in confirmation(Action.alihkan, to="kasi")
