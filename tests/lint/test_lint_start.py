"""Rendered lint starts its browser before marpkit imports the Markdown parser:
Chromium's start and its loading of Marp's engine overlap marpkit's own start."""

import json
import os
import subprocess
import sys

from conftest import ROOT, needs_chromium, needs_marp, write

# Runs `marpkit lint` and stops it where it would start Chromium, saying which
# of the parser's modules were loaded by then.
SCRIPT = """
import json, sys
from marpkit.marp import browser

def stop(self, *args, **kwargs):
    print('AT-START', json.dumps(sorted(m for m in ('markdown_it', 'marpkit.model.deck')
                                        if m in sys.modules)), file=sys.stderr)
    raise SystemExit(0)

browser.Browser.__init__ = stop
from marpkit.cli import main
main(['lint', '--render', 'slides/d.md'])
"""


def test_the_browser_starts_before_the_parser_is_imported(project):
    needs_marp()
    needs_chromium()
    write(project / "slides" / "d.md", "---\nmarp: true\n---\n\n# T\n")
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=project, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "tools")},
                          timeout=120)
    line = next((x for x in proc.stderr.splitlines() if x.startswith("AT-START")), None)
    assert line is not None, proc.stderr
    assert json.loads(line.split(" ", 1)[1]) == []


def test_a_few_small_decks_render_in_one_page_much_markdown_in_several(tmp_path, monkeypatch):
    """Each page loads Marp's engine again: a second one only where there is
    enough to render, and never more than decks or cores."""
    from marpkit.lint import render

    monkeypatch.setattr(render.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    small = [write(tmp_path / f"s{n}.md", "# T\n" * 250) for n in range(6)]  # 1 KB each
    large = [write(tmp_path / f"l{n}.md", "# T\n" * 7_500) for n in range(6)]  # 30 KB each
    assert render.pages_for(small) == 1
    assert render.pages_for(large) == 4
    assert render.pages_for(large[:1]) == 1
    assert render.pages_for([tmp_path / "missing.md", *small[:2]]) == 1


def test_only_a_headless_shell_renders_in_one_process():
    """--single-process saves a third of the start in the headless shell; the
    whole browser (new headless) crashes in it at times: it once ended a CI run."""
    from marpkit.marp import headless_shell

    assert headless_shell("/usr/bin/chromium-headless-shell")
    assert headless_shell("/opt/chrome-headless-shell-linux64/chrome-headless-shell")
    assert not headless_shell("/usr/bin/chromium")
    assert not headless_shell("/opt/google/chrome/chrome")


def test_the_engine_without_mathjax_renders_unless_a_deck_has_mathjax_math(tmp_path):
    """The page loads the engine without MathJax (half the script); a deck with
    MathJax math is rendered by the whole engine, as Marp CLI renders it."""
    needs_marp()
    needs_chromium()
    from marpkit.lint.render import Renderer
    from marpkit.marp.converter import MarpSettings

    renderer = Renderer(MarpSettings(ROOT), {}, tmp_path / "cache")
    plain = write(tmp_path / "plain.md", "---\nmarp: true\n---\n\n# Plain\n\n- one\n")
    math = write(tmp_path / "math.md", "---\nmarp: true\n---\n\n# Math\n\n$$\nx^2\n$$\n")
    for decks, whole in (([plain], False), ([plain, math], True)):
        with renderer.session(1) as session:
            session.submit(decks, {})
            with session._pages() as pages:
                [rendered] = [session._gather(pages, "marpkitRendered")]
                scripts = session.browser.evaluate(pages[0], "() => [...document.scripts].map(s => s.src)")
        assert any(s.endswith(renderer.bundle.name) for s in scripts) == whole, scripts
        assert ("mjx-container" in rendered[-1]["html"]) == whole
