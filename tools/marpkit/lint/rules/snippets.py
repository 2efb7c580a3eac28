"""MK3xx: code on slides and the snippet files it comes from.

MK310-MK312 are reported by marpkit.snippets (one resolver for lint, sync,
check and build); these rules only pass its findings on.
"""

from __future__ import annotations

from marpkit.fsutil import DECK_LIMIT, read_input, real
from marpkit.lint.context import DeckContext, ProjectContext
from marpkit.lint.registry import rule
from marpkit.model.deck import DeckError, load_deck
from marpkit.snippets import languages
from marpkit.snippets.expand import drift as snippet_drift
from marpkit.snippets.store import SnippetFile, resolve_deck


def _resolver_findings(ctx: DeckContext, code: str):
    for res in ctx.resolutions:
        if res.finding is not None and res.finding.code == code:
            f = res.finding
            yield ctx.finding(code, f.line, f.column, f.message, slide=f.slide)


@rule("MK310")
def missing_file(ctx: DeckContext):
    yield from _resolver_findings(ctx, "MK310")


@rule("MK311")
def unknown_region(ctx: DeckContext):
    yield from _resolver_findings(ctx, "MK311")


@rule("MK312")
def escaping_path(ctx: DeckContext):
    yield from _resolver_findings(ctx, "MK312")


@rule("MK313")
def drift(ctx: DeckContext):
    for res in ctx.resolutions:
        if not res.ok or res.code is None:
            continue
        if found := snippet_drift(ctx.deck, res):
            finding, fix = found
            yield ctx.finding("MK313", finding.line, res.block.column, finding.message,
                              fix=fix, end_line=finding.end_line, slide=res.block.slide)


@rule("MK317")
def chart_stale(ctx: DeckContext):
    from marpkit.charts.state import stale

    for chart in ctx.charts:
        if chart.problem is None and (reason := stale(ctx.project, chart)):
            image = chart.ref.image
            yield ctx.finding("MK317", image.line, image.column, reason, slide=chart.ref.slide)


@rule("MK318")
def chart_reference(ctx: DeckContext):
    for chart in ctx.charts:
        if chart.problem is not None:
            image = chart.ref.image
            yield ctx.finding("MK318", image.line, image.column, chart.problem,
                              slide=chart.ref.slide)


@rule("MK314")
def unused_snippets(pctx: ProjectContext):
    root = pctx.project.snippets_dir
    if not pctx.whole_project or not root.is_dir():
        return
    used = set()
    for ctx in pctx.decks:
        # Referenced even when the file itself is unreadable (MK310 says so).
        used.update(real(root / res.rel_path) for res in ctx.resolutions)
    for ctx in pctx.unreadable:
        # A deck that cannot be linted (not UTF-8, say) still names its
        # snippets: read as well as its bytes allow, for that only.
        try:
            text = read_input(ctx.path, DECK_LIMIT).decode("utf-8", errors="replace")
            deck = load_deck(ctx.path, ctx.display, text)
        except (OSError, DeckError):
            continue
        used.update(real(root / res.rel_path) for res in resolve_deck(deck, pctx.store))
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.name.startswith(".") or "__pycache__" in path.parts:
            continue
        if real(path) not in used:
            yield pctx.finding(pctx.project.rel(path), "MK314", 1, 1,
                               "snippet file is not referenced by any deck")


@rule("MK315")
def inline_code(ctx: DeckContext):
    for block in ctx.deck.code_blocks:
        if languages.is_runnable_lang(block.lang) and not block.snippet and block.body.strip():
            yield ctx.finding("MK315", block.line, block.column,
                              f"inline `{block.lang}` code block has no `snippet=` "
                              "(it is never run)", slide=block.slide)


@rule("MK316")
def region_markers(pctx: ProjectContext):
    files: dict = {}
    for ctx in pctx.decks:
        for res in ctx.resolutions:
            if isinstance(res.file, SnippetFile):
                files[real(res.file.path)] = res.file
    root = pctx.project.snippets_dir
    if pctx.whole_project and root.is_dir():
        for path in root.rglob("*"):
            if path.is_file() and real(path) not in files:
                loaded = pctx.store.load(path)
                if isinstance(loaded, SnippetFile):
                    files[real(path)] = loaded
    for key in sorted(files):
        snippet = files[key]
        for line, message in snippet.errors:
            yield pctx.finding(pctx.project.rel(snippet.path), "MK316", line, 1, message)
