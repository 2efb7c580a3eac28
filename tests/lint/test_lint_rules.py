"""Every static lint rule: a small deck that triggers it and one that does not."""

from __future__ import annotations

import tempfile
import textwrap
from pathlib import Path

import pytest

from conftest import write
from marpkit.config import load_project
from marpkit.lint import engine
from marpkit.lint.registry import REGISTRY
from marpkit.lint.rules import load_rules
from marpkit.lint.settings import load_settings

HEAD = "---\nmarp: true\n---\n\n"


def lint(root, text, *, name="01-demo.md", files=None, config="", select=None, raw=None):
    """Lint one deck in a fresh project under `root`; returns the findings."""
    (root / "pyproject.toml").write_text("[tool.marpkit]\n" + textwrap.dedent(config))
    for rel, content in (files or {}).items():
        write(root / rel, content)
    deck = root / "slides" / name
    if raw is not None:
        deck.write_bytes(raw)
    else:
        deck.write_text(text, encoding="utf-8", newline="")
    project = load_project(root)
    settings = load_settings(project.section("lint"), select)
    return engine.run(project, settings, project.decks(), render=False).findings


def codes(findings):
    return [f.code for f in findings]


SNIPPET = "import os\n\n# region main\nprint(os.sep)\n# endregion main\n"
COURSE = "[tool.marpkit.course]\nplanned = [1, 2, 3]\n"

