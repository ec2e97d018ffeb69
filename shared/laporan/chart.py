"""The PDF's daily chart: inquiries received per day (bars) over the share of steps within standard
(a line), one above the other on the same days, drawn with reportlab's own charts."""

from __future__ import annotations

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors

from shared.laporan.figures import Day

BAR = colors.HexColor("#2f5d8a")
LINE = colors.HexColor("#b8860b")
_LEFT = 38  # room for the value axis labels
_LABEL_SIZE = 6.5


def _day_labels(days: tuple[Day, ...]) -> list[str]:
    """Day of the month under each bar; on long periods only every n-th, so the labels stay legible."""
    every = max(1, -(-len(days) // 31))
    return [str(d.day.day) if n % every == 0 else "" for n, d in enumerate(days)]


def _nice_top(peak: int) -> int:
    """A round top for the count axis: 10, 20, 50, 100, 200, 500, ..."""
    top = 10
    while top < peak:
        top = top * 5 // 2 if str(top).startswith("2") else top * 2
    return top


def daily_chart(days: tuple[Day, ...], width: float, height: float = 200) -> Drawing:
    drawing = Drawing(width, height)
    plot_width = width - _LEFT - 10
    half = (height - 40) / 2
    labels = _day_labels(days)

    bars = VerticalBarChart()
    bars.x, bars.y, bars.width, bars.height = _LEFT, half + 34, plot_width, half - 14
    bars.data = [[d.received for d in days]]
    bars.bars[0].fillColor = BAR
    bars.bars.strokeColor = None
    bars.categoryAxis.categoryNames = labels
    bars.categoryAxis.labels.fontSize = _LABEL_SIZE
    bars.valueAxis.valueMin = 0
    bars.valueAxis.valueMax = _nice_top(max((d.received for d in days), default=0))
    bars.valueAxis.valueStep = bars.valueAxis.valueMax / 5
    bars.valueAxis.labels.fontSize = _LABEL_SIZE
    bars.valueAxis.labelTextFormat = lambda v: f"{v:,.0f}".replace(",", ".")
    bars.valueAxis.visibleGrid = True
    bars.valueAxis.gridStrokeColor = colors.lightgrey

    line = HorizontalLineChart()
    line.x, line.y, line.width, line.height = _LEFT, 14, plot_width, half - 14
    # A day without finished steps has no share: a gap in the line, not a fall to zero.
    line.data = [[None if d.share_within is None else d.share_within * 100 for d in days]]
    line.lines[0].strokeColor = LINE
    line.lines[0].strokeWidth = 1.5
    line.categoryAxis.categoryNames = labels
    line.categoryAxis.labels.fontSize = _LABEL_SIZE
    line.valueAxis.valueMin = 0
    line.valueAxis.valueMax = 100
    line.valueAxis.valueStep = 20
    line.valueAxis.labels.fontSize = _LABEL_SIZE
    line.valueAxis.labelTextFormat = "%d%%"
    line.valueAxis.visibleGrid = True
    line.valueAxis.gridStrokeColor = colors.lightgrey

    drawing.add(bars)
    drawing.add(line)
    drawing.add(
        String(_LEFT, height - 8, "Permohonan diterima per hari", fontName="Helvetica-Bold", fontSize=8)
    )
    drawing.add(
        String(
            _LEFT,
            half + 8,
            "Langkah selesai dalam waktu baku per hari (%)",
            fontName="Helvetica-Bold",
            fontSize=8,
        )
    )
    return drawing
