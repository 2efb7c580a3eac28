"""Each chart of a deck judged against its files and its snippet's checked run.

One decision for every command: `lint` (and the LSP) ask `stale` (files
only: is the drawn image what the reference and the snippet as it is now
would give?), `sync` asks `judge` (with the check cache: draw, or say why
not), `check` asks `select` on the run it just recorded. Codes:

* MK318 the reference itself is wrong (not a chart spec, a file outside the
  project or in the snippets folder, not an .svg);
* MK317 the drawn file is missing or was drawn from something else
  (another version of the snippet, another spec, an alt text edited since);
* MK309 the run cannot give the chart (the snippet failed or was never
  checked as it is now, a metric never logged or not a number, no such run).
"""

from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass
from pathlib import Path

from marpkit.charts.series import STEP, Series, describe
from marpkit.charts.spec import ChartRef, ChartSpec, deck_charts
from marpkit.charts.svg import PALETTE, Line, Style, draw
from marpkit.config import Project
from marpkit.findings import Finding, Fix
from marpkit.fsutil import inside, read_input
from marpkit.model.assets import asset_file, description, keywords
from marpkit.model.deck import Deck
from marpkit.snippets.identity import source_digest
from marpkit.snippets.store import SnippetStore

REFERENCE, STALE, DATA = "MK318", "MK317", "MK309"
HEAD = "marpkit-chart"
_HEAD = re.compile(r"<!-- marpkit-chart source=(\S+) spec=(.*?) -->")
_TITLE = re.compile(r"<title>(.*?)</title>", re.S)
_DOUBLE_DASH = re.compile(r"-(?=-)")
# The head and the title lead the file; the title repeats the alt text, about
# 100 characters a metric.
_HEAD_BYTES = 256 * 1024
_ALT_ESCAPE = re.compile(r"([\\`*_\[\]<>!#&])")


@dataclass(frozen=True)
class Chart:
    """A chart reference with its files found: `problem` says why it has none."""

    deck: Deck
    ref: ChartRef
    image: Path | None = None  # the drawn file, where the deck's image points
    snippet: Path | None = None
    problem: str | None = None


@dataclass(frozen=True)
class Drawn:
    svg: str
    alt: str


def locate(project: Project, deck: Deck, ref: ChartRef, store: SnippetStore) -> Chart:
    if ref.spec is None:
        return Chart(deck, ref, problem=ref.error)
    src = ref.image.src
    rel = asset_file(src) if "://" not in src and not src.startswith(("/", "data:")) else None
    if rel is None or not rel.lower().endswith(".svg"):
        return Chart(deck, ref, problem=f"a chart is drawn as an .svg file beside the deck, "
                                        f"not {src!r}")
    image = deck.path.parent / rel
    outside = Chart(deck, ref, problem=f"chart file {src!r} lies outside the project")
    if inside(image, project.root) is None:
        return outside  # not even looked at
    if os.path.lexists(image):
        # Nothing outside the project is opened to find out what the file is.
        if os.path.exists(image) and inside(image, project.root, follow=True) is None:
            return outside
        if _drawn_head(image) is None:
            # A picture of the presenter's, a folder, a pipe, a symlink loop: never overwritten.
            return Chart(deck, ref, image, problem=FOREIGN.format(src=src))
    if inside(image, project.root, follow=True) is None:
        return outside
    if inside(image, project.snippets_dir) is not None:
        return Chart(deck, ref, problem=f"chart file {src!r} lies in the snippets folder, "
                                        "where it would count as a change of the snippet")
    snippet = store.safe_path(ref.spec.snippet)
    if snippet is None or not snippet.is_file():
        return Chart(deck, ref, image, problem=f"chart's snippet {ref.spec.snippet} not found "
                                               f"in {project.rel(project.snippets_dir)}/")
    return Chart(deck, ref, image, snippet)


def deck_chart_list(project: Project, deck: Deck, store: SnippetStore) -> list[Chart]:
    return [locate(project, deck, ref, store) for ref in deck_charts(deck)]