# code -> (deck that triggers it, deck that does not, extra files, pyproject text)
CASES = {
    "MK101": ("---\nmarp: true\nfooter: \"open\n---\n\n# A\n",
              HEAD + "<!-- _class: lead -->\n# A\n", {}, ""),
    "MK102": ("---\ntheme: default\n---\n\n# A\n", HEAD + "# A\n", {}, ""),
    "MK103": (HEAD + "<!-- _backgroundColr: #0d1117 -->\n\n# A\n",
              HEAD + "<!-- Speaker: remember to pause -->\n<!-- _backgroundColor: #fff -->\n# A\n",
              {}, ""),
    "MK104": (HEAD + "<!-- _theme: gaia -->\n# A\n", HEAD + "<!-- _class: lead -->\n# A\n", {}, ""),
    "MK105": ("---\nmarp: true\ntheme: gaya\n---\n# A\n",
              "---\nmarp: true\ntheme: course\n---\n# A\n",
              {"themes/course.css": "/*\n * Course theme.\n *\n * @theme course\n */\n@import 'default';\n"}, ""),
    "MK106": ("---\nmarp: true\nsize: 16:10\n---\n# A\n",
              "---\nmarp: true\ntheme: wide\nsize: 16:10\n---\n# A\n",
              {"themes/wide.css": "/*\n * @theme wide\n * @size 16:10 1280px 800px\n */\n"}, ""),
    "MK107": (HEAD + "<!-- $theme: gaia -->\n# A\n", HEAD + "<!-- theme: gaia -->\n# A\n", {}, ""),
    "MK108": (HEAD + "# A\n\n![bg](#fff)\n![](red)\n", HEAD + "# A\n\n![bg](img/photo.png)\n",
              {}, ""),
    "MK109": ("---\nmarp: true\ntheme: default\n---\n<!-- theme: gaia -->\n# A\n",
              "---\nmarp: true\ntheme: default\n---\n# A\n", {}, ""),
    "MK110": (HEAD + "# A\n\nThe loss is $x^2$.\n",
              HEAD + "# A\n\nIt costs $5 or $10.\n\n```python\nprice = '$x$'\n```\n", {}, ""),
    "MK111": ("---\nmarp: true\n\n# Welcome\n## Subtitle\n---\n\n# B\n",
              "---\nmarp: true\n# size: 4:3\n# header: x\n---\n\n# B\n", {}, ""),
    "MK201": (HEAD + "# Caf\u221a\u00a9 \u201a\u00c4\u00a2 Lab\n", HEAD + "# Café • Vương ✅\n",
              {}, ""),
    "MK202": (HEAD + "# Caf\ufffd\n", HEAD + "# Café\n", {}, ""),
    "MK203": (HEAD + "# mar\u200bp\n", HEAD + "# Dev \U0001f469\u200d\U0001f4bb\n", {}, ""),
    "MK310": (HEAD + "```python snippet=gone.py\n```\n",
              HEAD + "```python snippet=demo.py#main\nprint(os.sep)\n```\n",
              {"snippets/demo.py": SNIPPET}, ""),
    "MK311": (HEAD + "```python snippet=demo.py#nope\n```\n",
              HEAD + "```python snippet=demo.py#main\nprint(os.sep)\n```\n",
              {"snippets/demo.py": SNIPPET}, ""),
    "MK312": (HEAD + "```python snippet=../pyproject.toml\n```\n",
              HEAD + "```python snippet=demo.py#main\nprint(os.sep)\n```\n",
              {"snippets/demo.py": SNIPPET}, ""),
    "MK313": (HEAD + "```python snippet=demo.py#main\nprint('old')\n```\n",
              HEAD + "```python snippet=demo.py#main\nprint(os.sep)\n```\n",
              {"snippets/demo.py": SNIPPET}, ""),
    "MK314": (HEAD + "# A\n", HEAD + "```python snippet=demo.py#main\nprint(os.sep)\n```\n",
              {"snippets/demo.py": SNIPPET}, ""),
    "MK315": (HEAD + "```python\nprint(1)\n```\n",
              HEAD + "```text\nprint(1)\n```\n\n"
              "```python snippet=demo.py#main\nprint(os.sep)\n```\n",
              {"snippets/demo.py": SNIPPET}, ""),
    "MK316": (HEAD + "```python snippet=bad.py#main\nx = 1\n```\n",
              HEAD + "```python snippet=demo.py#main\nprint(os.sep)\n```\n",
              {"snippets/bad.py": "# region main\nx = 1\n# endregion other\n",
               "snippets/demo.py": SNIPPET}, ""),
    "MK401": (HEAD + "## Loop\n\n```text\n" + "x = 1\n" * 30 + "```\n",
              HEAD + "## Loop\n\n```text\n" + "x = 1\n" * 8 + "```\n", {}, ""),
    "MK402": (HEAD + "```text\n" + "x" * 130 + "\n```\n", HEAD + "```text\n" + "x" * 40 + "\n```\n",
              {}, ""),
    "MK403": (HEAD + "| " + " | ".join(f"Configuration{i}" for i in range(8)) + " |\n"
              + "|---" * 8 + "|\n" + "| a " * 8 + "|\n",
              HEAD + "| A | B |\n|---|---|\n| 1 | 2 |\n", {}, ""),
    "MK404": (HEAD + "| A | B |\n|---|---|\n" + "| 1 | 2 |\n" * 20,
              HEAD + "| A | B |\n|---|---|\n" + "| 1 | 2 |\n" * 3, {}, ""),
    "MK405": (HEAD + "## Too much\n\n" + "".join(f"- point {i}\n" for i in range(25)),
              HEAD + "## Enough\n\n- one\n- two\n- three\n", {}, ""),
    "MK601": (HEAD + "# Tracking\n\n**Module 4 of 9**\n",
              HEAD + "# Tracking\n\n**Module 4 of 4**\n",
              {}, COURSE),
    "MK602": (HEAD + "# End\n\nNext: Module 7 - Serving\n",
              HEAD + "# End\n\nNext: Module 3 - Serving\n", {}, COURSE),
    "MK603": ("---\nmarp: true\nfooter: Old Lab\n---\n# A\n",
              "---\nmarp: true\nfooter: Lab\n---\n# A\n",
              {}, '[tool.marpkit.course]\nfooter = "Lab"\n'),
    "MK604": ("---\nmarp: true\ntheme: gaia\n---\n# A\n",
              "---\nmarp: true\ntheme: default\n---\n# A\n",
              {}, '[tool.marpkit.course]\ntheme = "default"\n'),
    "MK605": (HEAD + "# Welcome\n", HEAD + "# Welcome\n", {}, ""),
    "MK701": (HEAD + "# A\n\n![w:200 left](img/chart.png)\n",
              HEAD + "# A\n\n![w:200 Loss over time](img/chart.png)\n\n![bg](img/photo.png)\n"
              "\n![bg](#fff)\n", {}, ""),
    "MK702": (HEAD + "# A\n\n![Chart](../figures/chart.png)\n",
              HEAD + "# A\n\n![Chart](img/chart.png)\n\n![Remote](https://example.invalid/a.png)\n",
              {}, ""),
    "MK703": (HEAD + "# A\n\n![Chart](https://example.invalid/a.png)\n",
              HEAD + "# A\n\n![Chart](img/chart.png)\n\n```md\n![Remote](https://example.invalid/a.png)\n```\n",
              {}, ""),
}
CASES["MK317"] = (HEAD + '# A\n\n![loss: 2 points](charts/loss.svg "chart: demo.py loss")\n',
                  HEAD + '# A\n\n![loss: 2 points](charts/loss.svg "chart: demo.py loss")\n',
                  {"snippets/demo.py": SNIPPET}, "")
CASES["MK318"] = (HEAD + '# A\n\n![](charts/loss.svg "chart: demo.py")\n',
                  HEAD + '# A\n\n![loss: 2 points](charts/loss.svg "chart: demo.py loss")\n\n'
                  '![a plain image](img/a.svg "a title")\n',
                  {"snippets/demo.py": SNIPPET}, "")


