"""Incremental builds and the two_decks index, with the real Marp CLI."""

import re
from pathlib import Path

import pytest

from conftest import needs_chromium, needs_marp, write

pytestmark = pytest.mark.integration

DECK = "---\nmarp: true\ntitle: Module {n}\n---\n\n# Deck {n}\n\n```python snippet={snippet}#r\n```\n"


@pytest.fixture
def two_decks(project):
    needs_marp()
    write(project / "pyproject.toml", "[tool.marpkit.build]\nformats = ['html']\nindex = false\n")
    write(project / "snippets" / "a.py", "# region r\nprint('a')\n# endregion\n")
    write(project / "snippets" / "b.py", "# region r\nprint('b')\n# endregion\nhidden = 1\n")
    write(project / "slides" / "01-a.md", DECK.format(n=1, snippet="a.py"))
    write(project / "slides" / "02-b.md", DECK.format(n=2, snippet="b.py"))
    return project


def built(out: str) -> set[str]:
    return set(re.findall(r"^built build/(\S+)", out, re.M))


def test_rebuilds_only_what_changed(two_decks, run_cli, monkeypatch):
    code, out, err = run_cli("build")
    assert code == 0, out + err
    assert built(out) == {"01-a.html", "02-b.html"}
    stamp = (two_decks / "build" / "01-a.html").stat().st_mtime_ns

    code, out, _ = run_cli("build")
    assert code == 0 and built(out) == set() and "2 deck(s) up to date" in out
    assert (two_decks / "build" / "01-a.html").stat().st_mtime_ns == stamp

    write(two_decks / "slides" / "01-a.md", DECK.format(n="1 edited", snippet="a.py"))
    assert built(run_cli("build")[1]) == {"01-a.html"}

    write(two_decks / "snippets" / "b.py", "# region r\nprint('b2')\n# endregion\nhidden = 1\n")
    assert built(run_cli("build")[1]) == {"02-b.html"}
    assert "b2" in (two_decks / "build" / "02-b.html").read_text()

    # A line the slide does not show changes nothing the deck renders.
    write(two_decks / "snippets" / "b.py", "# region r\nprint('b2')\n# endregion\nhidden = 2\n")
    assert built(run_cli("build")[1]) == set()

    write(two_decks / "themes" / "t.css", "/* @theme t */\nsection { color: red; }\n")
    assert built(run_cli("build")[1]) == {"01-a.html", "02-b.html"}

    write(two_decks / "pyproject.toml", "[tool.marpkit.build]\nformats = ['html']\nindex = false\nhtml = true\n")
    assert built(run_cli("build")[1]) == {"01-a.html", "02-b.html"}

    from marpkit import marp

    monkeypatch.setattr(marp, "marp_version", lambda root: "99.0.0")
    assert built(run_cli("build")[1]) == {"01-a.html", "02-b.html"}
    assert built(run_cli("build")[1]) == set()
    assert built(run_cli("build", "--force")[1]) == {"01-a.html", "02-b.html"}

    (two_decks / "build" / "02-b.html").unlink()
    assert built(run_cli("build")[1]) == {"02-b.html"}


def test_registered_theme_is_used(two_decks, run_cli):
    write(two_decks / "themes" / "two_decks.css", "/* @theme two_decks */\nsection { background: rgb(1, 2, 3); }\n")
    write(two_decks / "slides" / "01-a.md", "---\nmarp: true\ntheme: two_decks\n---\n\n# Themed\n")
    assert run_cli("build", "slides/01-a.md")[0] == 0
    assert "rgb(1, 2, 3)" in (two_decks / "build" / "01-a.html").read_text().replace("rgb(1,2,3)", "rgb(1, 2, 3)")


def test_index_links_and_thumbnails_load_in_chromium(two_decks, run_cli, browser):
    needs_chromium()
    write(two_decks / "pyproject.toml", "[tool.marpkit]\ntitle = 'Deep <Learning>'\n"
          "[tool.marpkit.build]\nformats = ['html', 'pdf']\n")
    code, out, err = run_cli("build")
    assert code == 0, out + err
    index = two_decks / "build" / "index.html"
    page = browser.new_page()
    page.goto(index.as_uri())
    assert page.title() == "Deep <Learning>"  # escaped in the source, shown as text
    assert "<Learning>" not in index.read_text()
    cards = page.locator("article")
    assert cards.count() == 2
    assert "Module 1" in cards.nth(0).inner_text() and "1 slide" in cards.nth(0).inner_text()
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    assert set(hrefs) == {"01-a.html", "01-a.pdf", "02-b.html", "02-b.pdf"}
    for href in hrefs:
        assert (index.parent / href).is_file(), href
    sizes = page.eval_on_selector_all(
        "img", "imgs => imgs.map(i => [i.getAttribute('src'), i.complete && i.naturalWidth])")
    assert sorted(src for src, _ in sizes) == ["01-a.png", "02-b.png"]
    assert all(width and width > 100 for _, width in sizes)
    page.close()
    assert Path(index).read_text().count("lint: not run") == 2


def test_optional_formats_pptx_png_per_slide_and_notes(two_decks, run_cli):
    needs_chromium()
    write(two_decks / "pyproject.toml", "[tool.marpkit.build]\nformats = ['notes', 'png', 'pptx']\nindex = false\n")
    write(two_decks / "slides" / "01-a.md", "---\nmarp: true\n---\n\n# One\n\n<!-- say hello -->\n\n---\n\n# Two\n")
    code, out, err = run_cli("build", "slides/01-a.md")
    assert code == 0, out + err
    build = two_decks / "build"
    assert "say hello" in (build / "01-a.txt").read_text()
    assert sorted(p.name for p in build.glob("01-a.*.png")) == ["01-a.001.png", "01-a.002.png"]
    assert (build / "01-a.pptx").read_bytes()[:2] == b"PK"  # a zip container, as PPTX is
    assert not list(build.glob("*.marpkit-src*"))