def finding(chart: Chart, code: str, message: str, fix: Fix | None = None) -> Finding:
    deck, image = chart.deck, chart.ref.image
    slide = deck.slides[chart.ref.slide - 1]
    return Finding(deck.display_path, image.line, image.column, code, message, "error",
                   slide.index, slide.title, fix=fix)


def _drawn_head(path: Path) -> tuple[str, str, str] | None:
    """(source digest, spec, alt) a drawn chart records, None if it is not one."""
    try:  # a pipe or device at the chart's path is not a chart, and must not block
        start = read_input(path, _HEAD_BYTES, head=True).decode("utf-8", errors="replace")
    except OSError:
        return None
    head, title = _HEAD.search(start), _TITLE.search(start)
    if head is None or title is None:
        return None
    return head.group(1), html.unescape(head.group(2)), html.unescape(title.group(1))


FOREIGN = ("{src} exists and is not a chart marpkit drew: sync never replaces it; "
           "give the chart another path")


def stale(project: Project, chart: Chart) -> str | None:
    """Why the drawn file does not stand for the reference as it is now (MK317), from
    files alone; None when it does. Run data is not read: that is sync's and check's."""
    spec = chart.ref.spec
    head = _drawn_head(chart.image)
    src = chart.ref.image.src
    if head is None:
        return f"chart {src} is not drawn yet: run `marpkit check`, then `marpkit sync`"
    source, drawn_spec, alt = head
    if drawn_spec != spec.canonical():
        return f"chart {src} was drawn for another reference ({drawn_spec}): run `marpkit sync`"
    if source != source_digest(project.snippets_dir, chart.snippet):
        return (f"chart {src} was drawn from an older {spec.snippet}: run `marpkit check`, "
                "then `marpkit sync`")
    if description(chart.ref.image.alt) != alt:
        if alt_fix(chart, alt) is None:
            return (f"alt text of chart {src} spans several lines: put it on one line, and "
                    "`marpkit sync` writes what the chart shows")
        return f"alt text of chart {src} is not what the chart shows: run `marpkit sync`"
    return None


def select(spec: ChartSpec, runs: list[dict]) -> tuple[list[Series], Series | None, str] | str:
    """(y series, x series or None for the step, run label) the spec draws from a
    check's recorded runs, or why it cannot (MK309)."""
    if not runs:
        return f"{spec.snippet} made no W&B run: nothing to chart"
    names = [str(run.get("name") or run.get("run_id") or "") for run in runs]
    wanted = [*spec.metrics] + ([] if spec.x == STEP else [spec.x])
    if spec.run is not None:
        if spec.run.isdigit():
            index = int(spec.run) - 1
            if index >= len(runs):
                return f"run={spec.run}, but {spec.snippet} made {len(runs)} run(s)"
        elif spec.run in names:
            index = names.index(spec.run)
        else:
            return f"no run named {spec.run!r} (runs: {', '.join(names)})"
    else:
        index = next((i for i, run in enumerate(runs)
                      if all(key in (run.get("history") or {}) for key in wanted)), 0)
    history = runs[index].get("history") or {}
    found: dict[str, Series] = {}
    for key in wanted:
        data = history.get(key)
        series = Series.from_json(data) if isinstance(data, dict) else None
        if series is None:
            logged = ", ".join(sorted(history)) or "nothing"
            return f"run {names[index]} never logged {key!r} in its history (logged: {logged})"
        if series.other:
            return (f"{key!r} has {series.other} value(s) that are not numbers "
                    f"({series.other_example}): a chart draws numbers")
        found[key] = series
    label = names[index] if len(runs) > 1 else ""
    return [found[m] for m in spec.metrics], (None if spec.x == STEP else found[spec.x]), label


def alt_text(spec: ChartSpec, series: list[Series], run_label: str) -> str:
    """The facts of every series, then the axis and run when not the default."""
    text = "; ".join(describe(s) for s in series)
    if spec.x != STEP:
        text += f"; x axis: {spec.x}"
    if run_label:
        text += f"; run {run_label}"
    return text


