"""The dashboard's main panels drawn to a PNG from a real Prometheus (`bamsos demo --dashboard-png`).

Grafana is not on these machines; the same queries, plotted with matplotlib, show a reader of the
README what ops see. Times are on the office's clock (`BAMSOS_TIMEZONE`), like the dashboard's.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from services.generators.observability import PANELS, Panel
from shared.devtools.local_prometheus import api

MAIN_PANELS = (
    "Kepatuhan standar per langkah (1 jam)",
    "Durasi langkah p50 / p90 terhadap standar",
    "Langkah terbuka per langkah",
    "Umur langkah terbuka tertua",
    "Pelanggaran standar",
    "Permohonan per kanal",
)


def _legend(template: str, labels: dict[str, str]) -> str:
    for key, value in labels.items():
        template = template.replace("{{" + key + "}}", value)
    return template


def _series(
    url: str, panel: Panel, start: float, end: float, step: float, zone: ZoneInfo
) -> list[tuple[str, Any, Any]]:
    out = []
    for target in panel.targets:
        if target.legend.startswith("p50"):
            continue  # the picture keeps p90 and the standard; p50 crowds it
        data = api(url, "query_range", query=target.expr, start=str(start), end=str(end), step=str(step))
        for series in data["result"]:
            times = [datetime.fromtimestamp(float(t), zone) for t, _ in series["values"]]
            values = [float(v) for _, v in series["values"]]
            if any(values):  # a step that saw nothing would only crowd the legend
                out.append((_legend(target.legend, series["metric"]), times, values))
    return out


def render(url: str, start: float, end: float, out: Path, zone: ZoneInfo) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    panels = {p.title: p for p in PANELS}
    step = max(1.0, (end - start) / 200)
    figure, axes = plt.subplots(3, 2, figsize=(14, 11), constrained_layout=True)
    figure.suptitle("BAMSOS — SLA SOP (Prometheus, data demo)", fontsize=14, fontweight="bold")
    for ax, title in zip(axes.flat, MAIN_PANELS, strict=True):
        panel = panels[title]
        for legend, times, values in _series(url, panel, start, end, step, zone):
            style = "--" if legend.startswith("standar") else "-"
            ax.plot(times, values, style, label=legend, linewidth=1.4)
        for threshold in panel.thresholds:
            ax.axhline(threshold, color="red", linewidth=0.8, alpha=0.5)
        ax.set_title(title, fontsize=11)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S", tz=zone))  # type: ignore[no-untyped-call]
        if panel.unit == "percentunit":
            ax.set_ylim(0, 1.05)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncol=2, loc="best")
    figure.savefig(out, dpi=80)
    plt.close(figure)
