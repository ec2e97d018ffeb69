"""The reporter's laporan metrics, the laporan and the control card give the same numbers for today."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from shared.laporan import Office, Period, write_laporan
from shared.laporan.metrics import LaporanCollector
from shared.runtime.settings import Settings
from shared.runtime.storage import make_engine
from shared.sop.clock import SopClock
from shared.sop.rules import STANDARD_MINUTES
from tests.unit.shared.laporan.feed import WIB, card_figures, fed_database

pytestmark = pytest.mark.integration

# 21:00 WIB on 3 November: "today" is the feed's second day, with cases c and d.
NOW = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)
TODAY = Period.day(date(2026, 11, 3), WIB)


def scrape(registry: CollectorRegistry) -> dict[tuple[str, str], float]:
    """What Prometheus would read from /metrics: (sample name, step label) -> value."""
    families = text_string_to_metric_families(generate_latest(registry).decode())
    return {(s.name, s.labels.get("step", "")): s.value for f in families for s in f.samples}


def test_the_laporan_prometheus_and_the_control_card_agree_on_today(
    database_url: str, tmp_path: Path
) -> None:
    engine = fed_database(database_url)
    registry = CollectorRegistry()
    registry.register(LaporanCollector(engine, SopClock(now=lambda: NOW)))
    metrics = scrape(registry)
    card = card_figures(engine, TODAY)
    out = tmp_path / "hari-ini.xlsx"
    write_laporan(engine, TODAY, "xlsx", out, office=Office.from_settings(Settings()), now=NOW)
    summary = {
        row[0]: row[1] for row in openpyxl.load_workbook(out)["Ringkasan"].iter_rows(values_only=True) if row
    }
    engine.dispose()

    assert (card.received, card.answered, card.open) == (2, 1, 1)
    assert (
        metrics[("bamsos_laporan_inquiries_received", "")] == summary["Permohonan diterima"] == card.received
    )
    assert (
        metrics[("bamsos_laporan_inquiries_answered", "")] == summary["Permohonan dijawab"] == card.answered
    )
    assert metrics[("bamsos_laporan_inquiries_open", "")] == summary["Permohonan masih terbuka"] == card.open
    for step in STANDARD_MINUTES:
        expected = card.steps.get(step)
        closed = metrics[("bamsos_laporan_steps_closed", str(step))]
        within = metrics[("bamsos_laporan_steps_within_standard", str(step))]
        assert (closed, within) == ((expected.closed, expected.within) if expected else (0, 0)), (
            f"step {step}"
        )
    assert summary["Langkah selesai"] == sum(s.closed for s in card.steps.values()) == 6
    assert summary["Langkah selesai dalam waktu baku"] == sum(s.within for s in card.steps.values()) == 5


def test_a_quiet_day_shows_every_step_at_zero(database_url: str) -> None:
    registry = CollectorRegistry()
    registry.register(LaporanCollector(make_engine(database_url), SopClock(now=lambda: NOW)))
    metrics = scrape(registry)
    assert metrics[("bamsos_laporan_inquiries_received", "")] == 0
    assert {step for name, step in metrics if name == "bamsos_laporan_steps_closed"} == {
        str(s) for s in STANDARD_MINUTES
    }
