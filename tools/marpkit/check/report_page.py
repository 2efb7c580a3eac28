"""`marpkit check --report DIR`: one self-contained HTML page of a check.

Per snippet, failures first: its status and findings, the slides that show
it, its code with the shown lines marked and the lines that never ran
highlighted (check's line coverage), its console output, and per W&B run its
config, summary and a small chart of every metric it logged (drawn by the
same drawer as slide charts, inlined as data: images so the page works from
disk and as a CI artifact).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path

from marpkit.charts.series import Series, describe
from marpkit.charts.svg import Line, Style, draw
from marpkit.check.report import SnippetResult, totals
from marpkit.findings import Finding
from marpkit.fsutil import atomic_write
from marpkit.pages import render_page
from marpkit.text import split_lines

ORDER = {"failed": 0, "skipped": 1, "passed": 2, "cached": 3}
SMALL = Style(width=420, height=210, font_size=14, markers=24)
CHARTS_PER_RUN = 24  # a run logging hundreds of keys gets the first ones and a count
OUTPUT_LIMIT = 20_000  # characters of console output shown
VALUE_LIMIT = 120


@dataclass(frozen=True)
class CodeLine:
    number: int
    text: str
    shown: bool  # a slide shows it
    never_ran: bool  # a statement line coverage saw never run


@dataclass(frozen=True)
class Chart:
    alt: str
    src: str  # data: URI of the SVG


@dataclass
class RunView:
    label: str
    config: list[tuple[str, str]] = field(default_factory=list)
    summary: list[tuple[str, str]] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    more: int = 0  # metrics not charted


@dataclass
class SnippetView:
    rel: str
    kind: str
    status: str
    duration: str
    skip_reason: str | None
    slides: list[str]
    findings: list[Finding]
    code: list[CodeLine]
    coverage: str | None  # "7 of 9 shown lines ran", or None when not measured
    output: str
    errors: str
    runs: list[RunView]


def _value(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= VALUE_LIMIT else text[:VALUE_LIMIT - 1] + "…"


def _chart(series: Series) -> Chart:
    alt = describe(series)
    svg = draw([Line(series.key, list(zip(map(float, series.steps), series.values,
                                          strict=True)))], "step", SMALL, title=alt)
    return Chart(alt, "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode())


def _run_view(run, index: int, count: int) -> RunView:
    label = run.name or run.run_id or f"run {index}"
    view = RunView(f"{label} ({run.run_id})" if count > 1 or run.name else label)
    view.config = [(k, _value(v)) for k, v in sorted(run.config.items())]
    view.summary = [(k, _value(v)) for k, v in sorted(run.summary.items())]
    charted = 0
    for key in sorted(run.history):
        series = Series.from_json(run.history[key])
        if series is None or not series.count:
            continue
        if charted == CHARTS_PER_RUN:
            view.more += 1
            continue
        view.charts.append(_chart(series))
        charted += 1
    return view


def _code(result: SnippetResult) -> tuple[list[CodeLine], str | None]:
    task = result.task
    shown = {n for s in task.shown for n in s.res.line_numbers}
    measured = result.execution.lines if result.execution else None
    never: set[int] = set()
    coverage = None
    if measured:
        statements = set(measured.get("statements", []))
        never = statements - set(measured.get("executed", []))
        shown_statements = statements & shown
        if shown_statements:
            coverage = (f"{len(shown_statements - never)} of {len(shown_statements)} shown "
                        "statements ran")
    lines = [CodeLine(number, text, number in shown, number in never)
             for number, text in enumerate(split_lines(task.text), start=1)]
    return lines, coverage


def snippet_view(result: SnippetResult) -> SnippetView:
    task, execution = result.task, result.execution
    slides = []
    for shown in task.shown:
        slide = shown.deck.slides[shown.res.block.slide - 1]
        title = f' "{slide.title}"' if slide.title else ""
        slides.append(f"{shown.deck.display_path}:{shown.res.block.line} (slide {slide.index}"
                      f"{title})")
    code, coverage = _code(result)
    runs = list(execution.runs) if execution else []
    output = execution.stdout if execution else ""
    if len(output) > OUTPUT_LIMIT:
        output = output[:OUTPUT_LIMIT] + f"\n… ({len(output) - OUTPUT_LIMIT} more characters)"
    errors = execution.stderr_tail if execution and result.status == "failed" else ""
    return SnippetView(task.rel, task.kind, result.status, f"{result.duration_s:.2f} s",
                       result.skip_reason, slides, result.findings, code, coverage, output,
                       errors, [_run_view(run, i, len(runs)) for i, run in
                                enumerate(runs, start=1)])


def html(results: list[SnippetResult], extra: list[Finding], elapsed: float) -> str:
    ordered = sorted(results, key=lambda r: (ORDER.get(r.status, 9), r.task.rel))
    return render_page("check-report.html.j2", snippets=[snippet_view(r) for r in ordered],
                       extra=extra, totals=totals(results), elapsed=f"{elapsed:.2f}")


def write(folder: Path, results: list[SnippetResult], extra: list[Finding],
          elapsed: float) -> Path:
    """DIR/index.html, written whole or not at all."""
    target = Path(folder) / "index.html"
    atomic_write(target, html(results, extra, elapsed))
    return target
