"""The Module 5 seed deck, flaws included: what lint must find, where."""

from __future__ import annotations

import pytest

from conftest import ROOT, needs_chromium, needs_marp, shared_path
from marpkit.config import load_project
from marpkit.lint import engine
from marpkit.lint.settings import load_settings

MISENCODED_LINES = [6, 20, 193, 302, 303, 304, 305, 306, 329, 330, 331]
IN_CODE = {193}  # a comment in a bash fence: reported as info, never fixed


def lint_seed(render: bool, select: str | None = None):
    seed = shared_path("seed", "05-wandb-tracking.original.md")
    project = load_project(ROOT)
    return engine.run(project, load_settings({}, select), [seed], render=render).findings


def by_code(findings, code):
    return [f for f in findings if f.code == code]


def test_mojibake_on_every_misencoded_line():
    found = lint_seed(False)
    mojibake = by_code(found, "MK201")
    assert [f.line for f in mojibake] == MISENCODED_LINES
    footer = mojibake[0]
    assert (footer.line, footer.column, footer.slide) == (6, 18, 1)
    assert footer.message.startswith('mojibake: "\u201a\u00c4\u00a2" should read "\u2022"')
    assert all((f.fix is None, f.severity) == ((True, "info") if f.line in IN_CODE else (False, "error"))
               for f in mojibake)


def test_fixing_the_seed_restores_the_text():
    from marpkit.lint.fix import apply

    seed = shared_path("seed", "05-wandb-tracking.original.md")
    text = seed.read_text(encoding="utf-8")
    fixed, applied = apply(text, [f.fix for f in by_code(lint_seed(False), "MK201") if f.fix])
    assert len(applied) == len(MISENCODED_LINES) - len(IN_CODE)
    footer = 'footer: "BAI Lab \u2022 Weights & Biases \u2022 V\u01b0\u01a1ng C\u01b0\u1eddng"'
    assert footer in fixed
    assert "\u2705 **W&B fundamentals**" in fixed and "\U0001f680 View run" not in fixed


def test_inline_code_warnings():
    warnings = by_code(lint_seed(False), "MK315")
    assert len(warnings) == 10 and all(f.severity == "warning" for f in warnings)
    assert {f.slide for f in warnings} >= {6, 7, 8, 9, 10, 14}


def test_static_layout():
    found = lint_seed(False)
    assert [(f.slide, f.line) for f in by_code(found, "MK403")] == [(4, 48)]
    assert [(f.slide, f.line) for f in by_code(found, "MK401")] == [(10, 148), (14, 246)]


@pytest.mark.integration
def test_rendered_findings():
    needs_marp()
    needs_chromium()
    found = lint_seed(True, "MK5")
    cut = {(f.slide, f.line) for f in by_code(found, "MK501")}
    assert (4, 48) in cut  # the comparison table scrolls: "Automation" is not visible
    # Step 2's code runs under the footer. Configuration Management's code
    # shows whole, but the footer is drawn over its grey box (Marp's PNG).
    assert (10, 148) in cut and (14, 246) in cut
    boxed = [f for f in by_code(found, "MK501") if f.slide == 14]
    assert len(boxed) == 1 and boxed[0].message.startswith("code block runs under the footer")
    assert any("Automation" in f.message for f in by_code(found, "MK501"))
    shrunk = by_code(found, "MK502")
    assert [(f.slide, f.line) for f in shrunk] == [(10, 148)]
    contrast = [f for f in by_code(found, "MK503") if f.slide == 1]
    assert {f.line for f in contrast} >= {17, 19}  # the h1 and the "Module 5 of 7" paragraph
    assert any("#0d1117" in f.message for f in contrast)
    assert not by_code(found, "MK504")
