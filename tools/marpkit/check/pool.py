"""The warm pool: one process that imports wandb once and forks a child per snippet.

Most of a snippet's cost is `import wandb` and what `wandb.init` imports
lazily, plus starting wandb-core. The pool pays for both once: it imports them
before forking, and starts one wandb-core that every child reaches through
WANDB_SERVICE (the mechanism wandb itself uses for multiprocessing children; a
child that does not own the service never shuts it down).

The pool stays single-threaded (fork and threads do not mix) and never calls
`wandb.setup()`, so each child starts from a pristine wandb: a run left
unfinished, settings or env vars changed by one snippet die with its child.

Protocol, one JSON object per line: the parent writes `{"op": "run", "job":
{...}}` and finally `{"op": "close"}`; the pool answers `{"event": "ready",
"service": bool}` once, then `{"event": "done", "id": ..., "returncode": int,
"timed_out": bool, "duration_s": float}` per job, in completion order.

When fork is unavailable, `SubprocessPool` runs each job as `python -m
marpkit.check.runner JOB.json` with the same results.
"""

from __future__ import annotations

import json
import os
import queue
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from pathlib import Path

# Imported by wandb.init on first use (measured with 0.31): importing them in
# the pool saves every child ~0.3 s.
WARM_MODULES = ("wandb", "wandb.sdk.launch", "wandb.apis.public", "wandb.sdk.data_types",
                "yaml", "coverage", "coverage.control")


def _warm_imports() -> None:
    import importlib

    for name in WARM_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a missing extra only costs speed
            pass
    from marpkit.check.executed import prepare

    prepare(os.getcwd())  # the sandboxes live under the pool's cwd (Executor.root)


