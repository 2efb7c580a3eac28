"""Every child process marpkit starts is started, and ended, here.

Each child runs in a process group of its own, so that ending it ends whatever
it started too (the browser Marp CLI opens for a PDF, the real binary behind
Debian's `chromium` wrapper script), and the terminal's Ctrl-C reaches
marpkit alone, which then ends its children itself.

A command runs inside `command_scope()`: a private TMPDIR, and a reaper, a
shell that reads the process groups marpkit starts from a pipe only marpkit
holds. When the pipe closes, because the command ended or because marpkit was
killed (even by SIGKILL, which no handler sees), the reaper kills the groups
still listed and removes the TMPDIR with whatever was left in it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

# A grandchild that puts itself in a session of its own (Puppeteer starts
# Marp CLI's browser detached) escapes its parent's group: a launcher marpkit
# wrote for it lists its group in this file of a folder in TMPDIR, and in
# GROUPS_FILE.mark a word of its command line: a listed number is ended only
# while it still is that program (a finished browser's pid may be reused).
GROUPS_FILE = "marpkit-groups"

# `+ PGID` lists a group, `- PGID` takes it off the list (it was ended and
# waited for: its number may be reused by another process).
_REAPER = """folder=$1
groups=
while read -r op group; do
  case $op in
    +) groups="$groups $group" ;;
    -) kept=; for g in $groups; do [ "$g" = "$group" ] || kept="$kept $g"; done; groups=$kept ;;
  esac
