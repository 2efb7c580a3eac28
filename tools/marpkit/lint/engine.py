"""Run the rules: parse each deck once, run static rules, optionally render."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from marpkit.config import Project
from marpkit.findings import Finding, UsageError
from marpkit.fsutil import real
from marpkit.lint.context import DeckContext, ProjectContext, load_themes
from marpkit.lint.registry import REGISTRY
from marpkit.lint.rules import load_rules
from marpkit.lint.settings import LintSettings
from marpkit.model.disable import Disable, parse_disable
from marpkit.model.load import NOT_A_DECK, Unreadable, open_deck
from marpkit.snippets.store import SnippetStore

if TYPE_CHECKING:
    from marpkit.lint.render import RenderSession


@dataclass
class LintRun:
    findings: list[Finding] = field(default_factory=list)
    decks: list[DeckContext] = field(default_factory=list)
    texts: dict[Path, str] = field(default_factory=dict)  # what each deck said when read


@dataclass(frozen=True)
class _Silenced:
    """What a deck's disable comments silence: per slide, and file-wide."""

    slides: dict[int, list[Disable]]
    file: list[Disable]

    def covers(self, finding: Finding) -> bool:
        marks = self.file + self.slides.get(finding.slide, [])
        return any(mark.silences(finding.code) for mark in marks)


def _suppressions(ctx: DeckContext) -> _Silenced:
    silenced = _Silenced({}, [])
    for slide in ctx.deck.slides if ctx.deck else []:
        for comment in slide.comments:
            if (mark := parse_disable(comment.content)) is None:
                continue
            if mark.whole_file:
                silenced.file.append(mark)
            else:
                silenced.slides.setdefault(slide.index, []).append(mark)
    return silenced


def _keep(ctx: DeckContext, findings) -> list[Finding]:
    silenced = _suppressions(ctx)
    return [f for f in findings
            if ctx.settings.enabled(f.code, f.path) and not silenced.covers(f)]


def run(project: Project, settings: LintSettings, paths: list[Path], *,
        render: bool | RenderSession = True, whole_project: bool | None = None,
        texts: dict[Path, str] | None = None, store: SnippetStore | None = None,
        displays: dict[Path, str] | None = None) -> LintRun:
    """Lint `paths`. `render` is False for static rules only, True to render
    too, or a render session the caller started early (`render.start`).

    An editor passes what its buffers hold: `texts` is linted instead of those
    files (static rules only: the browser renders files), `store` may read
    snippets from buffers too, and `displays` names each path as it reports it."""
    if render is True and paths:
        from marpkit.lint.render import start, wants_render  # noqa: PLC0415 - keeps static lint light

        if not wants_render(settings):
            return run(project, settings, paths, render=False, whole_project=whole_project,
                       texts=texts, store=store, displays=displays)
        with start(project, settings, paths) as session:
            return run(project, settings, paths, render=session, whole_project=whole_project,
                       texts=texts, store=store, displays=displays)
    load_rules()
    rules = [r for r in REGISTRY.values() if settings.enabled(r.code)]
    rendering = bool(render and any(r.scope == "rendered" for r in rules) and paths)
    if rendering:
        # The browser renders and measures the files while marpkit parses
        # them; the few whose snippet fences expand differently follow.
        render.submit(list(paths), {}, more=True)
    out = LintRun()
    texts = texts or {}
    store = store or SnippetStore(project.snippets_dir, project.cache_dir)
    themes = load_themes(project.themes_dir)
    for path in paths:
        display = (displays or {}).get(path) or project.rel(path)
        ctx = DeckContext(path, display, project, settings, store, themes)
        out.decks.append(ctx)
        try:
            ctx.deck = open_deck(project, path, texts.get(path), display)
            out.texts[path] = ctx.deck.text
        except Unreadable as exc:
            ctx.error = exc
            if settings.enabled(NOT_A_DECK, display):
                out.findings.append(exc.finding)

    if whole_project is None:
        all_decks = {real(p) for p in project.decks()}
        whole_project = bool(all_decks) and all_decks <= {real(p) for p in paths}
    rendered_rules = [r for r in rules if r.scope == "rendered"]
    targets = [c for c in out.decks if c.deck is not None]
    if not (rendering and targets):
        if rendering:
            render.resubmit({})
        _static(out, project, settings, store, rules, whole_project)
        out.findings = [_estimated(f) for f in out.findings]
        return _sorted(out)
    from marpkit.snippets.expand import expand  # noqa: PLC0415 - keeps static lint light

    # Lint what the build publishes: fences as the snippet files have them now.
    sources = {c.path: expand(c.deck, store, None, c.resolutions)[0] for c in targets}
    render.resubmit(sources)
    # The browser loads Marp's engine while the static rules run.
    _static(out, project, settings, store, rules, whole_project)
    results = render.collect()
    for ctx in targets:
        result = results.get(ctx.path)
        if result is None:
            continue
        if result.error:
            raise UsageError(f"{ctx.display}: Marp failed to render it: {result.error}")
        found = []
        for r in rendered_rules:
            found += list(r.func(ctx, result))
        out.findings = _confirmed(out.findings, ctx, result) + _keep(ctx, found)
    from marpkit.lint.rules.rendered import theme_chrome_once  # noqa: PLC0415

    out.findings = theme_chrome_once(out.findings)
    return _sorted(out)


