"""procs: every child in a group of its own, ended with its group, and a
reaper that ends what is left when marpkit itself is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from marpkit import procs


def _gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not procs.alive(pid):
            return True
        time.sleep(0.02)
    return False


def test_command_scope_is_tmpdir_and_is_removed(monkeypatch, tmp_path):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)
    with procs.command_scope() as folder:
        assert folder.parent == tmp_path
        assert os.environ["TMPDIR"] == str(folder) == tempfile.gettempdir()
        (folder / "left-behind").mkdir()
        child = procs.run([sys.executable, "-c", "import tempfile; print(tempfile.gettempdir())"],
                          text=True, timeout=30)
        assert child.stdout.strip() == str(folder)
    assert os.environ["TMPDIR"] == str(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_killed_marpkit_leaves_no_child_and_no_tmpdir(tmp_path):
    """SIGKILL: no handler of marpkit's runs, the reaper still ends its children."""
    script = ("import time\nfrom marpkit import procs\n"
              "with procs.command_scope() as folder:\n"
              "    child = procs.spawn(['sleep', '300'])\n"
              "    print(child.pid, folder, flush=True)\n"
              "    time.sleep(300)\n")
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    marpkit = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                               env=env)
    try:
        pid, folder = marpkit.stdout.readline().split()
        assert procs.alive(int(pid)) and Path(folder).is_dir()
    finally:
        marpkit.kill()
        marpkit.wait()
    assert _gone(int(pid)), "the child outlived a killed marpkit"
    deadline = time.monotonic() + 10
    while Path(folder).exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not Path(folder).exists()


def test_a_run_past_its_timeout_ends_its_whole_group(tmp_path):
    marker = tmp_path / "grandchild.pid"
    with pytest.raises(subprocess.TimeoutExpired):
        procs.run(["sh", "-c", f'sleep 300 & echo $! > "{marker}"; wait'], timeout=1)
    assert _gone(int(marker.read_text()))


def test_a_finished_run_leaves_nothing_of_its_group_behind(tmp_path):
    marker = tmp_path / "left.pid"
    # (Its output elsewhere: a member holding the pipes would keep the run waiting.)
    done = procs.run(["sh", "-c", f'sleep 300 >/dev/null 2>&1 & echo $! > "{marker}"'], timeout=30)
    assert done.returncode == 0
    assert _gone(int(marker.read_text()))


def test_end_asks_politely_first(tmp_path):
    said = tmp_path / "said"
    child = procs.spawn(["sh", "-c", f'trap \'echo bye > "{said}"; exit 0\' TERM; '
                                     f'echo ready > "{said}"; while :; do sleep 0.05; done'])
    deadline = time.monotonic() + 10
    while not said.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    procs.end(child, grace=5)
    assert said.read_text().strip() == "bye"
    assert child.returncode == 0


def test_end_kills_what_ignores_the_request():
    child = procs.spawn(["sh", "-c", "trap '' TERM; while :; do sleep 0.05; done"])
    time.sleep(0.2)
    started = time.monotonic()
    procs.end(child, grace=0.5)
    assert child.returncode == -signal.SIGKILL
    assert time.monotonic() - started < 5


def test_ctrl_c_ends_children_awaited_in_worker_threads_at_once(tmp_path):
    """Build awaits one Marp per format in worker threads, which no
    KeyboardInterrupt reaches: one Ctrl-C must end those children too, and a
    second one while marpkit unwinds must change nothing (no traceback)."""
    script = ("import sys\nfrom concurrent.futures import ThreadPoolExecutor\nfrom marpkit import procs\n"
              "with procs.command_scope():\n"
              "    with ThreadPoolExecutor(2) as pool:\n"
              "        futures = [pool.submit(procs.run, ['sleep', '300'], timeout=None) for _ in range(2)]\n"
              "        print('started', flush=True)\n"
              "        try:\n"
              "            [f.result() for f in futures]\n"
              "        except KeyboardInterrupt:\n"
              "            print('interrupted', flush=True)\n"
              "            raise\n")
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    marpkit = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert marpkit.stdout.readline() == "started\n"
        deadline = time.monotonic() + 10
        while len(list(tmp_path.iterdir())) < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)  # both sleeps spawned
        marpkit.send_signal(signal.SIGINT)
        time.sleep(0.05)
        marpkit.send_signal(signal.SIGINT)
        # Without the handler the threads wait for `sleep 300`: 30 s is a guard, not a measure.
        out, err = marpkit.communicate(timeout=30)
    finally:
        marpkit.kill()
    assert "interrupted" in out
    assert err.count("Traceback") <= 1 and "RuntimeError" not in err, err
    assert "KeyboardInterrupt" in err
    assert list(tmp_path.iterdir()) == []
