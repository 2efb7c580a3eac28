"""Every code marpkit can print is in the one registry, and the docs come from it."""

from __future__ import annotations

import re

import pytest

from conftest import ROOT
from marpkit.codes import all_codes

_CODE = re.compile(r"\bMK\d{3}\b")


def source_codes() -> dict[str, str]:
    """Each MK code that appears in marpkit's source, with one place it appears."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "tools" / "marpkit").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for code in _CODE.findall(line):
                found.setdefault(code, f"{path.relative_to(ROOT)}:{number}")
    return found


def test_every_code_in_the_source_is_registered():
    registered = all_codes()
    missing = {code: where for code, where in source_codes().items() if code not in registered}
    assert not missing, f"codes printed but not in marpkit.codes: {missing}"


@pytest.mark.parametrize("code", sorted(all_codes()))
def test_rule_explains_every_code(run_cli, code):
    status, out, err = run_cli("rule", code)
    assert status == 0, err
    assert out.startswith(f"{code} (")
    assert "Why:" in out and "Example:" in out


def test_check_and_build_codes_are_explained(run_cli):
    for code in ("MK301", "MK307", "MK900", "MK902"):
        status, out, _ = run_cli("rule", code.lower())
        assert status == 0 and code in out


def test_unknown_code_is_a_usage_error(run_cli):
    status, _, err = run_cli("rule", "MK999")
    assert status == 2 and "unknown code 'MK999'" in err


def test_generated_docs_are_current():
    from marpkit.outputs.docs import check_doc, rules_markdown

    regenerate = "regenerate: .venv/bin/python -m marpkit.outputs.docs"
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == rules_markdown(), regenerate
    check = (ROOT / "docs" / "check.md").read_text(encoding="utf-8")
    assert check == check_doc(check), regenerate
    assert "| MK301 |" in check and "| MK902 |" in (ROOT / "docs" / "rules.md").read_text()


def test_every_code_is_known_without_loading_a_stage():
    """`marpkit rule`, SARIF and the editor's links read the codes before (or without) lint."""
    import subprocess
    import sys

    script = ("import sys\nfrom marpkit.codes import all_codes\ncodes = all_codes()\n"
              "print(len(codes), 'MK401' in codes, 'MK501' in codes, "
              "any(m.startswith('marpkit.lint') for m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT / "tools")}, check=True)
    count, has_static, has_rendered, lint_loaded = proc.stdout.split()
    assert int(count) > 40 and has_static == has_rendered == "True" and lint_loaded == "False"
