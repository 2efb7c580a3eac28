"""The VS Code tasks in .vscode/tasks.json put every lint finding in the Problems panel.

Each task is run as VS Code would run it (variables substituted, in the
workspace folder) on a deck with known findings, and its problem matcher is
applied to what it prints: every finding must come out as a problem at the
right file, line, column, severity and code.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from conftest import ROOT, shared_path

TASKS = json.loads((ROOT / ".vscode" / "tasks.json").read_text(encoding="utf-8"))["tasks"]


def _problems(task: dict, output: str) -> list[dict]:
    matcher = task["problemMatcher"]
    pattern = matcher["pattern"]
    regexp = re.compile(pattern["regexp"])
    problems = []
    for line in output.splitlines():
        if match := regexp.match(line):
            problem = {key: match.group(pattern[key]) for key in
                       ("severity", "file", "line", "column", "code", "message")}
            # VS Code reads error and warning; any other word gets the matcher's own severity.
            if problem["severity"] not in ("error", "warning"):
                problem["severity"] = matcher.get("severity", "error")
            problems.append(problem)
    return problems


@pytest.mark.parametrize("task", TASKS, ids=[t["label"] for t in TASKS])
def test_task_output_lands_in_the_problems_panel(task, project):
    seed = shared_path("seed", "05-wandb-tracking.original.md")
    deck = project / "slides" / "05-wandb-tracking.md"
    deck.write_bytes(seed.read_bytes())
    names = {"${workspaceFolder}": str(project), "${file}": str(deck)}

    def substitute(text: str) -> str:
        for name, value in names.items():
            text = text.replace(name, value)
        return text

    command = substitute(task["command"]).replace(str(project / ".venv"), str(ROOT / ".venv"))
    args = [substitute(a) for a in task["args"]]
    cwd = substitute(task["options"]["cwd"])
    proc = subprocess.run([command, *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    assert task["problemMatcher"]["fileLocation"] == ["relative", "${workspaceFolder}"]

    # What the same deck (as the task left it: the fix task rewrites it) holds.
    marpkit = str(ROOT / ".venv" / "bin" / "marpkit")
    expected = json.loads(subprocess.run([marpkit, "lint", "--format", "json", str(deck)], cwd=cwd,
                                         capture_output=True, text=True, timeout=300).stdout)
    problems = _problems(task, proc.stdout)
    assert len(problems) == len(expected) > 0
    lines = deck.read_text(encoding="utf-8").splitlines()
    for problem, finding in zip(problems, expected, strict=True):
        assert (project / problem["file"]).resolve() == deck.resolve()
        assert (int(problem["line"]), int(problem["column"])) == (finding["line"], finding["column"])
        assert 1 <= int(problem["line"]) <= len(lines)
        assert problem["severity"] == finding["severity"]
        assert problem["code"] == finding["code"]
        assert problem["message"].startswith(finding["message"][:40].replace("%", "%25"))
