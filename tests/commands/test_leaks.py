"""marpkit leaves nothing in TMPDIR, and publishes nothing but the build."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import (
    needs_chromium,
    needs_marp,
    start_serve,
    write,
)

pytestmark = pytest.mark.integration

MARPKIT = Path(sys.executable).with_name("marpkit")
SNIPPET = """import wandb

run = wandb.init(project="leaks", mode="offline")
run.log({"loss": 0.5})
run.finish()
"""


@pytest.fixture
def logging_course(project):
    needs_marp()
    needs_chromium()
    write(project / "snippets" / "m" / "run.py", SNIPPET)
    write(project / "slides" / "d.md",
          "---\nmarp: true\n---\n\n# Logging\n\n```python snippet=m/run.py\n" + SNIPPET + "```\n")
    tmp = project.parent / f"{project.name}-tmpdir"
    tmp.mkdir()
    return project, dict(os.environ, TMPDIR=str(tmp)), tmp


@pytest.mark.parametrize("command", [("build",), ("check",), ("lint",)])
def test_a_command_leaves_tmpdir_as_it_found_it(logging_course, command):
    root, env, tmp = logging_course
    (tmp / "someone-elses").mkdir()  # not marpkit's: stays
    proc = subprocess.run([str(MARPKIT), *command], cwd=root, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    assert sorted(p.name for p in tmp.iterdir()) == ["someone-elses"]


def test_serve_leaves_tmpdir_and_the_build_folder_alone(logging_course):
    root, env, tmp = logging_course
    proc, port = start_serve(root, env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(3)  # the first rendered lint runs meanwhile
        assert not (root / "build").exists()  # the preview is not published
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0, proc.stdout.read()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert list(tmp.iterdir()) == []
    assert not (root / "build").exists()
