"""The rendered rules against a truth table: slides whose verdict was judged
from Marp CLI's own PNGs (`marp deck.md --images png`), each carrying
`<!-- expect: MKxxx -->` for every rendered finding it must get.

The decks in tests/fixtures/lint/ cover content that fits, that reaches only
into the padding, that just or badly overflows, that is clipped inside a box,
that runs under the footer or page number (its text, or only its painted
box), text drawn over other text, shrunk code, text over background images,
math, and theme chrome. Precision and recall are printed per rule;
nothing that is not expected may fire.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, needs_chromium, needs_marp
from marpkit.config import load_project
from marpkit.lint import engine
from marpkit.lint.settings import load_settings

pytestmark = pytest.mark.integration

FIXTURES = ROOT / "tests" / "fixtures" / "lint"
RULES = ("MK501", "MK502", "MK503", "MK504", "MK505")
_EXPECT = re.compile(r"expect:\s*(MK\d+)")
# Theme chrome is reported once per theme where it can be fixed: in the
# theme's CSS file (no slide), or at the deck directive for a built-in theme.
EXPECTED_OUTSIDE_SLIDES = {("themes/pale.css", 7, "MK503")}


@pytest.fixture(scope="module")
def truth(tmp_path_factory):
    needs_marp()
    needs_chromium()
    root = tmp_path_factory.mktemp("truth")
    (root / "slides").mkdir()
    for path in FIXTURES.iterdir():
        if path.is_file():
            shutil.copy(path, root / "slides" / path.name)
    shutil.copytree(FIXTURES / "themes", root / "themes")
    # The course's own theme, as the course's decks render with it.
    shutil.copy(ROOT / "themes" / "bailab.css", root / "themes" / "bailab.css")
    (root / "pyproject.toml").write_text("[tool.marpkit]\n", encoding="utf-8")
    (root / "node_modules").symlink_to(ROOT / "node_modules")
    project = load_project(root)
    run = engine.run(project, load_settings({}, "MK5"), project.decks(), render=True)
    expected, slides = set(), 0
    for ctx in run.decks:
        for slide in ctx.deck.slides:
            slides += 1
            for comment in slide.comments:
                for code in _EXPECT.findall(comment.content):
                    expected.add((ctx.display, slide.index, code))
    return run, expected, slides


def test_truth_table_precision_and_recall(truth, capsys):
    run, expected, slides = truth
    assert slides >= 60
    found = {(f.path, f.slide, f.code) for f in run.findings if f.slide is not None}
    expected = {e for e in expected if e[2].startswith("MK5")}
    rows = []
    for code in RULES:
        exp = {e for e in expected if e[2] == code}
        got = {f for f in found if f[2] == code}
        tp = len(exp & got)
        precision = tp / len(got) if got else 1.0
        recall = tp / len(exp) if exp else 1.0
        rows.append((code, len(exp), len(got), tp, precision, recall))
    with capsys.disabled():
        print(f"\ntruth table: {slides} slides")
        for code, n_exp, n_got, tp, p, r in rows:
            print(f"  {code}: expected {n_exp}, found {n_got}, right {tp}, "
                  f"precision {p:.2f}, recall {r:.2f}")
        for extra in sorted(found - expected):
            print(f"  not expected: {extra}")
        for missed in sorted(expected - found):
            print(f"  missed: {missed}")
    for code, _, _, _, p, r in rows:
        assert p >= 0.95 and r >= 0.95, code
    # Nothing else fires: every finding on a slide is expected, and vice versa.
    assert found == expected
    outside = {("/".join(Path(f.path).parts[-2:]), f.line, f.code)
               for f in run.findings if f.slide is None}
    assert outside == EXPECTED_OUTSIDE_SLIDES


def test_theme_chrome_is_one_warning_with_its_fix(truth):
    run, _, _ = truth
    chrome = [f for f in run.findings if f.code == "MK503" and "theme draws the" in f.message]
    # The default theme's header and footer (02), its footer citation (13)
    # and 12's footer off its band, and 09's footer: a built-in theme's fix goes
    # in each deck, so each deck is told. pale.css's footer, once in the theme
    # file; uncover's page number.
    assert len(chrome) == 6
    assert all(f.severity == "warning" and "{ color: #" in f.message for f in chrome)
    default = next(f for f in chrome if "the default theme" in f.message)
    assert default.path.endswith("02-chrome.md") and default.line == 4  # `header:`
    uncover = next(f for f in chrome if "the uncover theme" in f.message)
    assert "draws the page number in" in uncover.message and "`section::after { color: #" in uncover.message
    assert uncover.path.endswith("08-uncover-page.md") and uncover.line == 4  # `paginate:`


def test_a_slide_that_colours_its_own_page_number_is_its_own_problem(truth):
    """The page number's usual colour is the theme's; a slide's scoped style
    that makes it unreadable is reported on that slide, not blamed on the theme."""
    run, _, _ = truth
    own = {f.slide: f.message for f in run.findings
           if f.code == "MK503" and f.path.endswith("07-page-number.md")}
    assert set(own) == {2, 6}
    assert own[2].startswith('page number "2": contrast 1.61:1 (#cccccc on #ffffff)')
    assert "page number \"6\"" in own[6] and "background image" in own[6]


def test_cut_off_messages_say_what_the_audience_misses(truth):
    run, _, _ = truth
    messages = {(f.path.rsplit("/", 1)[-1], f.slide): f.message
                for f in run.findings if f.code == "MK501"}
    assert "past the slide's bottom edge" in messages[("01-layout.md", 11)]
    assert "runs under the footer" in messages[("02-chrome.md", 5)]
    assert "runs under the page number" in messages[("02-chrome.md", 9)]
    assert "columns not visible" in messages[("01-layout.md", 22)]
    assert "clipped" in messages[("01-layout.md", 23)]
    # A painted box the footer or page number is drawn over, though its text keeps clear.
    assert messages[("09-box-chrome.md", 1)].startswith("code block runs under the footer")
    assert messages[("10-course-code.md", 1)].startswith("code block runs under the footer")
    assert messages[("09-box-chrome.md", 4)].startswith("<blockquote> runs under the page number")
    # Text over text: a big decorative number drawn over the heading.
    assert messages[("13-overlap.md", 1)] == '<h6> "3" is drawn over the text of <h1> "Tracking experiments"'
    # Content that paints nothing is not content: MathJax's drawing of a bare
    # \def below an overflowing list is not a second thing cut off.
    macros = [f.message for f in run.findings if f.code == "MK501"
              and f.path.endswith("04-mathjax.md") and f.slide == 6]
    assert len(macros) == 1 and macros[0].startswith('<li> "item 11" runs')


def test_one_cut_off_finding_per_element_group_at_its_own_line(truth):
    """A list that presenter notes split into fourteen lists is one list on the
    slide: one finding, at the first point cut off. Code inside a raw-HTML
    wrapper is reported at its fence, not at the wrapper or the slide's heading."""
    run, _, _ = truth
    deck = FIXTURES / "12-groups.md"
    lines = deck.read_text(encoding="utf-8").splitlines()
    found = [f for f in run.findings if f.code == "MK501" and f.path.endswith("12-groups.md")]
    notes = [f for f in found if f.slide == 1]
    assert len(notes) == 1
    assert lines[notes[0].line - 1] == "- point 8"
    assert notes[0].message.startswith('<li> "point 8" and the 6 blocks after it run ')
    column = [f for f in found if f.slide == 2]
    assert len(column) == 1 and lines[column[0].line - 1] == "```python"