def _drawn_chart() -> str:
    """The file sync would draw for CASES["MK317"]'s good deck: the chart records the
    snippets folder's digest, which depends on its files' names and bytes alone."""
    from marpkit.charts.spec import parse_spec
    from marpkit.charts.state import drawn_head
    from marpkit.charts.svg import Line, draw
    from marpkit.snippets.identity import source_digest

    with tempfile.TemporaryDirectory() as tmp:
        snippet = Path(tmp) / "demo.py"
        snippet.write_text(SNIPPET, encoding="utf-8")
        head = drawn_head(source_digest(Path(tmp), snippet), parse_spec("chart: demo.py loss"))
    return draw([Line("loss", [(0.0, 1.0), (1.0, 0.5)])], "step", title="loss: 2 points",
                head=head)


NAMES = {"MK601": "04-tracking.md", "MK602": "02-end.md", "MK605": "index.md"}
GOOD_NAMES = {"MK605": "00-index.md"}
GOOD_FILES = {"MK316": {"snippets/demo.py": SNIPPET},
              "MK317": {"snippets/demo.py": SNIPPET, "slides/charts/loss.svg": _drawn_chart()}}


def test_every_lint_code_has_a_rule_function():
    """Codes are declared in marpkit.codes; each lint code needs the function that finds it."""
    from marpkit.codes import CODES

    assert set(load_rules()) == {c for c, info in CODES.items() if info.stage == "lint"}


def test_a_rule_for_an_undeclared_code_is_refused():
    from marpkit.lint.registry import rule

    with pytest.raises(ValueError, match="MK499"):
        rule("MK499")
    with pytest.raises(ValueError, match="MK301"):
        rule("MK301")  # a check code: no lint function may claim it


def test_every_static_rule_has_a_case():
    load_rules()
    static = {c for c, r in REGISTRY.items() if r.scope != "rendered" and c != "MK204"}
    assert static == set(CASES)


@pytest.mark.parametrize("code", sorted(CASES))
def test_rule_triggers(project, code):
    bad, _good, files, config = CASES[code]
    found = lint(project, bad, files=files, config=config, name=NAMES.get(code, "01-demo.md"))
    assert code in codes(found), found
    for f in found:
        assert f.format().startswith(f"slides/{NAMES.get(code, '01-demo.md')}:") or \
            f.path.startswith("snippets/")


@pytest.mark.parametrize("code", sorted(CASES))
def test_rule_stays_quiet(project, code):
    _bad, good, files, config = CASES[code]
    found = lint(project, good, files=GOOD_FILES.get(code, files), config=config,
                 name=GOOD_NAMES.get(code, NAMES.get(code, "01-demo.md")))
    assert code not in codes(found), found


def test_unknown_directive_suggests(project):
    found = lint(project, CASES["MK103"][0], select="MK103")
    assert "did you mean `_backgroundColor`?" in found[0].message
    assert (found[0].line, found[0].column, found[0].slide) == (5, 6, 1)


def test_prose_comment_is_not_a_yaml_error(project):
    text = HEAD + "# A\n\n<!-- TODO: check: the numbers -->\n\n<!-- _class: [lead -->\n"
    found = lint(project, text, select="MK101")
    assert [f.line for f in found] == [9]


def test_yaml_error_has_its_line(project):
    found = lint(project, "---\nmarp: true\ntheme: [a\nfooter: x\n---\n# A\n", select="MK101")
    assert found and found[0].line in (4, 5)


def test_not_utf8_is_a_finding_not_a_crash(project):
    found = lint(project, None, raw=b"---\nmarp: true\n---\n# Caf\xe9\n")
    assert codes(found) == ["MK204"]
    assert (found[0].line, found[0].column) == (4, 6)


def test_mojibake_message_and_fix(project):
    text = HEAD + 'Footer "BAI Lab \u201a\u00c4\u00a2 V\u2206\u221e\u2206\u00b0ng"\n'
    found = lint(project, text, select="MK201")
    (f,) = found
    assert f.message.startswith('mojibake: "\u201a\u00c4\u00a2" should read "\u2022"')
    assert (f.line, f.column) == (5, 17)
    fixed = text[: f.fix.start] + f.fix.replacement + text[f.fix.end:]
    assert "BAI Lab \u2022 V\u01b0\u01a1ng" in fixed


@pytest.mark.parametrize("garbled, clean", [
    ("\u00e2\u0080\u0099", "\u2019"),  # Latin-1
    ("\u00e2\u20ac\u2122", "\u2019"),  # cp1252
    ("\u201a\u00c4\u00f4", "\u2019"),  # Mac Roman
    ("\u00c3\u00a9t\u00c3\u00a9", None),  # split by ASCII: each run is judged alone
])
def test_mojibake_encodings(garbled, clean):
    from marpkit.lint.rules.text import fix_mojibake

    if clean is None:
        assert fix_mojibake("\u00c3\u00a9") == "\u00e9"
    else:
        assert fix_mojibake(garbled) == clean


