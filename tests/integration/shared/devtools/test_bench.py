"""`bamsos bench`, run tiny: it works end to end (one copy, then two of intake and the router) and
writes its results; its speed is not judged, but a missing reply or lost order would fail it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import servers as real

pytestmark = pytest.mark.e2e


def test_bench_measures_the_pipeline_and_both_references_and_writes_json(
    servers: real.Servers, tmp_path: Path
) -> None:
    out = tmp_path / "bench.json"
    env = dict(
        os.environ,
        BAMSOS_AMQP_URL=servers.amqp_url("/"),
        BAMSOS_DATABASE_URL=servers.database_url("postgres"),
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.cli",
            "bench",
            "--inquiries",
            "60",
            "--latency-inquiries",
            "30",
            "--scale-out",
            "--laporan-cases",
            "300",
            "--out",
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "ratio pipeline/bare" in result.stdout and "ratio pipeline/naive" in result.stdout
    results = json.loads(out.read_text())
    run, scaled = results["runs"]
    assert run["inquiries"] == 60 and run["latency_inquiries"] == 30 and run["latency_missing"] == 0
    assert (run["copies"], scaled["copies"]) == ({"router": 1}, {"intake": 2, "router": 2})
    assert run["admin_queue_order"]["tasks"] > 0 and run["admin_queue_order"]["out_of_order"] == 0
    assert scaled["services"]["router"]["processes"] == 2 and scaled["services"]["intake"]["processes"] == 2
    assert set(run["services"]) == {"intake", "router", "editor_bridge", "pickup_bridge", "reporter"}
    assert all(s["peak_rss_mb"] > 0 for s in run["services"].values())
    assert run["bare_chain_per_s"] > 0 and run["naive_chain_per_s"] > 0
    assert set(run["latency_ms"]) == {"p50", "p95", "p99"}
    laporan = {(r["cases"], r["format"]) for r in results["laporan"]}
    assert laporan == {(300, "pdf"), (300, "xlsx"), (300, "csv")}
