"""Rendered rules (MK5xx) on real Marp CLI output in real Chromium."""

from __future__ import annotations

import base64

import pytest

from conftest import needs_chromium, needs_marp, write
from marpkit.config import load_project
from marpkit.lint import engine
from marpkit.lint.settings import load_settings

pytestmark = pytest.mark.integration

HEAD = "---\nmarp: true\n---\n\n"
# A 1x1 PNG, so the "loads" case has a real image.
PIXEL = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQ"
                         "GAhKmMIQAAAABJRU5ErkJggg==")

BAD = {
    "01-long.md": HEAD + "# Long\n\n" + "".join(f"- point {i}\n" for i in range(20)),
    "02-wide-table.md": HEAD + "# Table\n\n| " + " | ".join(f"Heading number {i}" for i in range(9))
    + " |\n" + "|---" * 9 + "|\n" + "| cell " * 9 + "|\n",
    "03-shrunk.md": HEAD + "# Code\n\n```text\n" + "".join(f"line {i}\n" for i in range(60))
    + "```\n",
    "04-dark.md": HEAD + "<!-- _backgroundColor: #0d1117 -->\n\n# Dark\n\nPlain text\n",
    "05-image.md": HEAD + "# Pictures\n\n![](missing.png)\n\n---\n\n![bg](gone-bg.png)\n",
}
GOOD = {
    "01-short.md": HEAD + "# Short\n\n- one\n- two\n",
    "02-table.md": HEAD + "# Table\n\n| A | B |\n|---|---|\n| 1 | 2 |\n",
    "03-code.md": HEAD + "# Code\n\n```text\nprint(1)\n```\n",
    "04-dark.md": HEAD + "<!-- _backgroundColor: #0d1117 -->\n<!-- _color: #f0f0f0 -->\n\n"
    "# Dark\n\nText\n",
    "05-image.md": HEAD + "# Pictures\n\n![](pixel.png)\n\n---\n\n![bg](pixel.png)\n",
}


def lint_all(root, decks):
    needs_marp()
    needs_chromium()
    for name, text in decks.items():
        write(root / "slides" / name, text)
    (root / "slides" / "pixel.png").write_bytes(PIXEL)
    project = load_project(root)
    found = engine.run(project, load_settings({}, "MK5"), project.decks(), render=True).findings
    return {name: [f for f in found if f.path == f"slides/{name}"] for name in decks}


def test_rendered_rules_trigger(project):
    found = lint_all(project, BAD)
    long = found["01-long.md"]
    assert [(f.code, f.slide) for f in long] == [("MK501", 1)]
    assert long[0].line == 7 and "past the slide's bottom edge" in long[0].message  # the list
    (table,) = found["02-wide-table.md"]
    assert table.code == "MK501" and table.line == 7 and "columns not visible" in table.message
    shrunk = [f for f in found["03-shrunk.md"] if f.code == "MK502"]
    assert [(f.line, f.slide) for f in shrunk] == [(7, 1)]
    dark = found["04-dark.md"]
    assert {f.code for f in dark} == {"MK503"} and {f.line for f in dark} == {7, 9}
    images = found["05-image.md"]
    assert [(f.code, f.slide, f.line) for f in images] == [("MK504", 1, 7), ("MK504", 2, 11)]


def test_rendered_rules_stay_quiet(project):
    found = lint_all(project, GOOD)
    assert {name: fs for name, fs in found.items() if fs} == {}


def test_rendered_lint_sees_the_snippet_file_not_the_stale_fence(project, run_cli):
    """A fence body that drifted short must not hide code that overflows in the build."""
    from conftest import needs_chromium, needs_marp, write

    needs_marp()
    needs_chromium()
    long_code = "".join(f"value_{i} = {i}\n" for i in range(40))
    write(project / "snippets" / "long.py", long_code)
    write(project / "slides" / "d.md",
          "---\nmarp: true\n---\n\n# Long\n\n```python snippet=long.py\nshort = 1\n```\n")
    code, out, _ = run_cli("lint", "--select", "MK501,MK502")
    assert code == 1
    assert "slides/d.md:7:1: MK50" in out


def test_headless_shell_judges_like_the_full_browser(project, monkeypatch):
    """marpkit prefers chromium-headless-shell; its judgements must be Chromium's
    (text metrics may differ in the first decimal of a px, not in a verdict)."""
    import shutil

    shell, full = shutil.which("chromium-headless-shell"), shutil.which("chromium")
    if not (shell and full):
        pytest.skip("needs both chromium-headless-shell and chromium installed")
    verdicts = {}
    for binary in (shell, full):
        monkeypatch.setenv("CHROME_PATH", binary)
        found = lint_all(project, BAD)
        verdicts[binary] = sorted((f.path, f.line, f.code) for fs in found.values() for f in fs)
    assert verdicts[shell] == verdicts[full]
    assert len(verdicts[shell]) >= 7