@pytest.mark.parametrize("text", [
    "Fran\u00e7ais \u00e9t\u00e9", "\u65e5\u672c\u8a9e\u306e\u30b9\u30e9\u30a4\u30c9",
    "\u00bfQu\u00e9?", "\u2014 \u00ab quote \u00bb", "\u00c4\u00d6\u00dc \u00df",
])
def test_no_mojibake_in_real_text(text):
    from marpkit.lint.rules.text import mojibake_runs

    assert mojibake_runs(text) == []


def test_drift_fix_uses_snippet_code(project):
    bad, _good, files, _ = CASES["MK313"]
    (f,) = [f for f in lint(project, bad, files=files) if f.code == "MK313"]
    assert f.fix is not None and f.fix.replacement == "print(os.sep)\n"


def test_slide_disable_comment(project):
    text = (HEAD + "# A\n\n```python\nprint(1)\n```\n\n---\n\n<!-- marpkit-disable MK315 -->\n\n"
            "```python\nprint(2)\n```\n")
    found = [f for f in lint(project, text) if f.code == "MK315"]
    assert [f.slide for f in found] == [1]


def test_disable_without_codes_silences_slide(project):
    text = HEAD + "<!-- marpkit-disable -->\n# Caf\ufffd\n\n```python\nprint(1)\n```\n"
    assert lint(project, text) == []


def test_thresholds_from_config(project):
    bad = CASES["MK401"][0]
    assert "MK401" in codes(lint(project, bad))
    quiet = lint(project, bad, config="[tool.marpkit.lint.thresholds]\nmax_code_lines = 40\n")
    assert "MK401" not in codes(quiet)


def test_select_ignore_and_per_file_ignores(project):
    text = HEAD + "# Caf\ufffd\n\n```python\nprint(1)\n```\n"
    assert set(codes(lint(project, text))) == {"MK202", "MK315"}
    assert codes(lint(project, text, select="MK2")) == ["MK202"]
    cfg = '[tool.marpkit.lint]\nignore = ["MK3"]\n'
    assert codes(lint(project, text, config=cfg)) == ["MK202"]
    cfg = '[tool.marpkit.lint.per-file-ignores]\n"slides/01-*.md" = ["MK202"]\n'
    assert codes(lint(project, text, config=cfg)) == ["MK315"]


def test_four_by_three_is_narrower(project):
    wide = "```text\n" + "x" * 60 + "\n```\n"
    assert "MK402" not in codes(lint(project, HEAD + wide))
    assert "MK402" in codes(lint(project, "---\nmarp: true\nsize: 4:3\n---\n" + wide))


def test_crlf_positions(project):
    text = HEAD.replace("\n", "\r\n") + "# Caf\ufffd\r\n"
    (f,) = lint(project, text, select="MK202")
    assert (f.line, f.column) == (5, 6)


def test_unknown_theme_is_reported_where_it_is_written(project):
    text = "---\nmarp: true\ntheme: gaiaa\n---\n\n<!-- theme: default -->\n\n# A\n"
    found = lint(project, text, select="MK105")
    assert [(f.line, f.column) for f in found] == [(3, 8)]
    assert "did you mean `gaia`?" in found[0].message


def test_course_consistency_prints_no_python_values(project):
    config = '[tool.marpkit.course]\ntheme = "gaia"\n'
    (f,) = lint(project, HEAD + "# A\n", select="MK604", config=config)
    assert f.message == "theme is not set (so `default`); the course uses `gaia`"
    # Marp's default theme is what a deck without `theme` gets: no finding.
    assert lint(project, HEAD + "# A\n", select="MK604",
                config='[tool.marpkit.course]\ntheme = "default"\n') == []
    assert "None" not in f.message and "'" not in f.message


@pytest.mark.parametrize("alt, warned", [
    ("", True), ("w:200", True), ("bg", False), ("left w:300 sepia", True),
    ("A chart", False), ("w:200 h:100 Loss curve", False), ("bg right:40%", False),
])
def test_marp_keywords_are_not_alt_text(project, alt, warned):
    found = lint(project, HEAD + f"# A\n\n![{alt}](img/x.png)\n", select="MK701")
    assert bool(found) == warned


def test_a_deck_named_index_is_fine_without_a_course_index(project):
    found = lint(project, HEAD + "# Welcome\n", config="[tool.marpkit.build]\nindex = false\n",
                 name="index.md", select="MK605")
    assert found == []
