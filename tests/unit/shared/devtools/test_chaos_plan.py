"""The chaos run's fault plan and slow staff: drawn from the seed alone, so a run can be replayed,
and covering every service (the router most) whatever the seed."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime

import pytest

from services.catalog import NAMES as SERVICES
from shared.devtools.chaos import PlannedFault, SlowStaff, fault_plan, kill_order
from shared.sop.contracts import Role, Task


def ci_plan(seed: int, extra_kinds: list[tuple[float, str]] | None = None) -> list[PlannedFault]:
    """The plan of CI's chaos run (tests/chaos/): 20 s, a kill every 2 s, one restart of each server."""
    return fault_plan(
        seed,
        seconds=20.0,
        kill_every=2.0,
        copies=2,
        broker_restarts=1,
        database_restarts=1,
        extra_kinds=extra_kinds or [],
    )


def test_one_seed_gives_one_plan_and_another_seed_another() -> None:
    assert ci_plan(20261124) == ci_plan(20261124)
    assert ci_plan(20261124) != ci_plan(7)


@pytest.mark.parametrize("seed", range(20))
def test_every_service_is_killed_once_before_any_twice_and_the_router_at_least_three_times(seed: int) -> None:
    plan = ci_plan(seed)
    victims = [f.target.partition("#")[0] for f in plan if f.kind == "kill"]
    assert sorted(victims[: len(SERVICES)]) == sorted(SERVICES)
    assert Counter(victims)["router"] >= 3
    # Both copies of the router are hit, and nothing but the services' two copies.
    targets = {f.target for f in plan if f.kind == "kill"}
    assert {"router", "router#2"} <= targets <= {*SERVICES, *(f"{s}#2" for s in SERVICES)}
    kinds = Counter(f.kind for f in plan)
    assert (kinds["broker_restart"], kinds["database_restart"]) == (1, 1)
    assert [f.at for f in plan] == sorted(f.at for f in plan)


def test_extra_faults_take_their_place_in_the_plan() -> None:
    plan = ci_plan(1, [(0.25, "node_stop"), (0.6, "node_kill")])
    assert PlannedFault(5.0, "node_stop") in plan and PlannedFault(12.0, "node_kill") in plan


def test_the_kill_order_alternates_the_router_with_the_others_after_the_first_round() -> None:
    order = kill_order(random.Random(3), 13)
    assert order[5::2] == ["router"] * 4


def task(step: int, role: Role) -> Task:
    now = datetime(2026, 11, 30, tzinfo=UTC)
    return Task(
        kind="task",
        task_id=f"t-{step}",
        inquiry_id="case",
        step=step,
        role=role,
        service=None,
        topic=None,
        summary="…",
        assigned_at=now,
        due_at=now,
    )


def test_the_slow_staff_are_reproducible_from_their_seed_and_some_take_one_to_three_standards() -> None:
    def thinking(seed: int) -> list[float]:
        staff = SlowStaff(random.Random(seed), time_scale=60)
        return [staff.think(task(3, Role.admin)) for _ in range(300)]

    assert thinking(5) == thinking(5)
    slow = Counter(round(t / 5.0 - 0.5) for t in thinking(5) if t > 1)  # in standards of 5 s
    assert set(slow) == {1, 2, 3}
    assert 0.2 < sum(slow.values()) / 300 < 0.4