def lines(series: list[Series], x: Series | None) -> list[Line]:
    out = []
    xs = x.at_steps() if x is not None else {}
    for s in series:
        if x is None:
            points = list(zip(map(float, s.steps), s.values, strict=True))
        else:
            points = [(xs[step], value) for step, value in zip(s.steps, s.values, strict=True)
                      if xs.get(step) is not None]
        out.append(Line(s.key, points))
    return out


def render(project: Project, chart: Chart, runs: list[dict], style: Style) -> Drawn | str:
    spec = chart.ref.spec
    chosen = select(spec, runs)
    if isinstance(chosen, str):
        return chosen
    series, x, label = chosen
    alt = alt_text(spec, series, label)
    head = drawn_head(source_digest(project.snippets_dir, chart.snippet), spec)
    return Drawn(draw(lines(series, x), spec.x, style, title=alt, head=head), alt)


def drawn_head(source: str, spec: ChartSpec) -> str:
    """What a drawn chart records it was drawn from (read back by `stale`)."""
    # An XML comment may not hold "--": each "-" before another is written as a
    # character reference, which `_drawn_head` unescapes with the rest.
    spec_text = _DOUBLE_DASH.sub("&#45;", html.escape(spec.canonical(), quote=False))
    return f"{HEAD} source={source} spec={spec_text}"


def alt_fix(chart: Chart, alt: str) -> Fix | None:
    """Replace the image's alt text (its Marp keywords kept) when it says something else."""
    image, deck = chart.ref.image, chart.deck
    wanted = " ".join([*keywords(image.alt), _ALT_ESCAPE.sub(r"\\\1", alt)])
    if description(image.alt) == alt:
        return None
    text = deck.line_text(image.line)
    start = image.column - 1
    if not text.startswith("![", start):
        return None
    depth, end, at = 0, None, start + 2
    while at < len(text):
        char = text[at]
        if char == "\\":
            at += 2
            continue
        if char == "[":
            depth += 1
        elif char == "]":
            if depth == 0:
                end = at
                break
            depth -= 1
        at += 1
    if end is None:  # an alt text over several lines: left to the presenter
        return None
    offset = deck.offset(image.line)
    return Fix(f"alt text of chart {image.src}", offset + start + 2, offset + end, wanted)


def judge(project: Project, chart: Chart, checked, style: Style
          ) -> tuple[Finding | None, Drawn | None]:
    """What sync does with one located chart: (a finding, what to write).
    A drawn chart that is already current gives (None, None). `checked`:
    snippet path -> (passed, runs) of its last check as it is now, or None
    (check/output_fences.checked_runs)."""
    if chart.problem:
        return finding(chart, REFERENCE, chart.problem), None
    entry = checked(chart.snippet)
    if entry is None:
        reason = stale(project, chart)
        if reason is None:
            return None, None  # drawn from this very source; no run here to redraw from
        return finding(chart, DATA, f"{chart.ref.spec.snippet} has not been checked as it is "
                                    "now: run `marpkit check`, then `marpkit sync`"), None
    passed, runs = entry
    if not passed:
        return finding(chart, DATA, f"{chart.ref.spec.snippet} failed its last check: the "
                                    "chart is not drawn from a failed run"), None
    drawn = render(project, chart, runs, style)
    if isinstance(drawn, str):
        return finding(chart, DATA, drawn), None
    try:
        current = chart.image.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        current = None
    alt_differs = description(chart.ref.image.alt) != drawn.alt
    if current == drawn.svg and not alt_differs:
        return None, None
    fix = alt_fix(chart, drawn.alt) if alt_differs else None
    if current == drawn.svg and fix is None:
        # Only the alt is off, and sync cannot mend it: saying so beats
        # "drew 1 chart" on every run.
        return finding(chart, STALE, f"alt text of chart {chart.ref.image.src} spans several "
                                     "lines: put it on one line, and `marpkit sync` writes "
                                     "what the chart shows"), None
    return finding(chart, STALE, f"chart {chart.ref.image.src} differs from the checked run "
                                 "of its snippet: run `marpkit sync`", fix), drawn


