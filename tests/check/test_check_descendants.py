"""Recording in the Python processes a snippet starts (check/descendants.py), without W&B.

The W&B side (spawn and fork pools, `python worker.py`) is judged end to end
in test_check_claims.py; here: what a child interpreter writes, that one which
never imports wandb is not made to, SIGTERM (Pool.terminate) still leaves a
record, and how the parent merges.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from marpkit.check import descendants

SCRIPT = """\
import sys

total = 0
for step in range(3):
    total += step
print("wandb" in sys.modules, flush=True)
"""


def _start(tmp_path: Path, script: str, **kwargs) -> tuple[subprocess.Popen, Path]:
    work, out = tmp_path / "work", tmp_path / "out"
    work.mkdir()
    out.mkdir()
    (work / "child.py").write_text(script)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARPKIT_CHECK")}
    env.update(descendants.env(str(out), str(work)))
    proc = subprocess.Popen([sys.executable, "child.py"], cwd=work, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)
    return proc, out


def _records(out: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((out / descendants.FOLDER).glob("*.json"))]


def test_child_interpreter_records_its_lines_and_imports_no_wandb(tmp_path):
    proc, out = _start(tmp_path, SCRIPT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    assert stdout.strip() == "False"  # the W&B patches wait for the snippet's own import
    assert stderr == ""  # nothing of coverage.py's in the child's output
    [record] = _records(out)
    assert record["calls"] == [] and record["lines"]["child.py"] == [1, 3, 4, 5, 6]


def test_child_ended_by_sigterm_still_leaves_its_record(tmp_path):
    proc, out = _start(tmp_path, "import time\nprint('ready', flush=True)\ntime.sleep(600)\n")
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGTERM  # it still dies of the signal
    [record] = _records(out)
    assert record["lines"]["child.py"][:2] == [1, 2]


def test_collect_merges_processes_as_one_would_have_aggregated(tmp_path):
    folder = tmp_path / descendants.FOLDER
    folder.mkdir()
    log = {"op": "log", "run": "r1", "file": "snippet.py", "line": 9, "count": 1,
           "keys": {"loss": False}, "dropped": 0}
    (folder / "1-a.json").write_text(json.dumps({
        "calls": [{**log, "keys": {"loss": True, "acc": False}, "dropped": 1}],
        "problems": [{"kind": "thread"}], "lines": {"snippet.py": [8, 9, 40], "worker.py": [2]}}))
    (folder / "2-b.json").write_text("{not json")  # killed mid-write: ignored
    own = {"calls": [log], "problems": [], "exit_code": 0,
           "lines": {"statements": [1, 8, 9, 12], "executed": [1, 12]}}
    merged = descendants.collect(tmp_path, own, "snippet.py")
    assert merged["calls"] == [{**log, "count": 2, "keys": {"loss": True, "acc": False},
                                "dropped": 1}]
    assert merged["problems"] == [{"kind": "thread"}]
    # Only the snippet file's statements count; line 40 is no statement of it.
    assert merged["lines"] == {"statements": [1, 8, 9, 12], "executed": [1, 8, 9, 12]}
    assert descendants.collect(tmp_path / "none", own, "snippet.py") == own


def test_records_are_read_even_when_this_thread_holds_the_lock(monkeypatch):
    # SIGTERM's handler runs on the main thread, which may be inside record._add.
    from marpkit.check import record

    monkeypatch.setattr(record, "_records", {("log", "r", "s.py", 1): {"op": "log"}})
    monkeypatch.setattr(record, "_order", [("log", "r", "s.py", 1)])
    with record._lock:
        assert record.calls(timeout=0.01) == [{"op": "log"}]
