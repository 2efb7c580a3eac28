"""A snippet run by check's forked pool records the same W&B run as `python file.py`.

Each fixture snippet runs twice: through the pool (shared wandb-core, forked
child) and as a plain `python snippet.py` with the same sandboxed environment
(WANDB_MODE=offline, console capture on, its own wandb-core). The recorded
runs are compared field by field: config, summary keys, history keys, run
files, console log.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import ROOT
from marpkit.check.env import ClosedPort, child_env, prepare_sandbox
from marpkit.check.executor import make_executor
from marpkit.check.header import parse_header
from marpkit.check.plan import Task
from marpkit.check.run_files import RunData, read_runs

pytestmark = pytest.mark.integration

FIXTURES = ROOT / "tests" / "fixtures" / "check"
NAMES = ("console", "dir_init", "split_table", "nested_config", "run_exit", "none_metric",
         "printing")


def _plain(folder: Path, root: Path, port: ClosedPort) -> tuple[int, list[RunData]]:
    dirs = prepare_sandbox(root, folder)
    env = child_env(dict(os.environ), dirs, port.url)
    proc = subprocess.run([sys.executable, "snippet.py"], cwd=dirs["work"], env=env,
                          capture_output=True, text=True, timeout=120)
    elsewhere = sorted(dirs["work"].glob("**/run-*.wandb"))
    return proc.returncode, read_runs(dirs["wandb"], env, elsewhere)


def _console(run: RunData) -> list[str]:
    # W&B's own banner lines differ by design (the pool child does not own the service).
    return [line.rstrip() for line in run.console.splitlines()
            if line.strip() and not line.startswith("wandb:")]


def _fields(run: RunData) -> dict:
    config = {k: v for k, v in run.flat_config().items() if not k.startswith("_wandb")}
    return {"config": config, "summary": sorted(k for k in run.summary if not k.startswith("_")),
            "history": sorted(run.history_keys), "null": sorted(run.null_keys),
            "steps": run.steps, "files": sorted(run.saved), "console": _console(run),
            "exit_code": run.exit_code}


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    root = tmp_path_factory.mktemp("fidelity")
    # As `marpkit check` runs them: in the OS sandbox where there is one (CI: strict).
    executor = make_executor(SimpleNamespace(root=FIXTURES.parent), 2, 120,
                             os.environ.get("MARPKIT_CHECK_ISOLATION", "auto"))
    pooled: dict[str, tuple[int, list[RunData]]] = {}
    port = ClosedPort()
    try:
        for name in NAMES:
            path = FIXTURES / name / "snippet.py"
            text = path.read_text()
            executor.submit(Task(path=path, rel=f"{name}/snippet.py", kind="python", text=text,
                                 header=parse_header(text)))
        for task, execution, _limit in executor.results():
            pooled[task.path.parent.name] = (execution.returncode, execution.runs)
        plain = {name: _plain(FIXTURES / name, root / name, port) for name in NAMES}
    finally:
        executor.close()
        port.close()
        shutil.rmtree(root, ignore_errors=True)
    return pooled, plain


@pytest.mark.parametrize("name", NAMES)
def test_pool_records_what_python_records(both, name):
    pooled, plain = both
    code, runs = pooled[name]
    plain_code, plain_runs = plain[name]
    assert code == plain_code
    assert len(runs) == len(plain_runs) == 1
    mine, theirs = _fields(runs[0]), _fields(plain_runs[0])
    for field in theirs:
        assert mine[field] == theirs[field], field


def test_printed_lines_reach_the_run_console_log(both):
    pooled, _plain_runs = both
    [run] = pooled["printing"][1]
    console = _console(run)
    assert [line for line in console if line.startswith("batch ")] == [
        f"batch {n}" for n in range(200)]
    assert "to stderr" in console
