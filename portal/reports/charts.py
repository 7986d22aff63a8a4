"""Server-rendered SVG charts: the geometry is worked out here, templates/reports/_charts.html draws it.

No JavaScript and no style attributes (the CSP forbids them): colours come from classes in
static/css/app.css and SVG presentation attributes. A chart is a picture of its table, which is the
source of truth; the SVG says so in its <desc>.
"""

from dataclasses import dataclass, field
from math import ceil, log10

WIDTH = 640


@dataclass
class Chart:
    kind: str  # "bars" (horizontal, for categories), "columns" or "line" (for time)
    width: int
    height: int
    bars: list[dict] = field(default_factory=list)
    points: str = ""
    dots: list[dict] = field(default_factory=list)
    x_labels: list[dict] = field(default_factory=list)
    y_ticks: list[dict] = field(default_factory=list)
    plot: dict = field(default_factory=dict)


def nice_max(value: float) -> float:
    """A round number at or above value for the top of an axis."""
    if value <= 0:
        return 1
    magnitude = 10 ** int(log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover


def _num(v) -> float:
    return float(v) if v is not None else 0.0


def _text(v, suffix: str = "") -> str:
    if v is None:
        return "–"
    if isinstance(v, float) and not v.is_integer():
        return f"{v:,.1f}{suffix}"
    return f"{int(v):,}{suffix}"


def bars(labels: list[str], values: list, suffix: str = "", texts: list[str] | None = None) -> Chart:
    """Horizontal bars, one row per category, the value written at the end of each bar.
    Percentages are drawn against 100%, so a short bar always means a low share."""
    label_w, row_h, gap, right = 250, 26, 8, 70
    plot_w = WIDTH - label_w - right
    top = 100.0 if suffix == "%" else max((_num(v) for v in values), default=0)
    scale = plot_w / nice_max(top) if top else 0
    texts = texts or [_text(v, suffix) for v in values]
    chart = Chart("bars", WIDTH, max(len(labels), 1) * (row_h + gap) + gap)
    for i, (label, value, text) in enumerate(zip(labels, values, texts, strict=True)):
        y = gap + i * (row_h + gap)
        w = round(_num(value) * scale, 1)
        chart.bars.append({"x": label_w, "y": y, "w": w, "h": row_h, "label": label,
                           "label_x": label_w - 8, "text_y": y + row_h / 2 + 5,
                           "value_x": label_w + w + 6, "value": text})
    return chart


def _axis(chart: Chart, top: float, plot: dict, suffix: str) -> None:
    ceiling = nice_max(top)
    for i in range(6):  # five intervals: whole numbers for any ceiling of 10 or more
        v = ceiling * i / 5
        y = plot["y"] + plot["h"] - plot["h"] * i / 5
        chart.y_ticks.append({"y": round(y, 1), "text_y": round(y + 4, 1), "label": _text(v, suffix)})


def _x_label_every(n: int) -> int:
    return max(1, ceil(n / 8))


def columns(labels: list[str], values: list, suffix: str = "", texts: list[str] | None = None) -> Chart:
    """Vertical bars for a short time series (months)."""
    plot = {"x": 60, "y": 10, "w": WIDTH - 70, "h": 180}
    chart = Chart("columns", WIDTH, 230, plot=plot)
    top = max((_num(v) for v in values), default=0)
    _axis(chart, top, plot, suffix)
    n = max(len(values), 1)
    slot = plot["w"] / n
    every = _x_label_every(n)
    scale = plot["h"] / nice_max(top)
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = round(_num(value) * scale, 1)
        x = round(plot["x"] + i * slot + slot * 0.15, 1)
        chart.bars.append({"x": x, "y": round(plot["y"] + plot["h"] - h, 1), "w": round(slot * 0.7, 1), "h": h,
                           "label": label, "value": _text(value, suffix)})
        if i % every == 0:
            chart.x_labels.append({"x": round(x + slot * 0.35, 1), "label": label})
    return chart


def line(labels: list[str], values: list, suffix: str = "", texts: list[str] | None = None) -> Chart:
    """A line for a longer time series (weeks); gaps (None) are drawn as 0."""
    plot = {"x": 60, "y": 10, "w": WIDTH - 80, "h": 180}
    chart = Chart("line", WIDTH, 230, plot=plot)
    top = max((_num(v) for v in values), default=0)
    _axis(chart, top, plot, suffix)
    n = len(values)
    step = plot["w"] / (n - 1) if n > 1 else 0
    scale = plot["h"] / nice_max(top)
    every = _x_label_every(n)
    coords = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = round(plot["x"] + i * step, 1)
        y = round(plot["y"] + plot["h"] - _num(value) * scale, 1)
        coords.append(f"{x},{y}")
        chart.dots.append({"x": x, "y": y, "label": label, "value": _text(value, suffix)})
        if i % every == 0:
            chart.x_labels.append({"x": x, "label": label})
    chart.points = " ".join(coords)
    return chart
