"""Line charts as SVG text: the one drawer for slides and the check report.

Why not matplotlib or Vega-Lite: a chart is a few polylines, ticks and a
legend, and what matters is that the file is byte-identical for the same
data on any machine and any library version (a chart in git must not change
because a plotting library did), that drawing costs no import (sync and
`check --report` stay within a few per cent of their plain runs: importing
matplotlib alone takes ~0.5 s, longer than a cached check), and that text
stays text in the deck theme's font. Every coordinate is rounded to one
decimal and every number is formatted here, so the output depends on the
data and the style alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape

from marpkit.charts.series import number_text

# Okabe & Ito's palette: told apart by readers with any colour vision; the
# theme's accent goes first when it has one.
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#f0e442")
CHAR_WIDTH = 0.58  # of the font size: a text's width, estimated for layout


@dataclass(frozen=True)
class Style:
    width: int = 1120  # viewBox units; the image's natural size in CSS px
    height: int = 520
    font_size: int = 22
    font_family: str = "sans-serif"
    foreground: str = "#1f2328"
    background: str = "#ffffff"
    grid: str = "#d0d7de"
    palette: tuple[str, ...] = PALETTE
    markers: int = 40  # draw a dot at every point up to this many points per line


@dataclass
class Line:
    label: str
    points: list[tuple[float, float | None]] = field(default_factory=list)  # (x, y or gap)


def nice_ticks(low: float, high: float, most: int = 6) -> list[float]:
    """Round tick values covering [low, high]: steps of 1, 2, 2.5 or 5 × 10^k."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0]
    if high == low:
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    # In halves: the span of two values near the float maximum would overflow.
    raw = (high / 2 - low / 2) / max(most - 1, 1) * 2
    if not (math.isfinite(raw) and raw > 0):
        return [low, high]
    power = 10.0 ** math.floor(math.log10(raw))
    step = next((m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw), math.inf)
    if not (math.isfinite(step) and step > 0) or not math.isfinite(high + step):
        return [low, high]  # a span too small or too large for round steps
    start = math.floor(low / step + 1e-9) * step
    ticks: list[float] = []
    value = start
    # Bounded: where a step is below the values' precision, `value` barely moves.
    while value < high + step * 0.999 and len(ticks) <= most * 4:
        ticks.append(round(value, 12) + 0.0)
        value = start + step * len(ticks)
    ticks = list(dict.fromkeys(ticks))  # steps below the values' precision repeat one
    return ticks if len(ticks) > 1 else [low, high]


def _share(value: float, low: float, high: float) -> float:
    """Where `value` lies from `low` (0) to `high` (1). In halves: the spans of
    values near the float maximum would overflow to inf, and inf/inf is NaN."""
    return (value / 2 - low / 2) / ((high / 2 - low / 2) or 1)


def _fmt(value: float) -> str:
    return f"{round(value, 1):g}"


def _text_width(text: str, size: float) -> float:
    return len(text) * size * CHAR_WIDTH


def _thin(points: list[tuple[float, float]], x_of, columns: int) -> list[tuple[float, float]]:
    """At most ~4 points per pixel column (first, lowest, highest, last, in order):
    the drawn curve keeps every extreme of the data it stands for."""
    if len(points) <= columns * 4:
        return points
    out: list[tuple[float, float]] = []
    bucket: list[tuple[float, float]] = []
    column = None
    for point in points + [(math.nan, 0.0)]:
        here = None if math.isnan(point[0]) else int(x_of(point[0]))
        if bucket and here != column:
            keep = {0, len(bucket) - 1,
                    min(range(len(bucket)), key=lambda i: bucket[i][1]),
                    max(range(len(bucket)), key=lambda i: bucket[i][1])}
            out.extend(bucket[i] for i in sorted(keep))
            bucket = []
        column = here
        bucket.append(point)
    return out


