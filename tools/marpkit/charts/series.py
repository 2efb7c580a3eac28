"""A run's logged metrics as series: what check keeps of a history, and what a chart reads.

`check` reads every history row a run wrote (check/run_files.py) and keeps,
per metric, the exact facts a reader may check against the run (how many
points, first, last, min, max, how many were NaN/inf or not numbers) plus the
points to draw. A long history keeps, in each of `BUCKETS` runs of rows, the
first, last, lowest and highest row of every metric: a curve drawn from them
shows every peak and dip the full history has, and the cache entry stays
small whether the run logged 100 or 100,000 rows.

This module imports nothing of check, wandb or a plotting library: sync and
lint read series from the cache through it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

# Rows kept as they are below this count; above it, downsampled to about
# 4 × BUCKETS rows per metric.
KEEP_ALL = 2000
BUCKETS = 500
STEP = "step"  # the x axis every history has


def _number(value) -> float | None | str:
    """A float for a number, None for a NaN/inf, "other" for anything else."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity", "nan", "inf",
                                            "-inf"):
        return None  # how JSON writers spell a non-finite float
    return "other"


@dataclass
class Series:
    """One metric of one run. `steps[i]` is the row `values[i]` was logged at; a
    None value is a NaN/inf (a gap when drawn)."""

    key: str
    steps: list[int] = field(default_factory=list)
    values: list[float | None] = field(default_factory=list)
    count: int = 0  # rows with a number (finite or not) for this metric
    nonfinite: int = 0
    other: int = 0  # rows whose value is not a number (text, media, a dict)
    other_example: str = ""  # the first such value's type, for the finding
    first: float | None = None  # over the finite values
    last: float | None = None
    low: float | None = None
    high: float | None = None

    def to_json(self) -> dict:
        return {"key": self.key, "steps": self.steps, "values": self.values,
                "count": self.count, "nonfinite": self.nonfinite, "other": self.other,
                "other_example": self.other_example, "first": self.first, "last": self.last,
                "min": self.low, "max": self.high}

    @classmethod
    def from_json(cls, data: dict) -> Series | None:
        """None for a damaged entry: a chart then says the data is missing."""
        try:
            steps = [int(s) for s in data["steps"]]
            values = [None if v is None else float(v) for v in data["values"]]
            if len(steps) != len(values):
                return None
            optional = {name: (None if data.get(name) is None else float(data[name]))
                        for name in ("first", "last", "min", "max")}
            return cls(str(data["key"]), steps, values, int(data.get("count", 0)),
                       int(data.get("nonfinite", 0)), int(data.get("other", 0)),
                       str(data.get("other_example", "")), optional["first"],
                       optional["last"], optional["min"], optional["max"])
        except (KeyError, TypeError, ValueError):
            return None

    def at_steps(self) -> dict[int, float | None]:
        return dict(zip(self.steps, self.values, strict=True))


class HistoryBuilder:
    """Fed each history row in order; `series()` gives every metric's Series."""

    def __init__(self) -> None:
        self._rows: list[int] = []  # step of each row
        self._columns: dict[str, list[tuple[int, float | None]]] = {}  # key -> (row, value)
        self._series: dict[str, Series] = {}

    def add(self, step: int, item: dict) -> None:
        row = len(self._rows)
        self._rows.append(step)
        for key, value in item.items():
            if key.startswith("_") or value is None:
                continue
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = Series(key)
                self._columns[key] = []
            number = _number(value)
            if number == "other":
                series.other += 1
                if not series.other_example:
                    series.other_example = _kind(value)
                continue
            series.count += 1
            if number is None:
                series.nonfinite += 1
            else:
                series.first = number if series.first is None else series.first
                series.last = number
                series.low = number if series.low is None else min(series.low, number)
                series.high = number if series.high is None else max(series.high, number)
            self._columns[key].append((row, number))

    def series(self) -> dict[str, Series]:
        kept = self._kept_rows()
        for key, column in self._columns.items():
            series = self._series[key]
            points = column if kept is None else [p for p in column if p[0] in kept]
            series.steps = [self._rows[row] for row, _ in points]
            series.values = [value for _, value in points]
        return self._series

    def _kept_rows(self) -> set[int] | None:
        """Rows kept for drawing: all of a short history; of a long one, in each
        bucket of rows, each metric's first, last, lowest, highest and any gap,
        for every metric (so an x metric still pairs with the y it is drawn by)."""
        total = len(self._rows)
        if total <= KEEP_ALL:
            return None
        size = math.ceil(total / BUCKETS)
        kept: set[int] = set()
        for column in self._columns.values():
            buckets: dict[int, list[tuple[int, float | None]]] = {}
            for point in column:
                buckets.setdefault(point[0] // size, []).append(point)
            for points in buckets.values():
                kept.add(points[0][0])
                kept.add(points[-1][0])
                finite = [p for p in points if p[1] is not None]
                if finite:
                    kept.add(min(finite, key=lambda p: p[1])[0])
                    kept.add(max(finite, key=lambda p: p[1])[0])
                gap = next((p for p in points if p[1] is None), None)
                if gap is not None:
                    kept.add(gap[0])
        return kept


def _kind(value) -> str:
    if isinstance(value, dict):
        return str(value.get("_type", "dict"))
    return type(value).__name__


def number_text(value: float) -> str:
    """A value as the alt text and the axes show it: 4 significant digits."""
    if value == 0:
        return "0"
    if float(value).is_integer() and abs(value) < 1e7:
        return str(int(value))
    text = f"{value:.4g}"
    return text.replace("e+0", "e").replace("e-0", "e-").replace("e+", "e")


def describe(series: Series) -> str:
    """`train/loss: 10 points, 1 → 0.1 (min 0.1, max 1)`: the facts of a series
    a reader can check against the run, for a chart's alt text."""
    points = "point" if series.count == 1 else "points"
    text = f"{series.key}: {series.count} {points}"
    if series.first is not None:
        text += (f", {number_text(series.first)} → {number_text(series.last)} "
                 f"(min {number_text(series.low)}, max {number_text(series.high)})")
    if series.nonfinite:
        gaps = "value" if series.nonfinite == 1 else "values"
        text += f", {series.nonfinite} NaN/inf {gaps} shown as gaps"
    return text