# Marp's built-in themes: (text colour, background, font-family) of `section`.
_BUILTIN_STYLE = {
    "default": ("#1f2328", "#ffffff",
                '-apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif'),
    "gaia": ("#455a64", "#fff8e1", 'Lato, "Avenir Next", Avenir, "Trebuchet MS", sans-serif'),
    "uncover": ("#202228", "#fdfcff", 'Lato, "Avenir Next", Avenir, "Trebuchet MS", sans-serif'),
}
_SECTION_RULE = re.compile(r"(?:^|[}\s;])section\s*\{([^}]*)\}", re.S)
_DECLARATION = re.compile(r"([-\w]+)\s*:\s*([^;]+)")
_VAR = re.compile(r"var\(\s*(--[-\w]+)\s*(?:,\s*([^)]+))?\)")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{3,8}$|^(?:rgb|hsl)a?\([^)]*\)$|^[a-zA-Z]+$")


def style_for(project: Project, deck: Deck) -> Style:
    """The chart style of a deck: its theme's text colour, background and font
    (from the theme's plain `section { }` rule, Marp's built-ins underneath),
    and a first line in the theme's accent colour when it names one."""
    from marpkit.model.themes import hex_rgb, load_themes, without_comments

    name = deck.global_directives.get("theme")
    name = name.strip() if isinstance(name, str) and name.strip() else "default"
    theme = load_themes(project.themes_dir).get(name)
    css = without_comments(theme.text) if theme is not None else ""
    base = next((v for k, v in _BUILTIN_STYLE.items() if k == name or f"'{k}'" in css
                 or f'"{k}"' in css), _BUILTIN_STYLE["default"])
    props: dict[str, str] = {}
    for rule in _SECTION_RULE.finditer(css):
        for key, value in _DECLARATION.findall(rule.group(1)):
            props[key.lower()] = value.strip()

    def value_of(key: str) -> str | None:
        value = props.get(key)
        for _ in range(5):  # var() of a var()
            if value is None or "var(" not in value:
                break
            value = _VAR.sub(lambda m: props.get(m.group(1)) or (m.group(2) or ""), value)
        return value.strip() if value else None

    def colour(*keys: str) -> str | None:
        for key in keys:
            value = value_of(key)
            if value and _COLOUR.match(value):
                return value
        return None

    foreground = colour("color") or base[0]
    background = colour("background-color", "background") or base[1]
    font = value_of("font-family") or base[2]
    accent = colour(*sorted(k for k in props if k.startswith("--") and "accent" in k))
    palette = PALETTE
    if accent and (rgb := hex_rgb(accent)) is not None:
        # The accent replaces the palette colour nearest to it: two blues side by
        # side would read as one line.
        nearest = min(PALETTE, key=lambda c: sum((a - b) ** 2 for a, b in zip(hex_rgb(c), rgb,
                                                                             strict=True)))
        palette = (accent, *(c for c in PALETTE if c != nearest))
    return Style(font_family=font.replace('"', "'"), foreground=foreground,
                 background=background, palette=palette)


@dataclass(frozen=True)
class Judged:
    chart: Chart
    finding: Finding | None
    drawn: Drawn | None  # what to write at chart.image


_SIZE = re.compile(r"^(w|width|h|height):(\d+(?:\.\d+)?)(?:px)?$", re.IGNORECASE)


def sized(style: Style, alt: str) -> Style:
    """The chart drawn at the size the slide shows it (`w:`/`h:` in px), so its text
    is the style's size on the slide rather than scaled down with the image."""
    from dataclasses import replace

    size = {}
    for word in keywords(alt):
        if match := _SIZE.match(word):
            size["width" if match.group(1)[0].lower() == "w" else "height"] = \
                max(200, min(4000, round(float(match.group(2)))))
    return replace(style, **size)


def judge_deck(project: Project, deck: Deck, store: SnippetStore, checked) -> list[Judged]:
    """Every chart of a deck as sync sees it; the style is worked out only when a
    chart is drawn."""
    out = []
    style: Style | None = None
    for chart in deck_chart_list(project, deck, store):
        if style is None and chart.problem is None:
            style = style_for(project, deck)
        found, drawn = judge(project, chart, checked, sized(style or Style(), chart.ref.image.alt))
        out.append(Judged(chart, found, drawn))
    return out