done
for g in $groups; do kill -9 -"$g" 2>/dev/null; done
if [ -n "$folder" ]; then
  for f in "$folder"/*/marpkit-groups; do
    [ -f "$f" ] && for g in $(cat "$f"); do
      grep -aq -- "$(head -n1 "$f.mark")" /proc/"$g"/cmdline 2>/dev/null && kill -9 -"$g" 2>/dev/null
    done
  done
  rm -rf -- "$folder"
fi
"""

# Re-entrant: the Ctrl-C handler runs in the main thread, which may hold it.
_lock = threading.RLock()
_reaper: subprocess.Popen | None = None
# The groups started with `reap`, until end() has waited for them.
_live: dict[int, subprocess.Popen] = {}


def _tell(line: str) -> None:
    with _lock:
        if _reaper is None or _reaper.stdin is None:
            return
        try:
            _reaper.stdin.write(line.encode() + b"\n")
            _reaper.stdin.flush()
        except (OSError, ValueError):
            pass  # the reaper is gone: nothing left to tell


def _start_reaper(folder: Path | None) -> subprocess.Popen | None:
    try:
        return subprocess.Popen(["/bin/sh", "-c", _REAPER, "marpkit-reaper", str(folder or "")],
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
    except OSError:
        return None


@contextlib.contextmanager
def command_scope(prefix: str = "marpkit-") -> Iterator[Path | None]:
    """One command's surroundings: a temporary folder of its own, made TMPDIR
    for the block (for this process and every child it starts), and the reaper.
    Yields the folder, or None where no temporary folder can be made."""
    global _reaper
    try:
        folder: Path | None = Path(tempfile.mkdtemp(prefix=prefix))
    except OSError:  # no usable TMPDIR: the commands that need one say so
        folder = None
    reaper = _start_reaper(folder)
    saved_env, saved_module = os.environ.get("TMPDIR"), tempfile.tempdir
    if folder is not None:
        os.environ["TMPDIR"] = str(folder)
        tempfile.tempdir = str(folder)
    with _lock:
        outer, _reaper = _reaper, reaper
    in_main = threading.current_thread() is threading.main_thread()
    saved_handler = signal.signal(signal.SIGINT, _on_interrupt) if in_main else None
    try:
        yield folder
    finally:
        if in_main:
            kill_all()  # an exception (Ctrl-C included) left some running
            signal.signal(signal.SIGINT, saved_handler)
        with _lock:
            _reaper = outer
        tempfile.tempdir = saved_module
        if saved_env is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved_env
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        if reaper is not None:
            reaper.stdin.close()  # it ends what is still listed, and exits
            reaper.wait()


def spawn(cmd: list[str], *, cwd: Path | str | None = None, env: dict[str, str] | None = None,
          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=None,
          pass_fds: tuple[int, ...] = (), text: bool = False, bufsize: int = -1,
          reap: bool = True) -> subprocess.Popen:
    """Start `cmd` in a process group of its own. End it with `end()`.

    With `reap` (the default) the reaper ends the group if marpkit dies; a
    child that notices that itself and has its own children to end first
    (check's pool, which reads its stdin) passes False."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=stdin, stdout=stdout, stderr=stderr,
                            pass_fds=pass_fds, start_new_session=True, bufsize=bufsize,
                            **({"encoding": "utf-8", "errors": "replace"} if text else {}))
    if reap:
        with _lock:
            _live[proc.pid] = proc
        _tell(f"+ {proc.pid}")
    return proc


def kill_all() -> None:
    """SIGKILL every group still running; whoever waits for one sees it end."""
    with _lock:
        groups = list(_live)
    for pgid in groups:
        kill_group(pgid)


def _on_interrupt(signum, frame) -> None:
    # Ctrl-C reaches marpkit alone (children have sessions of their own). A
    # child may be awaited in a worker thread (build runs one Marp per format
    # at once), which no KeyboardInterrupt reaches: the children end first,
    # so every wait returns at once, then the interrupt unwinds the command.
    # A second Ctrl-C while that happens changes nothing.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    kill_all()
    raise KeyboardInterrupt


def kill_group(pgid: int, sig: int = signal.SIGKILL) -> bool:
    """Signal a whole process group; False if none is left."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # a member changed user (a sandbox): the group still exists
    return True


def end(proc: subprocess.Popen, grace: float = 0.0) -> None:
    """End `proc` and its whole group: SIGTERM and up to `grace` seconds to
    finish, then SIGKILL for whatever is left; the leader is reaped."""
    if grace > 0 and proc.poll() is None and kill_group(proc.pid, signal.SIGTERM):
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
        # The leader may be gone while members it left behind still run.
        deadline = time.monotonic() + grace
        while kill_group(proc.pid, 0) and time.monotonic() < deadline:
            time.sleep(0.02)
    kill_group(proc.pid)
    proc.wait()
    with _lock:
        _live.pop(proc.pid, None)
    _tell(f"- {proc.pid}")


def end_listed(folder: Path, grace: float = 5.0) -> None:
    """End the groups listed in `folder`'s GROUPS_FILE (see there) and wait,
    up to `grace` seconds, until they are gone: a browser still shutting down
    would write its profile into a TMPDIR being removed."""
    try:
        groups = [int(g) for g in (folder / GROUPS_FILE).read_text().split()]
        mark = (folder / (GROUPS_FILE + ".mark")).read_bytes().strip()
    except (OSError, ValueError):
        return
    for pgid in groups:
        try:
            if mark in Path(f"/proc/{pgid}/cmdline").read_bytes():
                kill_group(pgid)
        except OSError:
            pass  # gone already
    deadline = time.monotonic() + grace
    while any(alive(pgid) for pgid in groups) and time.monotonic() < deadline:
        time.sleep(0.02)


def alive(pid: int) -> bool:
    """Whether process `pid` still runs (a zombie has ended: only its parent has not looked)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def run(cmd: list[str], *, timeout: float | None, cwd: Path | str | None = None,
        env: dict[str, str] | None = None, input: bytes | str | None = None,
        text: bool = False) -> subprocess.CompletedProcess:
    """Run `cmd` to completion with its output captured, as subprocess.run does;
    past `timeout` seconds, or on any exception (Ctrl-C included), its whole
    group is ended before subprocess.TimeoutExpired (or the exception) goes on."""
    proc = spawn(cmd, cwd=cwd, env=env, text=text,
                 stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(input, timeout=timeout)
    except BaseException:
        end(proc)
        raise
    end(proc)  # members left behind by a leader that exited go too
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)
