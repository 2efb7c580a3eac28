"""docs/architecture.md stays true: every module and test it names exists, and
the orchestrators stay readable (no function over 60 lines in check/ and build/)."""

from __future__ import annotations

import ast
import re

from conftest import ROOT

GUIDE = ROOT / "docs" / "architecture.md"


def test_every_path_the_guide_names_exists():
    text = GUIDE.read_text(encoding="utf-8")
    named = set(re.findall(r"(?:tools/marpkit|tests)/[\w/]+(?:\.py|/)", text))
    assert len(named) > 20
    missing = sorted(p for p in named if not (ROOT / p).exists())
    assert missing == [], missing


def test_every_package_is_in_the_guides_picture():
    text = GUIDE.read_text(encoding="utf-8")
    packages = sorted(p.name for p in (ROOT / "tools" / "marpkit").iterdir()
                      if (p / "__init__.py").is_file())
    assert [p for p in packages if f"{p}/" not in text] == []


def test_no_function_over_60_lines_in_check_and_build():
    long = []
    for package in ("check", "build"):
        for path in sorted((ROOT / "tools" / "marpkit" / package).glob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    lines = node.end_lineno - node.lineno + 1
                    if lines > 60:
                        long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} lines)")
    assert long == []
