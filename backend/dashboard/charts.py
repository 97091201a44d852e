"""Chart geometry for the dashboard's inline SVG: pure arithmetic, no database and no web framework.

Templates only place what is computed here (``x``, ``y``, ``width``, ``height``, labels), so the
numbers a chart draws are the numbers its data table lists, and both can be tested without a
browser. All charts use a fixed ``viewBox``; CSS scales them to the screen.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

# Colour-blind-safe palette (Okabe–Ito), one colour per series, in series order.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#999999")
TARGET_COLOUR = "#b42318"

Number = int | float | Decimal
Formatter = Callable[[float], str]


def plain(value: float) -> str:
    """A count as people write it: 1,234 (decimals only when there are any)."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def wan_yuan(value: float) -> str:
    """An amount in 元 as 万元, short enough for a chart label."""
    wan = value / 10_000
    return f"{wan:,.0f} 万元" if wan >= 100 or float(wan).is_integer() else f"{wan:,.1f} 万元"


def nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above ``value`` (1 when there is nothing to show)."""
    if not value or value <= 0 or not math.isfinite(value):
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude * (1 + 1e-9):
            return float(step * magnitude)
    return float(10 * magnitude)  # pragma: no cover - the loop always returns


@dataclass(frozen=True)
class Tick:
    position: float  # x for a horizontal chart's axis, y for a column chart's
    value: float
    label: str


def tick_count(maximum: float) -> int:
    """Intervals on an axis ending at a nice maximum, so every tick is round: 5 → 1s, 20 → 5s, 2.5 → 0.5s."""
    mantissa = maximum / 10 ** math.floor(math.log10(maximum))
    return 4 if math.isclose(mantissa, 2) else 5


def ticks(maximum: float, scale: Callable[[float], float], fmt: Formatter) -> list[Tick]:
    """Evenly spaced axis ticks from 0 to ``maximum`` (inclusive)."""
    count = tick_count(maximum)
    step = maximum / count
    return [Tick(round(scale(step * i), 2), step * i, fmt(step * i)) for i in range(count + 1)]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int
    value: float
    colour: str
    label: str  # the tooltip: series and value


@dataclass(frozen=True)
class Marker:
    """A target (or budget) line across one bar row."""

    x: float
    y1: float
    y2: float
    value: float
    label: str


@dataclass(frozen=True)
class BarRow:
    label: str
    y: float  # top of the row's bar
    height: float
    text_y: float  # baseline of the row's label and value text
    bars: tuple[Bar, ...]  # stacked left to right, one per series
    total: float
    value_label: str
    value_x: float
    marker: Marker | None


@dataclass(frozen=True)
class HorizontalBarChart:
    title: str
    description: str
    width: float
    height: float
    plot_left: float
    plot_width: float
    axis_y: float
    series: tuple[tuple[str, str], ...]  # (name, colour) for the legend
    rows: tuple[BarRow, ...]
    ticks: tuple[Tick, ...]
    maximum: float

    @property
    def empty(self) -> bool:
        return not self.rows


@dataclass(frozen=True)
class BarInput:
    label: str
    values: Sequence[Number]  # one per series (stacked)
    target: Number | None = None


def horizontal_bars(
    title: str,
    description: str,
    rows: Sequence[BarInput],
    series: Sequence[str],
    *,
    fmt: Formatter = plain,
    minimum: float = 0,
    target_label: str = "目标",
    width: float = 640,
    label_width: float = 96,
    value_width: float = 110,
    row_height: float = 24,
    bar_height: float = 16,
    top: float = 8,
) -> HorizontalBarChart:
    """One row per input, its series stacked; a marker where the row has a target.

    The scale runs from 0 to a round number at or above every total and target (and ``minimum``:
    5 keeps a chart of small counts on whole-number ticks), so a bar and its target marker are
    comparable across rows. An all-zero chart keeps zero-width bars.
    """
    plot_left = label_width
    plot_width = width - label_width - value_width
    largest = max(
        [sum(float(v) for v in r.values) for r in rows]
        + [float(r.target) for r in rows if r.target is not None],
        default=0.0,
    )
    maximum = nice_max(max(largest, minimum))

    def scale(value: float) -> float:
        return plot_left + plot_width * max(value, 0.0) / maximum

    built: list[BarRow] = []
    for index, row in enumerate(rows):
        y = top + index * row_height + (row_height - bar_height) / 2
        x = plot_left
        bars: list[Bar] = []
        for s, raw in enumerate(row.values):
            value = float(raw)
            bar_width = round(scale(value) - plot_left, 2)
            bars.append(
                Bar(
                    round(x, 2), round(y, 2), bar_width, bar_height, s, value,
                    PALETTE[s % len(PALETTE)], f"{row.label} {series[s]}：{fmt(value)}",
                )
            )  # fmt: skip
            x += bar_width
        total = float(sum(float(v) for v in row.values))
        marker = None
        if row.target is not None:
            target = float(row.target)
            marker = Marker(
                round(scale(target), 2), round(y - 3, 2), round(y + bar_height + 3, 2), target,
                f"{row.label} {target_label}：{fmt(target)}",
            )  # fmt: skip
        value_label = fmt(total) + (f" / {fmt(float(row.target))}" if row.target is not None else "")
        built.append(
            BarRow(
                row.label, round(y, 2), bar_height, round(y + bar_height - 3, 2), tuple(bars), total,
                value_label, round(plot_left + plot_width + 6, 2), marker,
            )
        )  # fmt: skip
    axis_y = top + len(rows) * row_height + 4
    return HorizontalBarChart(
        title=title, description=description, width=width, height=axis_y + 22, plot_left=plot_left,
        plot_width=plot_width, axis_y=axis_y,
        series=tuple((name, PALETTE[i % len(PALETTE)]) for i, name in enumerate(series)),
        rows=tuple(built), ticks=tuple(ticks(maximum, scale, fmt)), maximum=maximum,
    )  # fmt: skip


@dataclass(frozen=True)
class ColumnGroup:
    label: str
    x: float  # centre of the group: the category label sits here
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class ColumnChart:
    title: str
    description: str
    width: float
    height: float
    plot_left: float
    plot_width: float
    plot_top: float
    baseline: float  # y of the value 0
    label_y: float
    series: tuple[tuple[str, str], ...]
    groups: tuple[ColumnGroup, ...]
    ticks: tuple[Tick, ...]
    maximum: float

    @property
    def empty(self) -> bool:
        return not self.groups


def grouped_columns(
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[str],
    values: Sequence[Sequence[Number]],  # values[category][series]
    *,
    fmt: Formatter = plain,
    minimum: float = 0,
    width: float = 640,
    height: float = 240,
    left: float = 48,
    right: float = 8,
    top: float = 10,
    bottom: float = 26,
    gap: float = 0.25,  # share of each category's slot left empty between groups
    max_bar: float = 28,
) -> ColumnChart:
    """Columns grouped by category (e.g. years), one column per series, on a shared y scale."""
    plot_width = width - left - right
    plot_height = height - top - bottom
    baseline = top + plot_height
    maximum = nice_max(max([float(v) for row in values for v in row] + [minimum]))

    def scale(value: float) -> float:
        return baseline - plot_height * max(value, 0.0) / maximum

    slot = plot_width / max(len(categories), 1)
    bar_width = min(slot * (1 - gap) / max(len(series), 1), max_bar)
    group_width = bar_width * len(series)
    groups = []
    for c, category in enumerate(categories):
        start = left + c * slot + (slot - group_width) / 2
        bars = []
        for s, raw in enumerate(values[c]):
            value = float(raw)
            y = scale(value)
            bars.append(
                Bar(
                    round(start + s * bar_width, 2), round(y, 2), round(bar_width, 2), round(baseline - y, 2),
                    s, value, PALETTE[s % len(PALETTE)], f"{category} {series[s]}：{fmt(value)}",
                )
            )  # fmt: skip
        groups.append(ColumnGroup(category, round(left + c * slot + slot / 2, 2), tuple(bars)))
    return ColumnChart(
        title=title, description=description, width=width, height=height, plot_left=left,
        plot_width=plot_width, plot_top=top, baseline=baseline, label_y=baseline + 18,
        series=tuple((name, PALETTE[i % len(PALETTE)]) for i, name in enumerate(series)),
        groups=tuple(groups), ticks=tuple(ticks(maximum, scale, fmt)), maximum=maximum,
    )  # fmt: skip
