"""One buffer, linted: the deck model, its snippet resolutions, the static findings
and the check status of every fence. Built off the event loop, read by every
feature (diagnostics, actions, hover, definition...) until the next change.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from marpkit.findings import Finding
from marpkit.fsutil import real
from marpkit.lint import engine
from marpkit.lint.context import DeckContext
from marpkit.lint.registry import REGISTRY
from marpkit.lint.rules import load_rules
from marpkit.lsp.checkstatus import CheckStatus, CheckStatuses
from marpkit.lsp.positions import Text
from marpkit.lsp.workspace import BufferStore, Scope
from marpkit.model.deck import Deck
from marpkit.snippets.store import Resolution
from marpkit.text import position


@dataclass
class Analysis:
    uri: str
    path: Path
    version: int | None
    text: Text
    scope: Scope
    deck: Deck | None = None
    ctx: DeckContext | None = None
    findings: list[Finding] = field(default_factory=list)
    checks: list[tuple[Resolution, CheckStatus]] = field(default_factory=list)

    @property
    def resolutions(self) -> list[Resolution]:
        return self.ctx.resolutions if self.ctx is not None and self.deck is not None else []

    def resolution_at(self, line: int) -> Resolution | None:
        """The snippet fence whose opening line is `line` (1-based)."""
        return next((r for r in self.resolutions if r.block.line == line), None)


def scope_of(code: str) -> str:
    rule = REGISTRY.get(code)
    return rule.scope if rule is not None else "deck"


def project_codes() -> list[str]:
    return sorted(code for code, rule in REGISTRY.items() if rule.scope == "project")


def display(scope: Scope, path: Path) -> str:
    return scope.project.rel(path) if scope.in_project else str(path)


def _not_utf8(text: str, shown: str) -> Finding | None:
    """MK204 for a buffer holding lone surrogates (what a client makes of bytes
    that are not UTF-8 when it passes them through undecoded)."""
    try:
        text.encode("utf-8")
        return None
    except UnicodeEncodeError as exc:
        line, column = position(text, exc.start)
        return Finding(shown, line, column, "MK204",
                       "file is not UTF-8 (the buffer holds bytes that cannot be decoded)", "error")


def analyse(uri: str, path: Path, version: int | None, text: str, scope: Scope,
            buffers: dict[Path, str], statuses: CheckStatuses | None, encoding: str) -> Analysis:
    """Static rules on a deck buffer (rules that compare decks come from the
    project pass instead, when the deck is in a project)."""
    load_rules()
    out = Analysis(uri, path, version, Text(text, encoding), scope)
    shown = display(scope, path)
    bad = _not_utf8(text, shown)
    if bad is not None:
        if scope.settings.enabled("MK204", shown):
            out.findings = [bad]
        return out
    project = scope.project
    store = BufferStore(project.snippets_dir, buffers, project.cache_dir if scope.in_project else None)
    settings = scope.settings
    if scope.in_project:  # the project pass reports those, for every file at once
        settings = replace(settings, ignore=settings.ignore + project_codes())
    run = engine.run(project, settings, [path], render=False, whole_project=False,
                     texts={path: text}, store=store, displays={path: shown})
    ctx = run.decks[0]
    out.ctx, out.deck = ctx, ctx.deck
    out.findings = [f for f in run.findings if f.path == shown]
    if statuses is not None and ctx.deck is not None:
        out.findings += _output_drift(ctx, store, statuses, shown)
    if statuses is not None and ctx.deck is not None:
        for res in ctx.resolutions:
            if res.file is not None:
                unsaved = real(res.file.path) in buffers and _differs(res.file.path, buffers)
                out.checks.append((res, statuses.status(res.rel_path, unsaved)))
    return out


def _output_drift(ctx: DeckContext, store: BufferStore, statuses: CheckStatuses,
                  shown: str) -> list[Finding]:
    """`output=` fences that differ from their snippet's last passing check: the
    other half of `marpkit sync`, as MK313 findings with sync's own fix."""
    blocks = [b for b in ctx.deck.code_blocks if b.output]
    if not blocks or not ctx.settings.enabled("MK313", shown):
        return []
    from marpkit.snippets.expand import sync_deck

    def outputs(rel: str) -> str | None:
        return statuses.output(rel) if store.safe_path(rel) is not None else None

    _, drifted, _ = sync_deck(ctx.deck, store, outputs)
    found = []
    for finding, fix in drifted:
        if any(b.body_line <= finding.line <= max(b.end_line, b.body_line) for b in blocks):
            found.append(replace(finding, path=shown, fix=fix, end_line=finding.line))
    return engine._keep(ctx, found)


def _differs(path: Path, buffers: dict[Path, str]) -> bool:
    try:
        return path.read_text(encoding="utf-8") != buffers[real(path)]
    except (OSError, UnicodeDecodeError):
        return True


def project_pass(scope: Scope, decks: list[Path], texts: dict[Path, str],
                 buffers: dict[Path, str]) -> dict[Path, list[Finding]]:
    """The rules that look across decks and at files no deck names (unused
    snippets, region markers, course consistency), for every deck of the project;
    findings by the file they are about."""
    load_rules()
    project = scope.project
    store = BufferStore(project.snippets_dir, buffers)
    paths = sorted({*project.decks(), *decks}, key=str)
    clean_texts = {p: t for p, t in texts.items() if _not_utf8(t, "") is None}
    displays = {p: display(scope, p) for p in paths}
    run = engine.run(project, scope.settings, paths, render=False, whole_project=True,
                     texts=clean_texts, store=store, displays=displays)
    out: dict[Path, list[Finding]] = {}
    for f in run.findings:
        if scope_of(f.code) == "project":
            out.setdefault(real(project.root / f.path), []).append(f)
    return out


def rendered_pass(scope: Scope, path: Path) -> list[Finding]:
    """The rendered rules (MK5xx) on the deck as saved: Marp's engine in Chromium."""
    load_rules()
    shown = display(scope, path)
    run = engine.run(scope.project, scope.settings, [path], render=True, whole_project=False,
                     displays={path: shown})
    return [f for f in run.findings if f.path == shown and scope_of(f.code) == "rendered"]
