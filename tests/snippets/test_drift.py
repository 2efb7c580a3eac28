"""sync --check, lint and build agree on what is drift: one decision (snippets/expand.py)."""

from __future__ import annotations

import pytest

from conftest import write
from marpkit.config import load_project
from marpkit.model.load import open_deck
from marpkit.snippets.expand import expand
from marpkit.snippets.store import SnippetStore

FILE = "def f():\n    return 1\n"
# fence body (as written in the deck) -> whether the audience would see other code
CASES = {
    "same": ("def f():\n    return 1\n", False),
    "trailing spaces": ("def f():   \n    return 1  \n", False),
    "trailing blank lines": ("def f():\n    return 1\n\n\n", False),
    "tab instead of spaces": ("def f():\n\treturn 1\n", True),
    "leading blank line": ("\ndef f():\n    return 1\n", True),
    "a real change": ("def f():\n    return 2\n", True),
    "a missing line": ("def f():\n", True),
}


def _deck(project, body: str, newline: str = "\n"):
    write(project / "snippets" / "m" / "a.py", FILE)
    text = f"---\nmarp: true\n---\n\n# Code\n\n```python snippet=m/a.py\n{body}```\n"
    (project / "slides" / "d.md").write_bytes(text.replace("\n", newline).encode())


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["LF", "CRLF"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_sync_lint_and_build_agree(project, run_cli, case, newline):
    body, drifted = CASES[case]
    _deck(project, body, newline)
    sync_status, sync_out, _ = run_cli("sync", "--check")
    lint_status, lint_out, _ = run_cli("lint", "--no-render", "--select", "MK313", "slides/d.md")
    proj = load_project()
    deck = open_deck(proj, proj.slides_dir / "d.md")
    expanded, _ = expand(deck, SnippetStore(proj.snippets_dir))
    assert (sync_status == 1) is drifted, sync_out
    assert ("MK313" in sync_out) is drifted
    assert (lint_status == 1) is drifted, lint_out
    assert ("MK313" in lint_out) is drifted
    # The build shows the file's code whether or not the body drifted, and
    # leaves an undrifted deck byte for byte as it is.
    assert "    return 1" in expanded
    assert (expanded != deck.text) is drifted


def test_sync_fixes_what_lint_reports(project, run_cli):
    _deck(project, CASES["a real change"][0])
    assert run_cli("sync")[0] == 0
    assert run_cli("sync", "--check")[0] == 0
    assert run_cli("lint", "--no-render", "--select", "MK313", "slides/d.md")[0] == 0


def test_blockquoted_fence_is_synced_with_its_prefix(project, run_cli):
    write(project / "snippets" / "m" / "a.py", FILE)
    write(project / "slides" / "d.md",
          "---\nmarp: true\n---\n\n> ```python snippet=m/a.py\n> old()\n> ```\n")
    assert run_cli("sync", "--check")[0] == 1
    assert run_cli("sync")[0] == 0
    text = (project / "slides" / "d.md").read_text()
    assert "> def f():\n>     return 1\n> ```" in text
    assert run_cli("sync", "--check")[0] == 0
