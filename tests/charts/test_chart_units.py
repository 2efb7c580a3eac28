"""Charts without W&B: series facts, downsampling, the drawer, the `chart:` spec."""

from __future__ import annotations

import math
import re
import sys

import pytest

from marpkit.charts.series import KEEP_ALL, HistoryBuilder, Series, describe
from marpkit.charts.spec import ChartSpec, parse_spec
from marpkit.charts.state import _drawn_head, drawn_head
from marpkit.charts.svg import Line, Style, draw, nice_ticks


def built(values, key="loss", start=0):
    history = HistoryBuilder()
    for step, value in enumerate(values, start=start):
        history.add(step, {"_step": step, key: value})
    return history.series()[key]


def test_a_known_series_is_described_with_the_facts_of_the_run():
    series = built([5, 1, 4, 2, 3])
    assert (series.count, series.first, series.last, series.low, series.high) == (5, 5, 3, 1, 5)
    assert describe(series) == "loss: 5 points, 5 → 3 (min 1, max 5)"
    assert describe(built([1.0, 0.55, 0.1])) == "loss: 3 points, 1 → 0.1 (min 0.1, max 1)"


def test_nan_and_inf_are_gaps_said_in_the_description_and_text_is_counted_apart():
    series = built([1.0, float("nan"), 3.0, float("inf"), 2.0])
    assert series.values == [1.0, None, 3.0, None, 2.0]
    assert (series.nonfinite, series.low, series.high, series.last) == (2, 1.0, 3.0, 2.0)
    assert describe(series).endswith("2 NaN/inf values shown as gaps")
    text = built(["a", "b", 1])
    assert (text.other, text.other_example, text.count) == (2, "str", 1)


def test_a_long_history_keeps_every_extreme_and_exact_facts():
    values = [math.sin(i / 700) for i in range(100_000)]
    values[31_337] = 50.0  # one spike among 100,000 points
    values[77_777] = -50.0
    series = built(values)
    assert series.count == 100_000 and (series.low, series.high) == (-50.0, 50.0)
    assert len(series.values) < 100_000 // 20 and len(series.values) > KEEP_ALL // 2
    kept = dict(zip(series.steps, series.values, strict=True))
    assert kept[31_337] == 50.0 and kept[77_777] == -50.0
    assert series.steps == sorted(series.steps) and series.steps[-1] == 99_999


def test_series_json_round_trip_and_damage_is_a_miss():
    series = built([5, None, 1])
    assert Series.from_json(series.to_json()) == series
    assert Series.from_json({"key": "x", "steps": [1, 2], "values": [1.0]}) is None
    assert Series.from_json({"steps": []}) is None


def _polyline_points(svg: str) -> list[list[tuple[float, float]]]:
    return [[tuple(map(float, p.split(","))) for p in m.group(1).split()]
            for m in re.finditer(r'<polyline points="([^"]+)"', svg)]


def test_the_drawing_is_byte_identical_and_its_points_are_the_data():
    line = Line("loss", [(float(i), v) for i, v in enumerate([5, 1, 4, 2, 3])])
    first = draw([line], "step", title="loss: 5 points")
    assert first == draw([Line("loss", list(line.points))], "step", title="loss: 5 points")
    (points,) = _polyline_points(first)
    assert len(points) == 5
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    assert xs == sorted(xs)
    # Screen y grows downwards: the ranks of -y are the ranks of the values.
    assert sorted(range(5), key=lambda i: -ys[i]) == sorted(range(5), key=lambda i: [5, 1, 4, 2, 3][i])
    # y is linear in the value: equal steps of data are equal steps on screen.
    assert ys[3] - ys[4] == pytest.approx(ys[1] - ys[3], abs=0.2)
    assert "<title>loss: 5 points</title>" in first


