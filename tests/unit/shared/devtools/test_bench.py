"""The benchmark's own arithmetic: percentiles that keep missing replies, and arrival order by ticket."""

from __future__ import annotations

import math

from shared.devtools.bench import OrderFigures, _percentile, arrival_order


def test_a_missing_reply_stays_in_the_percentiles_as_infinitely_late() -> None:
    on_time = sorted(float(ms) for ms in range(1, 101))
    assert (_percentile(on_time, 50), _percentile(on_time, 99)) == (50.0, 99.0)
    two_missing = sorted([*on_time[:98], math.inf, math.inf])
    assert _percentile(two_missing, 95) == 95.0
    assert _percentile(two_missing, 99) == math.inf, "2% missing: the p99 is not met, whatever came"


def test_a_task_arriving_after_a_later_cases_task_is_out_of_order() -> None:
    in_order = ["BMS-261130-0001", "BMS-261130-0002", "BMS-261130-0003"]
    assert arrival_order(in_order) == OrderFigures(tasks=3, out_of_order=0)
    swapped = ["BMS-261130-0002", "BMS-261130-0001", "BMS-261130-0004", "BMS-261130-0003"]
    assert arrival_order(swapped) == OrderFigures(tasks=4, out_of_order=2)
