"""Property tests: parsing and every static rule survive arbitrary text, and
every finding points inside the file."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marpkit.config import Project
from marpkit.lint.context import DeckContext, ProjectContext, load_themes
from marpkit.lint.registry import REGISTRY
from marpkit.lint.rules import load_rules
from marpkit.lint.settings import LintSettings
from marpkit.model.deck import parse_deck
from marpkit.snippets.store import SnippetStore

# tmp_path is only a scratch folder: reusing it across examples is fine.
FIXTURE_OK = [HealthCheck.function_scoped_fixture]

load_rules()
STATIC = [r for r in REGISTRY.values() if r.scope == "deck"]
PROJECT_RULES = [r for r in REGISTRY.values() if r.scope == "project"]

# Pieces of Marp syntax, so random decks reach the interesting code paths.
PIECES = st.sampled_from([
    "---", "---\n", "marp: true\n", "theme: gaia\n", "size: 4:3\n", "<!-- _class: lead -->",
    "<!-- _backgroundColr: red -->", "<!-- $theme: x -->", "<!-- _theme: y -->",
    "headingDivider: 2\n",
    "# Title\n", "## Sub\n", "```python\n", "```python snippet=a.py#r\n", "```\n", "~~~\n",
    "| a | b |\n|---|---|\n| 1 | 2 |\n", "$$\n", "$x$", "![bg](#fff)", "![](red)", "- item\n",
    "Module 2 of 3", "Next: Module 9", "<!--", "-->", "\r\n", "\r", "\n", "\t", "    ",
    "\u201a\u00c4\u00a2", "\u221a\u00a9", "\u00c3\u00a9", "\ufffd", "\u200b", "\u200d", "\ufeff",
    "> ", "* ", "1. ", "<div>", "</div>", "footer: '\u00e9'\n", ":", "'", '"', "[", "{",
])
TEXT = st.lists(st.one_of(PIECES, st.text(max_size=20),
                          st.binary(max_size=12).map(lambda b: b.decode("latin-1"))),
                max_size=40).map("".join)


def _contexts(text: str, tmp: Path):
    project = Project(tmp, tmp / "slides", tmp / "snippets", tmp / "build", tmp / "themes",
                      tmp / ".cache")
    ctx = DeckContext(tmp / "slides" / "01-x.md", "slides/01-x.md", project, LintSettings(),
                      SnippetStore(project.snippets_dir), load_themes(project.themes_dir))
    ctx.deck = parse_deck(text, ctx.path, ctx.display)
    return ctx


def _check_positions(ctx, findings):
    deck = ctx.deck
    for f in findings:
        assert 1 <= f.line <= max(deck.line_count, 1), f
        width = len(deck.line_text(f.line)) if deck.line_count else 0
        assert 1 <= f.column <= width + 1, (f, deck.line_text(f.line) if deck.line_count else "")
        if f.fix is not None:
            assert 0 <= f.fix.start <= f.fix.end <= len(deck.text)
        if f.slide is not None:
            assert 1 <= f.slide <= len(deck.slides)


@settings(max_examples=300, deadline=None, suppress_health_check=FIXTURE_OK)
@given(text=TEXT)
def test_static_rules_never_crash_and_stay_in_the_file(tmp_path, text):
    ctx = _contexts(text, tmp_path)
    findings = []
    for rule in STATIC:
        findings += list(rule.func(ctx))
    _check_positions(ctx, findings)
    pctx = ProjectContext(ctx.project, ctx.settings, ctx.store, [ctx], whole_project=True)
    for rule in PROJECT_RULES:
        list(rule.func(pctx))


@settings(max_examples=200, deadline=None, suppress_health_check=FIXTURE_OK)
@given(text=st.text(max_size=300))
def test_arbitrary_unicode(tmp_path, text):
    ctx = _contexts(text, tmp_path)
    findings = [f for rule in STATIC for f in rule.func(ctx)]
    _check_positions(ctx, findings)


@settings(max_examples=100, deadline=None, suppress_health_check=FIXTURE_OK)
@given(text=TEXT)
def test_fixes_are_idempotent(tmp_path, text):
    from marpkit.lint.fix import apply

    ctx = _contexts(text, tmp_path)
    fixes = [f.fix for rule in STATIC for f in rule.func(ctx) if f.fix is not None]
    fixed, _ = apply(text, fixes)
    # A few rounds reach a fixed point (overlapping fixes wait for the next round).
    for _ in range(5):
        again = _contexts(fixed, tmp_path)
        more = [f.fix for rule in STATIC for f in rule.func(again) if f.fix is not None]
        if not more:
            break
        fixed, _ = apply(fixed, more)
    final = _contexts(fixed, tmp_path)
    assert not [f for rule in STATIC for f in rule.func(final) if f.fix is not None]


@settings(max_examples=100, deadline=None, suppress_health_check=FIXTURE_OK)
@given(data=st.binary(max_size=400))
def test_any_bytes_through_the_engine(tmp_path, data):
    from marpkit.config import load_project
    from marpkit.lint import engine

    (tmp_path / "slides").mkdir(exist_ok=True)
    deck = tmp_path / "slides" / "01-x.md"
    deck.write_bytes(data)
    project = load_project(tmp_path)
    run = engine.run(project, LintSettings(), [deck], render=False)
    text = data.decode("utf-8", "replace")
    lines = max(len(text.splitlines()), 1)
    for f in run.findings:
        if f.path.endswith("01-x.md"):
            assert 1 <= f.line <= lines + 1 and f.column >= 1