def test_a_gap_breaks_the_line_and_several_metrics_get_a_legend():
    svg = draw([Line("a", [(0, 1.0), (1, None), (2, 3.0), (3, 2.0)]),
                Line("b", [(0, 2.0), (1, 2.5)])], "epoch")
    assert len(_polyline_points(svg)) == 3
    assert ">a</text>" in svg and ">b</text>" in svg and ">epoch</text>" in svg
    colours = re.findall(r'<polyline[^>]*stroke="([^"]+)"', svg)
    assert colours[0] == colours[1] != colours[2]


def test_a_huge_line_is_thinned_for_drawing_but_keeps_its_extremes(monkeypatch):
    points = [(float(i), math.sin(i / 500)) for i in range(100_000)]
    points[50_000] = (50_000.0, 9.0)
    points[70_001] = (70_001.0, -4.0)
    (drawn,) = _polyline_points(draw([Line("x", points)], "step", Style()))
    monkeypatch.setattr("marpkit.charts.svg._thin", lambda points, x_of, columns: points)
    (full,) = _polyline_points(draw([Line("x", points)], "step", Style()))
    assert len(full) == 100_000 and len(drawn) < 6000
    assert (min(y for _, y in drawn), max(y for _, y in drawn)) == \
        (min(y for _, y in full), max(y for _, y in full))
    assert drawn[0] == full[0] and drawn[-1] == full[-1]


def test_ticks_are_round_and_cover_the_data():
    assert nice_ticks(0, 9) == [0, 2, 4, 6, 8, 10]
    assert nice_ticks(0.1, 1.0, 5) == [0, 0.25, 0.5, 0.75, 1.0]
    assert nice_ticks(3, 3)[0] < 3 < nice_ticks(3, 3)[-1]


def test_extreme_values_draw_without_overflow_or_nan():
    """A "best so far" that starts at the float maximum, and spans below any
    round step: ticks that bound the data, coordinates that are numbers."""
    top = sys.float_info.max
    for low, high in ((-top, top), (0.0, 5e-324), (1e16, 1e16 + 2)):
        ticks = nice_ticks(low, high)
        assert ticks[0] <= low and ticks[-1] >= high and len(set(ticks)) == len(ticks) > 1
        svg = draw([Line("best", [(0, low), (1, high)])], "step", Style())
        assert not re.search(r"\b(nan|inf)\b", svg, re.I), svg


def test_a_reference_with_double_dashes_reads_back_as_drawn(tmp_path):
    """An XML comment cannot hold "--": the head escapes it, and reads back whole
    (else the chart would be stale for ever)."""
    spec = ChartSpec("m/a.py", ("loss--ema", "a---b"))
    path = tmp_path / "c.svg"
    path.write_text(draw([Line("loss--ema", [(0, 1.0)])], "step", Style(), title="alt -- text",
                         head=drawn_head("d1", spec)))
    assert "--" not in path.read_text().split("-->")[0][4:]
    assert _drawn_head(path) == ("d1", spec.canonical(), "alt -- text")


@pytest.mark.parametrize("title, expected", [
    ("chart: m/a.py loss", ChartSpec("m/a.py", ("loss",))),
    ("chart: m/a.py train/loss, val/loss x=epoch run=2",
     ChartSpec("m/a.py", ("train/loss", "val/loss"), "epoch", "2")),
    ("chart: m/a.py 'my metric' run=baseline", ChartSpec("m/a.py", ("my metric",), run="baseline")),
])
def test_chart_specs(title, expected):
    assert parse_spec(title) == expected


@pytest.mark.parametrize("title, message", [
    ("chart:", "names no snippet"),
    ("chart: m/a.py", "names no metric"),
    ("chart: m/a.py#init loss", "drop #init"),
    ("chart: m/a.py loss colour=red", "unknown chart option colour="),
    ("chart: m/a.py loss run=0", "counts from 1"),
    ("chart: m/a.py 'loss", "cannot be read"),
])
def test_bad_chart_specs_say_what_is_wrong(title, message):
    found = parse_spec(title)
    assert isinstance(found, str) and message in found
