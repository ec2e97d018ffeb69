"""`bamsos bench`, run tiny: it works end to end and writes its results; its numbers are not judged."""

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
            "shared.cli",
            "bench",
            "--inquiries",
            "60",
            "--latency-inquiries",
            "30",
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
    [run] = results["runs"]
    assert run["inquiries"] == 60 and run["latency_inquiries"] == 30
    assert set(run["services"]) == {"intake", "router", "editor_bridge", "pickup_bridge", "reporter"}
    assert all(s["peak_rss_mb"] > 0 for s in run["services"].values())
    assert run["bare_chain_per_s"] > 0 and run["naive_chain_per_s"] > 0
    assert set(run["latency_ms"]) == {"p50", "p95", "p99"}
    laporan = {(r["cases"], r["format"]) for r in results["laporan"]}
    assert laporan == {(300, "pdf"), (300, "xlsx"), (300, "csv")}