def test_static_estimates_never_contradict_the_render(truth, tmp_path_factory):
    """With a browser, MK401-MK405 stay only where the render measured the
    problem (content cut off, or code shrunk below the floor)."""
    run, expected, _ = truth
    root = Path(run.decks[0].path).parent.parent
    project = load_project(root)
    both = engine.run(project, load_settings({}, "MK4,MK5"), project.decks(), render=True)
    static = [f for f in both.findings if f.code.startswith("MK4")]
    confirmed = {(e[0], e[1]) for e in expected if e[2] in ("MK501", "MK502")}
    assert static  # the long code, tall lists and wide table are estimated too
    assert {(f.path, f.slide) for f in static} <= confirmed
    alone = engine.run(project, load_settings({}, "MK4"), project.decks(), render=False)
    assert alone.findings and all(f.message.endswith("(estimated without rendering)")
                                  for f in alone.findings)
    assert len(alone.findings) > len(static)  # what the render took back
    # Too-wide estimates are about one block: they stay exactly where that
    # block was measured shrunk below the floor or cut sideways, as the
    # slides' `expect: MK402`/`MK403` say (judged from Marp CLI's PNGs).
    wide = {(f.path, f.slide, f.code) for f in static if f.code in ("MK402", "MK403")}
    assert wide == {e for e in expected if e[2] in ("MK402", "MK403")}
    assert any(f.code == "MK404" and f.path.endswith("09-estimates.md") and f.slide == 2
               for f in static)  # the rows that run off stay MK404's

    # MK405 follows MK501's judgement: sixteen small-type points by a page
    # number the theme hides are estimated too long, and the render shows them whole.
    assert any(f.code == "MK405" and f.path.endswith("15-glow-text.md") and f.slide == 2
               for f in alone.findings)
    assert not any(f.path.endswith("15-glow-text.md") for f in both.findings)


def test_math_and_image_messages_name_what_failed(truth):
    """MathJax draws an undefined macro's name in red glyphs: the finding names
    it. A missing background image is named as the deck wrote it, never by
    the absolute path Chromium tried."""
    run, _, _ = truth
    math = [f.message for f in run.findings if f.code == "MK505" and f.path.endswith("04-mathjax.md")]
    assert math == ["math does not render: MathJax: undefined control sequence \\notamacro"]
    (image,) = [f for f in run.findings if f.code == "MK504"]
    assert image.message == "image 'missing%20photo.svg' does not load"
    assert (image.path, image.line) == ("slides/10-missing-image.md", 6)
