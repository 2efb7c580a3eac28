"""Rendered lint measures the slides Marp CLI publishes.

Lint renders with Marp's engine inside Chromium (marpkit/lint/render.py);
the build converts with Marp CLI. For every deck here, the slide markup and
the CSS must be byte for byte what Marp CLI's HTML conversion (bare template,
the build's engine options) writes.
"""

from __future__ import annotations

import re

import pytest

from conftest import ROOT, SHARED, needs_chromium, needs_marp
from marpkit.lint.render import Renderer
from marpkit.marp import run_marp
from marpkit.marp.converter import MarpSettings

pytestmark = pytest.mark.integration

# Decks that exercise what a slide can hold: directives, themes, math, emoji,
# HTML, code, tables, images, notes, fitting headers.
OWN = {
    "features.md": """---
marp: true
theme: gaia
math: katex
paginate: true
header: Head
footer: Foot
title: Parity
---

# <!-- fit --> Fitted heading :rocket:

Inline $e^{i\\pi} + 1 = 0$ and 😀 and <span class="x">html</span> <br> line

$$
\\int_0^1 x^2 \\, dx
$$

---
<!-- _class: lead -->
<!-- _backgroundColor: #123 -->

| A | B |
|---|---|
| 1 | 2 |

```python
def f(x):
    return x * 2
```

```html
</script><!-- not the end of marpkit's script --><script>
```

![bg right](pic.png)

<!-- a presenter note -->
""",
    "bom-and-crlf.md": "\ufeff---\r\nmarp: true\r\nsize: 4:3\r\n---\r\n\r\n# One\r\n\r\n---\r\n\r\n## Two\r\n",
    # Rendered after the decks above by the same engine: neither the sized
    # theme of the deck before nor its styles may carry over.
    "after-size.md": "---\nmarp: true\n---\n\n# Plain 16:9\n\n```python\nx = 1\n```\n",
    "after-gaia.md": "---\nmarp: true\ntheme: gaia\n---\n\n<style>section { color: #123456; }</style>\n\n# Styled\n",
    "after-styled.md": "---\nmarp: true\ntheme: gaia\n---\n\n# Not styled\n",
}


def _settings(project_root, themes_dir, html) -> MarpSettings:
    """What the build would run Marp with, for a project with these themes and HTML setting."""
    fonts = project_root / "node_modules" / "katex" / "dist" / "fonts"
    themes = tuple(sorted(themes_dir.glob("*.css"))) if themes_dir else ()
    return MarpSettings(project_root, themes, bool(html), fonts if fonts.is_dir() else None)


def _cli_output(settings: MarpSettings, decks: dict[str, str], tmp_path) -> dict[str, tuple[str, str]]:
    src = tmp_path / "in"
    src.mkdir()
    for name, text in decks.items():
        (src / name).write_text(text, encoding="utf-8", newline="")
    # The fonts in place, as lint's engine finds them (a build copies them next to its HTML).
    run = settings.cli_run(tmp_path / "marp.config.json", out_dir=None)
    result = run_marp(settings.root, sorted(src.glob("*.md")), ["--template", "bare", *run.args],
                      run.config)
    assert result.returncode == 0, result.output
    out = {}
    for name in decks:
        page = (src / name).with_suffix(".html").read_text(encoding="utf-8")
        body = page[page.index("<body>") + len("<body>"):page.rindex("</body>")]
        (css,) = re.findall(r"<style>(.*?)</style>", page[:page.index("</head>")], re.DOTALL)
        out[name] = (body, css)
    return out


def _engine_output(settings: MarpSettings, decks: dict[str, str], tmp_path, spread=False):
    renderer = Renderer(settings, {}, tmp_path / "cache")
    paths = [tmp_path / name for name in decks]
    # One page renders every deck in turn with one engine; several pages
    # (one per core, as lint runs a course) share the decks out.
    with renderer.session(min(len(paths), 2) if spread else 1) as session:
        session.submit(paths, dict(zip(paths, decks.values(), strict=True)))
        return dict(zip(decks, session.marp_output(), strict=True))


def _stable(text: str) -> str:
    """Marpit names each `<style scoped>` with a random id, new on every render."""
    return re.sub(r"data-marpit-scope-[A-Za-z0-9]+", "data-marpit-scope-X", text)


def _assert_same(project_root, decks, tmp_path, themes_dir=None, html=None, spread=False):
    needs_marp()
    needs_chromium()
    settings = _settings(project_root, themes_dir, html)
    cli = _cli_output(settings, decks, tmp_path)
    engine = _engine_output(settings, decks, tmp_path, spread)
    for name in decks:
        assert "error" not in engine[name], engine[name]
        body, css = cli[name]
        assert _stable(engine[name]["html"]) == _stable(body), f"{name}: slide markup differs from Marp CLI's"
        assert _stable(engine[name]["css"]) == _stable(css), f"{name}: CSS differs from Marp CLI's"


@pytest.mark.parametrize("html", [None, True], ids=["html-allowlist", "html-on"])
def test_same_as_marp_cli_on_features(tmp_path, html):
    _assert_same(ROOT, OWN, tmp_path, html=html)


def test_same_as_marp_cli_on_the_course_decks(tmp_path):
    decks = {p.name: p.read_text(encoding="utf-8") for p in sorted((ROOT / "slides").glob("*.md"))}
    assert decks
    _assert_same(ROOT, decks, tmp_path, ROOT / "themes")


def test_same_as_marp_cli_on_the_corpus_and_seed(tmp_path):
    corpus = SHARED / "corpus" / "decks"
    if not corpus.is_dir():
        pytest.skip(f"{corpus} is absent (../shared is only beside the project in CI and dev sessions)")
    decks = {p.name: p.read_text(encoding="utf-8", errors="replace") for p in sorted(corpus.glob("*.md"))}
    seed = SHARED / "seed" / "05-wandb-tracking.original.md"
    if seed.is_file():
        decks[seed.name] = seed.read_text(encoding="utf-8")
    assert len(decks) >= 27
    _assert_same(ROOT, decks, tmp_path, spread=True)