# Static layout rules estimate from the Markdown what the render measures.
ESTIMATES = ("MK401", "MK402", "MK403", "MK404", "MK405")
_ESTIMATE_NOTE = " (estimated without rendering)"


def _estimated(finding: Finding) -> Finding:
    """Without a render, an estimate is all there is: it says so."""
    if finding.code in ESTIMATES and not finding.message.endswith(_ESTIMATE_NOTE):
        return replace(finding, message=finding.message + _ESTIMATE_NOTE)
    return finding


def _confirmed(findings: list[Finding], ctx: DeckContext, result) -> list[Finding]:
    """With a render, the render is the truth: a static estimate stays only
    where Chromium measured what it predicts, so no estimate contradicts what
    the audience will see. Code too wide (MK402) and a table too wide (MK403)
    are about one block: that block must be measured shrunk below the floor
    or cut sideways, not merely share a slide with a list that runs off.
    The others stay on a slide where anything was cut off or shrunk."""
    from marpkit.lint.rules.rendered import block_line, element_line  # noqa: PLC0415

    measured: set[int] = set()
    sideways: set[tuple[int, int]] = set()  # (slide, top-level block line)
    for s in result.slides:
        if not 1 <= s["index"] <= len(ctx.deck.slides):
            continue
        for item in s["items"]:
            if item["kind"] not in ("cut", "shrink"):
                continue
            measured.add(s["index"])
            if _sideways(item):
                sideways.add((s["index"], element_line(ctx, s["index"], item)))

    def kept(f: Finding) -> bool:
        if f.code not in ESTIMATES or f.path != ctx.display:
            return True
        if f.code in _PER_BLOCK:
            return (f.slide, block_line(ctx, f.slide, f.line)) in sideways
        return f.slide in measured
    return [f for f in findings if kept(f)]


# Estimates of one block's width, confirmed by that block's own measurement.
_PER_BLOCK = ("MK402", "MK403")


def _sideways(item: dict) -> bool:
    """Shrunk below the floor, or cut off at the left or right: what "too wide"
    predicts. A table whose rows run off the bottom is MK404's, not MK403's."""
    if item["kind"] == "shrink":
        return True
    if item["reason"] == "edge":
        return item["side"] in ("left", "right")
    if item["reason"] == "clip":
        return bool(item.get("hidden_columns")) or item.get("columns") is None
    return False


def _static(out: LintRun, project: Project, settings: LintSettings, store: SnippetStore,
            rules, whole_project: bool) -> None:
    for ctx in out.decks:
        if ctx.deck is not None:
            found = []
            for r in rules:
                if r.scope == "deck":
                    found += list(r.func(ctx))
            out.findings += _keep(ctx, found)

    pctx = ProjectContext(project, settings, store, [c for c in out.decks if c.deck], whole_project,
                          [c for c in out.decks if c.deck is None])
    by_display = {c.display: c for c in pctx.decks}
    for r in rules:
        if r.scope == "project":
            for f in r.func(pctx):
                owner = by_display.get(f.path)
                if owner is None:
                    if settings.enabled(f.code, f.path):
                        out.findings.append(f)
                else:
                    out.findings += _keep(owner, [f])


def _sorted(out: LintRun) -> LintRun:
    out.findings.sort(key=lambda f: (f.path, f.line, f.column, f.code))
    return out