def start_service(env: dict[str, str]) -> tuple[subprocess.Popen, str] | None:
    """Start a wandb-core the children share; None if that is not possible."""
    try:
        from wandb.util import get_core_path

        core = get_core_path()
    except Exception:  # noqa: BLE001
        return None
    if not core:
        return None
    folder = tempfile.mkdtemp(prefix="marpkit-core-")
    port_file = Path(folder, "port.txt")
    proc = subprocess.Popen(
        [core, "--no-observability", "--port-filename", str(port_file), "--pid", str(os.getpid())],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True, cwd=folder,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            lines = port_file.read_text().splitlines()
        except OSError:
            lines = []
        if lines and lines[-1] == "EOF":
            for line in lines:
                if line.startswith("unix="):
                    # Token format of wandb/sdk/lib/service/service_token.py (version 3).
                    return proc, f"3-{os.getpid()}-unix-{line[5:]}"
            break
        time.sleep(0.005)
    proc.kill()
    return None


class _Running:
    def __init__(self, job: dict, pid: int):
        self.job, self.pid = job, pid
        self.start = time.monotonic()
        self.deadline = self.start + float(job["timeout"])
        self.timed_out = False


def _emit(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _reap(running: dict[int, _Running], block: bool) -> None:
    flags = 0 if block else os.WNOHANG
    while running:
        try:
            pid, status = os.waitpid(-1, flags)
        except ChildProcessError:
            return
        if pid == 0:
            return
        item = running.pop(pid, None)
        if item is None:
            continue
        # Background processes the snippet started die with it.
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        _emit({"event": "done", "id": item.job["id"],
               "returncode": os.waitstatus_to_exitcode(status), "timed_out": item.timed_out,
               "duration_s": round(time.monotonic() - item.start, 3)})
        flags = os.WNOHANG


def serve(jobs_limit: int) -> None:
    _warm_imports()
    service_env = json.loads(os.environ.get("MARPKIT_CHECK_SERVICE_ENV", "null"))
    service = None
    if service_env is not None and os.environ.get("MARPKIT_CHECK_SHARED_SERVICE", "1") != "0":
        service = start_service(service_env)
    _emit({"event": "ready", "service": service is not None})

    queue: deque[dict] = deque()
    running: dict[int, _Running] = {}
    closing = False

    def abort(signum, frame):
        # Interrupted parent: the snippets run in their own process groups, so
        # they would outlive the pool unless killed here.
        for pid in list(running):
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
        if service is not None:
            service[0].kill()
            try:
                service[0].wait(2)
            except subprocess.TimeoutExpired:
                pass
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, abort)
    signal.signal(signal.SIGINT, abort)
    stdin = sys.stdin.fileno()
    buffer = b""
    while not (closing and not queue and not running):
        while queue and len(running) < jobs_limit:
            job = queue.popleft()
            if service is not None:
                job["env"]["WANDB_SERVICE"] = service[1]
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                from marpkit.check.runner import exec_job

                exec_job(job)  # never returns
            try:
                os.setpgid(pid, pid)  # also done in the child; whichever runs first wins
            except OSError:
                pass
            running[pid] = _Running(job, pid)
        now = time.monotonic()
        for item in running.values():
            if not item.timed_out and now >= item.deadline:
                item.timed_out = True
                try:
                    os.killpg(item.pid, signal.SIGKILL)
                except OSError:
                    pass
        wait = 0.01 if running else 0.5
        if not closing:
            ready, _, _ = select.select([stdin], [], [], wait)
            if ready:
                chunk = os.read(stdin, 65536)
                if not chunk:
                    abort(signal.SIGHUP, None)  # the parent died without closing us
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    message = json.loads(line)
                    if message.get("op") == "run":
                        queue.append(message["job"])
                    elif message.get("op") == "close":
                        closing = True
        else:
            time.sleep(wait)
        _reap(running, block=False)
    if service is not None:
        service[0].terminate()
        try:
            service[0].wait(5)
        except subprocess.TimeoutExpired:
            service[0].kill()


class ForkPool:
    """The parent's handle on the pool process."""

    def __init__(self, jobs: int, service_env: dict[str, str] | None, cwd: str | None = None):
        env = dict(os.environ)
        env["MARPKIT_CHECK_SERVICE_ENV"] = json.dumps(service_env)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "marpkit.check.pool", str(jobs)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True, bufsize=1,
            cwd=cwd,  # `-m` puts the cwd first on sys.path: never the user's project
        )
        self.shared_service: bool | None = None
        self.pending = 0
        # Jobs go through a writer thread: the pool answers while we still
        # submit, and if its answers filled the pipe while we blocked writing,
        # both sides would wait on each other.
        self._outbox: queue.Queue[str | None] = queue.Queue()
        self._writer = threading.Thread(target=self._write, daemon=True)
        self._writer.start()

    def _write(self) -> None:
        while (line := self._outbox.get()) is not None:
            try:
                self.proc.stdin.write(line)
                self.proc.stdin.flush()
            except (OSError, ValueError):
                return  # the pool is gone; results() reports it

    def submit(self, job: dict) -> None:
        self._outbox.put(json.dumps({"op": "run", "job": job}) + "\n")
        self.pending += 1

    def results(self):
        """Yield each job's completion message as it finishes."""
        self._outbox.put(json.dumps({"op": "close"}) + "\n")
        while self.pending:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("the check pool exited unexpectedly")
            message = json.loads(line)
            if message.get("event") == "ready":
                self.shared_service = message["service"]
                continue
            self.pending -= 1
            yield message

    def close(self) -> None:
        if self.pending:
            self.proc.terminate()  # interrupted: the pool kills what still runs
        self._outbox.put(None)
        self._writer.join(5)
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class SubprocessPool:
    """Same interface without fork: one fresh interpreter per snippet."""

    def __init__(self, jobs: int, service_env: dict[str, str] | None = None,
                 cwd: str | None = None):
        self.limit = max(1, jobs)
        self.cwd = cwd
        self.queue: deque[dict] = deque()
        self.shared_service = False
        self.running: list = []

    def submit(self, job: dict) -> None:
        self.queue.append(job)

    def _start(self, job: dict):
        job_file = Path(job["result"]).with_suffix(".job.json")
        job_file.write_text(json.dumps(job), encoding="utf-8")
        proc = subprocess.Popen([sys.executable, "-m", "marpkit.check.runner", str(job_file)],
                                start_new_session=True, stdin=subprocess.DEVNULL, cwd=self.cwd)
        return proc, time.monotonic()

    def results(self):
        running = self.running
        while self.queue or running:
            while self.queue and len(running) < self.limit:
                job = self.queue.popleft()
                running.append((job, *self._start(job), False))
            time.sleep(0.01)
            still = []
            for job, proc, start, timed_out in running:
                if proc.poll() is None:
                    if not timed_out and time.monotonic() - start > float(job["timeout"]):
                        timed_out = True
                        try:
                            os.killpg(proc.pid, signal.SIGKILL)
                        except OSError:
                            proc.kill()
                    still.append((job, proc, start, timed_out))
                    continue
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except OSError:
                    pass
                yield {"event": "done", "id": job["id"], "returncode": proc.returncode,
                       "timed_out": timed_out, "duration_s": round(time.monotonic() - start, 3)}
            running[:] = still

    def close(self) -> None:
        for _job, proc, _start, _timed_out in self.running:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass


def make_pool(jobs: int, service_env: dict[str, str] | None, cwd: str | None = None):
    if hasattr(os, "fork") and os.environ.get("MARPKIT_CHECK_NO_FORK") != "1":
        return ForkPool(jobs, service_env, cwd)
    return SubprocessPool(jobs, service_env, cwd)


if __name__ == "__main__":
    serve(int(sys.argv[1]) if len(sys.argv) > 1 else (os.cpu_count() or 1))