def draw(lines: list[Line], x_label: str, style: Style = Style(), title: str = "",
         head: str = "") -> str:
    """The SVG document: `title` becomes its accessible name (the alt text),
    `head` a comment before the root element (what sync reads back)."""
    size = style.font_size
    xs = [x for line in lines for x, y in line.points if y is not None]
    ys = [y for line in lines for _, y in line.points if y is not None]
    x_ticks = nice_ticks(min(xs, default=0.0), max(xs, default=1.0))
    y_ticks = nice_ticks(min(ys, default=0.0), max(ys, default=1.0), 5)
    y_labels = [number_text(t) for t in y_ticks]
    # The legend, in rows that fit the width.
    legend: list[list[tuple[int, str, float]]] = [[]]
    used = 0.0
    for index, line in enumerate(lines):
        width = 34 + _text_width(line.label, size) + 28
        if legend[-1] and used + width > style.width - 24:
            legend.append([])
            used = 0.0
        legend[-1].append((index, line.label, used))
        used += width
    top = 16 + len(legend) * size * 1.5 + 8
    left = 20 + max(_text_width(label, size) for label in y_labels) + 12
    right = style.width - 24 - _text_width(number_text(x_ticks[-1]), size) / 2
    bottom = style.height - 16 - size * 2.6
    x_lo, x_hi = x_ticks[0], x_ticks[-1]
    y_lo, y_hi = y_ticks[0], y_ticks[-1]

    def x_of(x: float) -> float:
        return left + _share(x, x_lo, x_hi) * (right - left)

    def y_of(y: float) -> float:
        return bottom - _share(y, y_lo, y_hi) * (bottom - top)

    font = escape(style.font_family, quote=True)
    out = []
    if head:
        out.append(f"<!-- {head.replace('--', '- -')} -->")
    label = escape(title, quote=True)
    out.append(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {style.width} '
               f'{style.height}" width="{style.width}" height="{style.height}" role="img" '
               f'aria-label="{label}" font-family="{font}" font-size="{size}" '
               f'fill="{style.foreground}">')
    if title:
        out.append(f"<title>{escape(title)}</title>")
    out.append(f'<rect width="{style.width}" height="{style.height}" '
               f'fill="{style.background}"/>')
    for tick, text in zip(y_ticks, y_labels, strict=True):
        y = _fmt(y_of(tick))
        out.append(f'<line x1="{_fmt(left)}" x2="{_fmt(right)}" y1="{y}" y2="{y}" '
                   f'stroke="{style.grid}" stroke-width="1"/>')
        out.append(f'<text x="{_fmt(left - 12)}" y="{y}" text-anchor="end" '
                   f'dominant-baseline="middle">{escape(text)}</text>')
    for tick in x_ticks:
        x = _fmt(x_of(tick))
        out.append(f'<line x1="{x}" x2="{x}" y1="{_fmt(bottom)}" y2="{_fmt(bottom + 8)}" '
                   f'stroke="{style.foreground}" stroke-width="1.5"/>')
        out.append(f'<text x="{x}" y="{_fmt(bottom + 8 + size)}" '
                   f'text-anchor="middle">{escape(number_text(tick))}</text>')
    out.append(f'<line x1="{_fmt(left)}" x2="{_fmt(right)}" y1="{_fmt(bottom)}" '
               f'y2="{_fmt(bottom)}" stroke="{style.foreground}" stroke-width="1.5"/>')
    out.append(f'<text x="{_fmt((left + right) / 2)}" y="{_fmt(style.height - 12)}" '
               f'text-anchor="middle">{escape(x_label)}</text>')
    for index, line in enumerate(lines):
        colour = style.palette[index % len(style.palette)]
        out.extend(_series(line, colour, x_of, y_of, int(right - left), style))
    for row_number, row in enumerate(legend):
        y = 16 + row_number * size * 1.5 + size * 0.75
        for index, text, x in row:
            colour = style.palette[index % len(style.palette)]
            x0 = left + x
            out.append(f'<line x1="{_fmt(x0)}" x2="{_fmt(x0 + 26)}" y1="{_fmt(y)}" '
                       f'y2="{_fmt(y)}" stroke="{colour}" stroke-width="4"/>')
            out.append(f'<text x="{_fmt(x0 + 34)}" y="{_fmt(y)}" '
                       f'dominant-baseline="middle">{escape(text)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _series(line: Line, colour: str, x_of, y_of, columns: int, style: Style) -> list[str]:
    """A polyline per run of finite points (a NaN/inf breaks the line), and dots
    when there are few points (one point alone is otherwise invisible)."""
    segments: list[list[tuple[float, float]]] = [[]]
    for x, y in line.points:
        if y is None:
            if segments[-1]:
                segments.append([])
        else:
            segments[-1].append((x, y))
    out = []
    drawn = 0
    for segment in segments:
        if not segment:
            continue
        segment = _thin(segment, x_of, columns)
        drawn += len(segment)
        coords = " ".join(f"{_fmt(x_of(x))},{_fmt(y_of(y))}" for x, y in segment)
        out.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" '
                   f'stroke-width="3.5" stroke-linejoin="round" stroke-linecap="round"/>')
    if drawn <= style.markers:
        for segment in segments:
            for x, y in segment:
                out.append(f'<circle cx="{_fmt(x_of(x))}" cy="{_fmt(y_of(y))}" r="5" '
                           f'fill="{colour}"/>')
    return out
