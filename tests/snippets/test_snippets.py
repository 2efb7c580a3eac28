import os
from pathlib import Path

import pytest

from conftest import write
from marpkit.snippets.store import parse_snippet

NESTED = """\
import wandb

# region outer
def main():
    # region inner
    run = wandb.init()
    run.log({"a": 1})
    # endregion inner
    run.finish()
# endregion
"""


def test_whole_file_hides_marker_lines():
    snippet = parse_snippet(None, NESTED)
    code, lines = snippet.shown(None)
    assert "region" not in code
    assert lines == [1, 2, 4, 6, 7, 9]


def test_nested_region_is_dedented_and_maps_lines():
    snippet = parse_snippet(None, NESTED)
    assert snippet.shown("inner") == ('run = wandb.init()\nrun.log({"a": 1})\n', [6, 7])
    outer, lines = snippet.shown("outer")
    assert outer.startswith("def main():\n    run = wandb.init()")
    assert lines == [4, 6, 7, 9]


def test_c_like_markers_and_blank_edges():
    snippet = parse_snippet(None, "// region r\n\n  int x = 1;\n\n// endregion\n")
    assert snippet.shown("r") == ("int x = 1;\n", [3])


def test_marker_errors_are_reported():
    snippet = parse_snippet(None, "# region a\nx\n# endregion b\n# endregion\n# region c\n")
    messages = [m for _, m in snippet.errors]
    assert any("closes region 'a'" in m for m in messages)
    assert any("without a matching region" in m for m in messages)
    assert any("'c' is never closed" in m for m in messages)


DECK = """\
---
marp: true
---

# Code

```python snippet={ref}
old
```
"""


def deck_with(project, ref):
    return write(project / "slides" / "d.md", DECK.format(ref=ref))


def test_missing_file_error_names_line_column_and_slide(project, run_cli):
    deck_with(project, "m/nope.py")
    code, out, _ = run_cli("sync", "--check")
    assert code == 1
    assert out.strip() == (
        "slides/d.md:7:11: MK310 snippet file 'm/nope.py' does not exist (slide 1 \"Code\")")


def test_unknown_region_never_falls_back_to_the_whole_file(project, run_cli):
    write(project / "snippets" / "m" / "a.py", "# region init\nx = 1\n# endregion\nSECRET = 2\n")
    deck_with(project, "m/a.py#train")
    code, out, _ = run_cli("build", "--format", "html")
    assert code == 1
    assert "MK311 snippet 'm/a.py' has no region 'train' (regions: init)" in out
    assert not (project / "build" / "d.html").exists()


def test_escaping_paths_are_refused_and_never_read(project, run_cli, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "secret.py"
    outside.write_text("TOP_SECRET = 1\n")
    os.symlink(outside, project / "snippets" / "link.py")
    for ref in ["../pyproject.toml", str(outside), "link.py", "a/../../x.py"]:
        deck_with(project, ref)
        code, out, _ = run_cli("build", "--format", "html")
        assert code == 1, ref
        assert "MK312" in out and "leaves the snippets folder" in out, ref
        assert not (project / "build" / "d.html").exists()
        assert "TOP_SECRET" not in out


def test_sync_rewrites_and_check_detects_drift(project, run_cli):
    snippet = write(project / "snippets" / "m" / "a.py", "# region r\nprint('new')\n# endregion\n")
    deck = deck_with(project, "m/a.py#r")
    code, out, _ = run_cli("sync", "--check")
    assert code == 1
    assert "slides/d.md:8:1: MK313 fence body differs from snippet m/a.py#r" in out
    assert run_cli("sync")[0] == 0
    assert "```python snippet=m/a.py#r\nprint('new')\n```\n" in deck.read_text()
    assert run_cli("sync", "--check")[0] == 0
    snippet.write_text("# region r\nprint('edited')\n# endregion\n")
    code, out, _ = run_cli("sync", "--check")
    assert code == 1 and "MK313" in out


def test_sync_keeps_crlf_line_endings(project, run_cli):
    write(project / "snippets" / "a.py", "x = 1\ny = 2\n")
    deck = project / "slides" / "d.md"
    deck.write_bytes(b"# T\r\n\r\n```python snippet=a.py\r\nold\r\n```\r\n")
    assert run_cli("sync")[0] == 0
    assert deck.read_bytes() == b"# T\r\n\r\n```python snippet=a.py\r\nx = 1\r\ny = 2\r\n```\r\n"


# --------------------------------------------------------------------------- languages (pygments)

@pytest.mark.parametrize("name, text", [
    ("q.sql", "-- region pick\nSELECT 1;\n-- endregion\n"),
    ("p.html", "<!-- region pick -->\n<p>hi</p>\n<!-- endregion -->\n"),
    ("s.css", "/* region pick */\np { color: red; }\n/* endregion */\n"),
    ("a.py", "# region pick\nprint(1)\n# endregion\n"),
])
def test_region_markers_are_comments_of_the_language(name, text):
    from marpkit.snippets.store import parse_snippet

    snippet = parse_snippet(Path(name), text)
    assert not snippet.errors
    code, lines = snippet.shown("pick")
    assert code == text.splitlines()[1] + "\n" and lines == [2]


def test_marker_inside_a_string_literal_is_not_a_marker():
    from marpkit.snippets.store import parse_snippet

    text = 'HELP = """\n# region fake\n"""\n# region real\nprint(HELP)\n# endregion\n'
    snippet = parse_snippet(Path("a.py"), text)
    assert set(snippet.regions) == {"real"} and not snippet.errors
    assert "# region fake" in snippet.shown(None)[0]


@pytest.mark.parametrize("text, message", [
    ("# region a\nx = 1\n# endregion\n# region a\ny = 2\n# endregion\n", "defined twice"),
    ("# region a\nx = 1\n", "never closed"),
])
def test_malformed_markers_are_refused_by_every_command(project, run_cli, text, message):
    write(project / "snippets" / "m" / "a.py", text)
    write(project / "slides" / "d.md", "---\nmarp: true\n---\n\n# T\n\n```python snippet=m/a.py#a\nx = 1\n```\n")
    for args in (["sync", "--check"], ["sync"], ["lint", "--no-render"]):
        status, out, _ = run_cli(*args)
        assert status == 1 and "MK316" in out and message in out, (args, out)


def test_empty_region_name_is_an_error(project, run_cli):
    write(project / "snippets" / "m" / "a.py", "# region a\nx = 1\n# endregion\n")
    write(project / "slides" / "d.md", "---\nmarp: true\n---\n\n```python snippet=m/a.py#\nx = 1\n```\n")
    status, out, _ = run_cli("sync", "--check")
    assert status == 1 and "MK311" in out and "empty region name" in out


def test_extract_names_files_by_the_language(project, run_cli):
    write(project / "slides" / "d.md",
          "---\nmarp: true\n---\n\n# Q\n\n```sql\nSELECT 1;\n```\n\n---\n\n# R\n\n```r\nx <- 1\n```\n")
    assert run_cli("extract", "slides/d.md")[0] == 0
    assert (project / "snippets" / "d" / "01-q.sql").is_file()
    assert (project / "snippets" / "d" / "02-r.R").is_file()
