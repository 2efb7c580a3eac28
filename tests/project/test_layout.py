"""The layout keeps its promises: stages do not import one another, language
knowledge has one home, and the light commands stay light."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, write

PACKAGE = ROOT / "tools" / "marpkit"
STAGES = ("check", "lint", "build")
# The one seam between stages: checked outputs that sync and build show in `output=` fences.
SEAMS = {"marpkit.check.output_fences"}


def imports_of(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def stage_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "marpkit" and parts[1] in STAGES else None


def test_stages_do_not_import_one_another():
    crossings = []
    for stage in STAGES:
        for path in sorted((PACKAGE / stage).rglob("*.py")):
            for module in imports_of(path):
                other = stage_of(module)
                if other and other != stage and not any(module.startswith(s) for s in SEAMS):
                    crossings.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not crossings, crossings


def test_lower_layers_import_no_stage():
    """model/ and snippets/ are what every stage builds on: they import none of them."""
    crossings = [f"{path.relative_to(ROOT)} imports {module}"
                 for layer in ("model", "snippets") for path in sorted((PACKAGE / layer).rglob("*.py"))
                 for module in imports_of(path) if stage_of(module) or module.startswith("marpkit.commands")]
    assert not crossings, crossings


def test_pygments_is_imported_in_one_module():
    users = sorted(str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
                   if any(m == "pygments" or m.startswith("pygments.") for m in imports_of(path)))
    assert users == ["snippets/languages.py"]


# What only the commands that need it may load: W&B (check), the browser
# driver (serve's tests), rich (progress bars), jinja2 (pages), plotting.
HEAVY = ("wandb", "playwright", "rich", "jinja2", "matplotlib", "vl_convert")


@pytest.mark.parametrize("args", [["inspect", "slides/d.md"], ["sync", "--check"],
                                  ["lint", "--no-render", "--format", "json"]], ids=lambda a: a[0])
def test_light_commands_import_nothing_heavy(project, args):
    """The one test of it: inspect, sync and static lint start in a blink."""
    write(project / "snippets" / "m" / "a.py", "# region r\nprint(1)\n# endregion\n")
    write(project / "slides" / "d.md", "---\nmarp: true\n---\n\n# T\n\n```python snippet=m/a.py#r\nprint(1)\n```\n")
    script = ("import sys\nfrom marpkit.cli import main\n"
              f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
              f"print('HEAVY', json.dumps(sorted(m for m in {HEAVY!r} "
              "if m in sys.modules)), file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", "import json\n" + script], cwd=project,
                          capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "tools")})
    line = next(x for x in proc.stderr.splitlines() if x.startswith("HEAVY"))
    assert json.loads(line.split(" ", 1)[1]) == [], proc.stderr


