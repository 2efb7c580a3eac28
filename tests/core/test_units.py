"""Unit tests of the small shared pieces: edits, marp, status, index."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from conftest import write
from marpkit.config import load_project
from marpkit.edits import apply_fixes
from marpkit.findings import Finding, Fix
from marpkit.marp import _messages, strip_remote_imports
from marpkit.marp.converter import MarpSettings
from marpkit.model.load import open_deck
from marpkit.outputs import index, status


def test_apply_fixes_applies_from_the_end_and_skips_overlaps():
    text = "abcdef"
    fixes = [Fix("a", 0, 1, "A"), Fix("cd", 2, 4, "CD"), Fix("overlap", 3, 5, "!"), Fix("far", 9, 10, "x")]
    out, applied = apply_fixes(text, fixes)
    # The later of two overlapping fixes wins; the other waits for the next run.
    assert out == "Abc!f"
    assert [f.description for f in applied] == ["a", "overlap"]


def test_apply_fixes_never_touches_text_outside_a_fix():
    out, _ = apply_fixes("x = 1\ny = 2\n", [Fix("y", 6, 11, "y = 3")])
    assert out == "x = 1\ny = 3\n"


def test_marp_messages_fold_continuation_lines():
    output = "[  INFO ] converting\n[  WARN ] theme missing\n   and more\n[ ERROR ] boom\nplain\n"
    warnings, errors = _messages(output)
    assert warnings == ["theme missing and more"] and errors == ["boom"]


def test_engine_config_is_offline_and_pins_the_language():
    settings = MarpSettings(Path("/project"))
    config = settings.engine("file:///fonts/")
    assert config["lang"] == "en"
    assert config["options"]["emoji"] == {"shortcode": True, "unicode": False}
    assert config["options"]["math"] == {"katexFontPath": "file:///fonts/"}
    assert "math" not in settings.engine(None)["options"]


def test_remote_imports_are_dropped():
    css = "@import url('https://fonts.example/x.css');\n@import 'local.css';\np{}"
    assert strip_remote_imports(css) == "\n@import 'local.css';\np{}"


def test_status_counts_per_deck_and_records_clean_decks(project):
    proj = load_project()
    findings = [Finding("slides/a.md", 1, 1, "MK201", "m"), Finding("slides/a.md", 2, 1, "MK315", "m", "warning"),
                Finding("snippets/x.py", 1, 1, "MK314", "m", "warning")]
    status.record(proj, "lint", status.summarize(proj, findings, ["slides/a.md", "slides/b.md"]))
    data = json.loads((proj.cache_dir / "status.json").read_text())
    assert data["lint"]["slides/a.md"]["errors"] == 1 and data["lint"]["slides/a.md"]["warnings"] == 1
    assert data["lint"]["slides/b.md"]["errors"] == 0
    assert "snippets/x.py" not in data["lint"]


def test_index_cards_show_each_decks_last_status(project):
    write(project / "slides" / "05-x.md", "---\nmarp: true\ntitle: Tracking\n---\n\n# One\n\n---\n\n# Two\n")
    proj = load_project()
    deck = open_deck(proj, proj.slides_dir / "05-x.md")
    status.record(proj, "check", {"slides/05-x.md": {"errors": 2, "warnings": 0}})
    write(project / "pyproject.toml", "[tool.marpkit.course]\nplanned = [6]\n")
    proj = load_project()
    job = SimpleNamespace(deck=deck, stem="05-x", source=proj.slides_dir / "05-x.md")
    card, planned = index.module_cards(proj, [job])
    assert planned["planned"] and planned["number"] == 6
    assert card["title"] == "Tracking" and card["slides"] == 2
    found = dict(card["status"])
    assert found["check"]["label"] == "2 errors" and found["lint"]["label"] == "not run"
