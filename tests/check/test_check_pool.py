"""The warm pool (check/pool.py) and its children (check/child.py), below `marpkit check`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.integration  # imports the real wandb

# Warms up as the pool does, then forks one child that runs a job as the pool's
# children do; the snippet sees what the pool had loaded before the fork.
HARNESS = """
import builtins, json, os, sys
from marpkit.check import pool
from marpkit.check.env import child_env, sandbox_dirs
from marpkit.check.job import Job
from pathlib import Path

pool._warm_imports()
root, source = Path(sys.argv[1]), Path(sys.argv[2])
dirs = sandbox_dirs(root / "s0")
out = root / "s0.out"
out.mkdir()
job = Job(id="s0", kind="python", source=str(source), root=str(root / "s0"), out=str(out),
          script=str(dirs["work"] / "snippet.py"), cwd=str(dirs["work"]),
          env=child_env(dict(os.environ), dirs, "http://127.0.0.1:9"), timeout=60,
          disk=2**28, memory=2**32, output=2**28)
builtins.marpkit_loaded = set(sys.modules)
pid = os.fork()
if pid == 0:
    from marpkit.check.child import exec_job
    exec_job(job)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def test_a_child_imports_nothing_the_pool_could_have(tmp_path):
    """Between fork and the snippet's end, a child loads no module of its own
    (copying its folder, joining limits, recording W&B calls, measuring lines,
    running the file): each would be imported, or compiled, once per snippet."""
    source = tmp_path / "snippets"
    source.mkdir()
    (source / "snippet.py").write_text(textwrap.dedent("""
        import builtins
        import json
        import sys
        print(json.dumps(sorted(set(sys.modules) - builtins.marpkit_loaded)))
    """), encoding="utf-8")
    root = tmp_path / "check"
    root.mkdir()
    proc = subprocess.run([sys.executable, "-c", HARNESS, str(root), str(source)], cwd=root,
                          capture_output=True, text=True, timeout=120)
    out = root / "s0.out"
    stderr = (out / "stderr.txt").read_text() if (out / "stderr.txt").exists() else ""
    assert proc.returncode == 0, proc.stderr + stderr
    assert json.loads((out / "stdout.txt").read_text()) == []
    result = json.loads((out / "result.json").read_text())
    assert result["exit_code"] == 0 and result["lines"]["executed"], result



def test_a_run_does_not_import_w_and_b_launch_but_a_snippet_still_can(tmp_path):
    """A run imports nothing the pool has not (pool.WARM_MODULES): wandb.init
    imports one module of W&B Launch, and the pool defers the rest of the
    package (pool.DEFERRED_PACKAGES): every child would import it, 0.14 s each.
    A snippet that uses Launch still gets it whole."""
    source = tmp_path / "snippets"
    source.mkdir()
    (source / "snippet.py").write_text(textwrap.dedent("""
        import builtins, json, sys
        import wandb
        wandb.init(project="p").finish()
        launch = sys.modules["wandb.sdk.launch"]
        ran = "LaunchAgent" in vars(launch)
        new = sorted(set(sys.modules) - builtins.marpkit_loaded)
        from wandb.sdk.launch import LaunchAgent, launch_add
        import wandb.sdk.launch.agent.agent as agent
        print(json.dumps([ran, new, LaunchAgent is agent.LaunchAgent, callable(launch_add),
                          "create_and_run_agent" in launch.__all__]))
    """), encoding="utf-8")
    root = tmp_path / "check"
    root.mkdir()
    proc = subprocess.run([sys.executable, "-c", HARNESS, str(root), str(source)], cwd=root,
                          capture_output=True, text=True, timeout=120)
    out = root / "s0.out"
    assert proc.returncode == 0, proc.stderr + (out / "stderr.txt").read_text()
    assert json.loads((out / "stdout.txt").read_text()) == [False, [], True, True, True]


def test_a_deferred_package_runs_its_init_once_on_the_first_name_asked(tmp_path, monkeypatch):
    from marpkit.check.pool import defer_init

    package = tmp_path / "deferred_pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("import builtins\n"
                                         "builtins.deferred_runs = getattr(builtins, 'deferred_runs', 0) + 1\n"
                                         "from .sub.leaf import VALUE\nNAME = 'init'\n")
    (package / "sub" / "leaf.py").write_text("VALUE = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import builtins

    defer_init("deferred_pkg")
    try:
        from deferred_pkg.sub import leaf  # a submodule: the package's __init__ waits

        assert leaf.VALUE == 42 and not hasattr(builtins, "deferred_runs")
        from deferred_pkg import NAME, VALUE

        assert (NAME, VALUE, builtins.deferred_runs) == ("init", 42, 1)
        import deferred_pkg

        assert deferred_pkg.sub.leaf is leaf and builtins.deferred_runs == 1
        with pytest.raises(AttributeError):
            deferred_pkg.missing  # noqa: B018
        defer_init("deferred_pkg")  # imported already: left alone
        assert sys.modules["deferred_pkg"] is deferred_pkg
    finally:
        for name in [m for m in sys.modules if m.startswith("deferred_pkg")]:
            del sys.modules[name]
        vars(builtins).pop("deferred_runs", None)


def test_the_pool_is_single_threaded_once_warm():
    """The pool forks its children from one thread: numpy's BLAS threads, started
    at its import, are stopped before wandb's imports go on beside them."""
    pytest.importorskip("numpy", reason="numpy starts no threads when it is absent")
    script = ("import os\nfrom marpkit.check import pool\npool._warm_imports()\n"
              "print(len(os.listdir('/proc/self/task')))\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "OPENBLAS_NUM_THREADS": "2"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "1"
