"""Chart geometry: bars proportional to their values, targets on the same scale, nothing breaks on zero;
and which year the dashboard opens on."""

from __future__ import annotations

from datetime import date

import pytest

from backend.dashboard import charts, service
from backend.dashboard.charts import BarInput


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 1),
        (-3, 1),
        (1, 1),
        (7, 10),
        (12, 20),
        (20, 20),
        (21, 25),
        (260, 500),
        (0.3, 0.5),
        (2_600_000, 5_000_000),
    ],
)
def test_the_scale_ends_on_a_round_number_at_or_above_the_largest_value(
    value: float, expected: float
) -> None:
    assert charts.nice_max(value) == pytest.approx(expected)


def test_bar_widths_are_proportional_to_values_and_share_one_scale() -> None:
    chart = charts.horizontal_bars(
        "t", "d", [BarInput("和平区", [10]), BarInput("静海区", [5]), BarInput("蓟州区", [0])], ["雏鹰企业"], width=500,
        label_width=100, value_width=100,
    )  # fmt: skip
    widths = [row.bars[0].width for row in chart.rows]
    assert chart.plot_width == 300
    assert chart.maximum == 10
    assert widths == [300, 150, 0]
    assert all(row.bars[0].x == chart.plot_left for row in chart.rows)
    # Rows do not overlap and stay inside the drawing.
    tops = [row.y for row in chart.rows]
    assert tops == sorted(tops)
    assert all(b.y + b.height < t for b, t in zip([r.bars[0] for r in chart.rows], tops[1:], strict=False))
    assert chart.rows[-1].y + chart.rows[-1].height < chart.axis_y < chart.height
    assert [row.value_label for row in chart.rows] == ["10", "5", "0"]


def test_stacked_segments_follow_each_other_and_add_up_to_the_total() -> None:
    chart = charts.horizontal_bars("t", "d", [BarInput("静海区", [3, 1, 0, 1])], ["a", "b", "c", "d"], width=500,
                                   label_width=100, value_width=100)  # fmt: skip
    bars = chart.rows[0].bars
    assert [b.x for b in bars] == [100, 280, 340, 340]
    assert [b.width for b in bars] == [180, 60, 0, 60]
    assert chart.rows[0].total == 5
    assert len({b.colour for b in bars}) == 4
    assert bars[1].label == "静海区 b：1"


def test_the_target_marker_sits_where_its_value_falls_on_the_bar_scale() -> None:
    chart = charts.horizontal_bars(
        "t", "d", [BarInput("静海区", [2], 5), BarInput("和平区", [12], 8), BarInput("河西区", [1])], ["瞪羚企业"],
        width=500, label_width=100, value_width=100,
    )  # fmt: skip
    jinghai, heping, hexi = chart.rows
    assert chart.maximum == 20  # the largest of bars and targets, rounded up
    assert jinghai.marker is not None
    assert heping.marker is not None
    assert jinghai.marker.x == 100 + 300 * 5 / 20
    assert heping.marker.x == 100 + 300 * 8 / 20
    assert heping.bars[0].width == 300 * 12 / 20  # past its target: the bar runs beyond the marker
    assert jinghai.marker.y1 < jinghai.y
    assert jinghai.marker.y2 > jinghai.y + jinghai.height
    assert hexi.marker is None
    assert jinghai.value_label == "2 / 5"
    assert jinghai.marker.label == "静海区 目标：5"


def test_a_chart_of_zeros_or_of_nothing_draws_without_dividing_by_zero() -> None:
    zeros = charts.horizontal_bars("t", "d", [BarInput("静海区", [0, 0], 0)], ["a", "b"])
    assert zeros.maximum == 1
    assert [b.width for b in zeros.rows[0].bars] == [0, 0]
    assert zeros.rows[0].marker is not None
    assert zeros.rows[0].marker.x == zeros.plot_left
    empty = charts.horizontal_bars("t", "d", [], ["a"])
    assert empty.empty
    assert empty.rows == ()
    assert [t.label for t in empty.ticks] == ["0", "0.2", "0.4", "0.6", "0.8", "1"]  # never NaN
    columns = charts.grouped_columns("t", "d", [], ["a"], [])
    assert columns.empty
    flat = charts.grouped_columns("t", "d", ["2025"], ["a", "b"], [[0, 0]])
    assert [b.height for b in flat.groups[0].bars] == [0, 0]
    assert all(b.y == flat.baseline for b in flat.groups[0].bars)


def test_grouped_columns_rise_from_the_baseline_in_proportion() -> None:
    chart = charts.grouped_columns(
        "t", "d", ["2024", "2025"], ["雏鹰", "瞪羚"], [[10, 4], [20, 0]], width=400, height=200, left=40, right=0,
        top=0, bottom=20,
    )  # fmt: skip
    assert chart.maximum == 20
    assert chart.baseline == 180
    first, second = chart.groups
    assert [b.height for b in first.bars] == [90, 36]
    assert [b.height for b in second.bars] == [180, 0]
    assert all(b.y + b.height == pytest.approx(chart.baseline) for g in chart.groups for b in g.bars)
    # Each year's columns sit side by side inside its own slot, centred under its label.
    assert first.bars[0].x + first.bars[0].width == pytest.approx(first.bars[1].x)
    assert first.bars[1].x + first.bars[1].width < second.bars[0].x
    assert first.bars[0].x < first.x < first.bars[1].x + first.bars[1].width
    assert [t.position for t in chart.ticks] == [180, 135, 90, 45, 0]


@pytest.mark.parametrize(
    ("largest", "labels"),
    [(0, ["0", "1", "2", "3", "4", "5"]), (3, ["0", "1", "2", "3", "4", "5"]), (7, ["0", "2", "4", "6", "8", "10"]),
     (18, ["0", "5", "10", "15", "20"]), (23, ["0", "5", "10", "15", "20", "25"])],
)  # fmt: skip
def test_counts_get_whole_number_ticks(largest: int, labels: list[str]) -> None:
    chart = charts.horizontal_bars("t", "d", [BarInput("静海区", [largest])], ["a"], minimum=5)
    assert [t.label for t in chart.ticks] == labels
    assert chart.ticks[-1].position == chart.plot_left + chart.plot_width


def test_amounts_are_labelled_in_wan_yuan() -> None:
    assert charts.wan_yuan(3_000_000) == "300 万元"
    assert charts.wan_yuan(125_000) == "12.5 万元"
    assert charts.wan_yuan(0) == "0 万元"
    chart = charts.horizontal_bars(
        "t", "d", [BarInput("瞪羚", [500_000], 1_000_000)], ["已批准"], fmt=charts.wan_yuan
    )
    assert chart.rows[0].value_label == "50 万元 / 100 万元"


def test_the_dashboard_opens_on_the_latest_year_with_targets_counted_at_its_end() -> None:
    today = date(2026, 12, 3)
    assert service.default_year([2022, 2025, 2026, 2027], today) == 2026  # a plan for next year waits
    assert service.default_year([2022, 2025], today) == 2025
    assert service.default_year([], today) == 2026
    assert service.as_of_day(2025, today) == date(2025, 12, 31)
    assert service.as_of_day(2026, today) == today
    assert service.as_of_day(2027, today) == today
