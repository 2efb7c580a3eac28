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
Job.to_json()}` (job.py), `{"op": "release", "id": ...}` once it has read a
job's results, and `{"op": "close"}` after the last job; the pool answers
`{"event": "ready", "service": bool}` once, `{"event": "started", "id": ...}` as it forks a job,
and `{"event": "done", "id": ..., "returncode": int, "timed_out": bool,
"duration_s": float, "disk_full": bool, "runs": str | null}` per job, in
completion order (`runs`: the digest of the runs file the job's first process
wrote in the sandbox, run_files.write_runs). A job
marked `alone` runs with nothing beside it (a retry after the pool died).

In the OS sandbox (sandbox.py) the pool mounts each job's folder as a tmpfs
of the job's disk quota and forks it into its own PID namespace.

When fork is unavailable, `SubprocessPool` runs each job as `python -m
marpkit.check.child JOB.json` with the same results.
"""

from __future__ import annotations

import gc
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

from marpkit import procs
from marpkit.check.env import forking, sharing_service, wandb_core
from marpkit.check.job import Job
from marpkit.text import split_lines

# What a run imports (wandb.init, log, finish; measured with 0.31) beyond
# `import wandb`: importing them in the pool saves every child ~0.3 s.
# marpkit.check.child brings what a child runs between fork and the snippet
# (10-40 ms a child when each imported it), run_files what its first process
# runs after it. Not here: wandb.apis.public (0.1 s), which only a snippet
# that calls wandb.Api() imports, as it would under `python file.py`.
WARM_MODULES = ("wandb", "wandb.sdk.launch.inputs.internal", "wandb.sdk.lib.gitlib",
                "wandb.sdk.data_types", "yaml", "coverage", "coverage.control",
                "marpkit.check.child", "marpkit.check.run_files", "google.protobuf.json_format")
# Every wandb.init imports wandb.sdk.launch.inputs.internal (StagedLaunchInputs);
# the package around it imports all of W&B Launch (agents, builders, runners)
# in its __init__, a quarter of the pool's imports for a module no snippet
# here runs. Its __init__ waits for the first name asked of the package.
DEFERRED_PACKAGES = ("wandb.sdk.launch",)


def _warm_imports() -> None:
    import importlib
    import platform

    _park_blas_threads()
    for name in DEFERRED_PACKAGES + WARM_MODULES:
        try:
            if name in DEFERRED_PACKAGES:
                defer_init(name)  # which imports the packages around it (wandb)
            else:
                importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a missing extra only costs speed
            pass
    # wandb.init puts platform.platform() in its settings; uncached, that runs
    # `uname -p` in every child (a fork and exec of a 200 MB process each).
    platform.platform(aliased=True)
    from marpkit.check.env import NOT_COPIED
    from marpkit.check.line_coverage import prepare

    prepare(os.getcwd())  # the sandboxes live under the pool's cwd (Executor.root)
    NOT_COPIED("", [])  # compiles its patterns once, for every child


def defer_init(name: str) -> None:
    """Put package `name` in sys.modules with its `__init__` not yet run: its
    submodules import as usual (it has its `__path__`), and the first name
    asked of the package itself (an attribute, `from name import x`, `*`) runs
    the `__init__` then, once, as an import would have (PEP 562 `__getattr__`).
    A package already imported, or not found, is left alone."""
    import importlib.util

    if name in sys.modules:
        return
    parent, _, child = name.rpartition(".")
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return
    module = importlib.util.module_from_spec(spec)
    lock = threading.Lock()

    def load(attr: str):
        with lock:
            if module.__dict__.get("__getattr__") is load:
                del module.__dict__["__getattr__"]
                spec.loader.exec_module(module)
        return getattr(module, attr)

    module.__getattr__ = load
    sys.modules[name] = module
    if parent:
        setattr(sys.modules[parent], child, module)


def _park_blas_threads() -> None:
    """Keep the pool single-threaded from numpy's import on.

    numpy's OpenBLAS starts a thread per extra core at import, which then spins
    (~0.1 s of CPU, beside the imports still to come) waiting for work the pool
    never gives it. OpenBLAS stops its threads before any fork (its
    pthread_atfork handler): a fork that exits at once does that now, not at the
    first snippet's fork. A child starts them again at its first BLAS call, as
    it already did.
    """
    try:
        import numpy  # noqa: F401 - wandb imports it anyway
    except Exception:  # noqa: BLE001 - without numpy there are no such threads
        return
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)


class Service:
    """A wandb-core the children share, starting: wandb-core is a program of
    its own, so it starts while the pool imports wandb."""

    def __init__(self, core: Path, env: dict[str, str]):
        # Inside the check's own temp root (removed with it), not loose in the system /tmp.
        folder = tempfile.mkdtemp(prefix="marpkit-core-", dir=env.get("TMPDIR"))
        self.port_file = Path(folder, "port.txt")
        self.proc = procs.spawn(
            [str(core), "--no-observability", "--port-filename", str(self.port_file),
             "--pid", str(os.getpid())],
            env=env, stderr=subprocess.DEVNULL, cwd=folder)

    def token(self) -> str | None:
        """WANDB_SERVICE for the children once it listens; None (and it is
        ended) if it does not within 15 s."""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                lines = split_lines(self.port_file.read_text())
            except OSError:
                lines = []
            if lines and lines[-1] == "EOF":
                for line in lines:
                    if line.startswith("unix="):
                        # Token format of wandb/sdk/lib/service/service_token.py (version 3).
                        return f"3-{os.getpid()}-unix-{line[5:]}"
                break
            time.sleep(0.005)
        procs.end(self.proc)
        return None


def _spawn_service(env: dict[str, str]) -> Service | None:
    core = wandb_core()
    if core is None:
        return None
    try:
        return Service(core, env)
    except OSError:
        return None


class _Running:
    def __init__(self, job: Job, pid: int, said: int | None = None):
        self.job, self.pid, self.said = job, pid, said
        self.start = time.monotonic()
        self.deadline = self.start + job.timeout
        self.timed_out = False


def _said(item: _Running) -> str | None:
    """What a job's first process said on its pipe (the digest of the runs file
    it wrote), once it has exited; None if nothing."""
    if item.said is None:
        return None
    try:
        said = os.read(item.said, 256).decode("ascii", errors="replace")
    except OSError:  # nothing written (BlockingIOError cannot be: it has exited)
        said = ""
    os.close(item.said)
    item.said = None
    return said or None


def _emit(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _prepare_job(job: Job, sandboxed: bool) -> None:
    """The job's folders: in the sandbox each a tmpfs, so its quota is the kernel's."""
    if sandboxed:
        from marpkit.check import sandbox

        sandbox.mount_quota(job.root, job.disk)
        sandbox.mount_quota(job.out, sandbox.OUT_SIZE)
    else:
        import shutil

        for folder in (job.root, job.out):
            shutil.rmtree(folder, ignore_errors=True)  # left by a pool that died
            os.makedirs(folder)


def _release_job(job: Job, sandboxed: bool) -> None:
    """Unmount and remove the job's folders. Outside the sandbox the parent removes
    them itself (Executor._finish), away from this loop: removing them here too
    took 20-100 ms of it a job, each a delay to the next fork."""
    if not sandboxed:
        return
    import shutil

    from marpkit.check.sandbox import unmount

    for folder in (job.root, job.out):
        unmount(folder)
        shutil.rmtree(folder, ignore_errors=True)


def _disk_full(job: Job, sandboxed: bool) -> bool:
    if not sandboxed:
        return False
    from marpkit.check.sandbox import disk_used

    try:
        return disk_used(job.root)[1]
    except OSError:
        return False


def _reap(running: dict[int, _Running], block: bool, sandboxed: bool = False) -> None:
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
        procs.kill_group(pid)  # background processes the snippet started die with it
        _emit({"event": "done", "id": item.job.id,
               "returncode": os.waitstatus_to_exitcode(status), "timed_out": item.timed_out,
               "duration_s": round(time.monotonic() - item.start, 3),
               "disk_full": _disk_full(item.job, sandboxed), "runs": _said(item)})
        flags = os.WNOHANG


def serve(jobs_limit: int) -> None:
    sandboxed = os.environ.get("MARPKIT_CHECK_SANDBOX") == "1"
    if sandboxed:
        from marpkit.check.sandbox import enter_pool_namespace

        try:
            enter_pool_namespace()
        except OSError as exc:
            _emit({"event": "ready", "service": False, "error": f"sandbox set-up failed: {exc}"})
            return
    # As Python's gc.freeze documents for a process that forks without exec:
    # no collection while the imports fill the heap (no holes in pages the
    # children share), then every object so far frozen, so the children's
    # collections never write to (and copy) the pool's pages.
    gc.disable()
    starting = _shared_service(sandboxed)
    _warm_imports()
    gc.freeze()
    token = starting.token() if starting else None
    service = (starting.proc, token) if token else None
    _emit({"event": "ready", "service": service is not None})
    server = _Server(jobs_limit, sandboxed, service)
    signal.signal(signal.SIGTERM, server.abort)
    signal.signal(signal.SIGINT, server.abort)
    signal.signal(signal.SIGHUP, server.abort)
    stdin = sys.stdin.fileno()
    while not server.finished():
        server.start_jobs()
        server.kill_overdue()
        server.read(stdin, server.wait())
        _reap(server.running, block=False, sandboxed=sandboxed)
    for job in server.held.values():
        _release_job(job, sandboxed)
    if service is not None:
        # Every job was released: the parent has read all that wandb-core wrote.
        procs.end(service[0])


def _shared_service(sandboxed: bool) -> Service | None:
    service_env = json.loads(os.environ.get("MARPKIT_CHECK_SERVICE_ENV", "null"))
    if sandboxed and service_env is not None:
        from marpkit.check.sandbox import ROOT

        for value in service_env.values():
            if value.startswith(ROOT + "/"):
                os.makedirs(value, exist_ok=True)
    if service_env is not None and sharing_service():
        return _spawn_service(service_env)
    return None


class _Server:
    """The pool process's jobs: queued, running (by pid), and held until the parent
    has read their folders."""

    def __init__(self, jobs_limit: int, sandboxed: bool,
                 service: tuple[subprocess.Popen, str] | None):
        self.jobs_limit, self.sandboxed, self.service = jobs_limit, sandboxed, service
        self.queue: deque[Job] = deque()
        self.running: dict[int, _Running] = {}
        self.held: dict[str, Job] = {}
        self.closing = False
        self.eof = False
        self.buffer = b""
        # A child's exit wakes the loop at once (its SIGCHLD writes a byte here),
        # where polling noticed it up to 10 ms late, a delay to the next job.
        self.exits, write_end = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        signal.set_wakeup_fd(write_end)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)  # the byte is all

    def abort(self, signum, frame):
        # Interrupted parent: the snippets run in their own process groups, so
        # they would outlive the pool unless killed here.
        for pid in list(self.running):
            procs.kill_group(pid)
        if self.service is not None:
            procs.end(self.service[0])
        os._exit(128 + signum)

    def finished(self) -> bool:
        return self.eof or (self.closing and not self.queue and not self.running
                            and not self.held)

    def _may_start(self) -> bool:
        queue, running = self.queue, self.running
        return bool(queue) and len(running) < self.jobs_limit and not (
            running and (queue[0].alone or any(r.job.alone for r in running.values())))

    def start_jobs(self) -> None:
        while self._may_start():
            job = self.queue.popleft()
            if self.service is not None:
                job.env["WANDB_SERVICE"] = self.service[1]
            self.held[job.id] = job
            try:
                _prepare_job(job, self.sandboxed)
            except OSError as exc:
                _emit({"event": "done", "id": job.id, "returncode": 70,
                       "timed_out": False, "duration_s": 0.0, "disk_full": False,
                       "error": f"cannot create the snippet's folder: {exc}"})
                continue
            pid, said = self._fork(job)
            self.running[pid] = _Running(job, pid, said)
            _emit({"event": "started", "id": job.id, "pid": pid})

    def _fork(self, job: Job) -> tuple[int, int | None]:
        """The job's process, and in the sandbox the read end of a pipe on which
        its first process says which runs file it wrote (run_files.write_runs):
        only that process holds the write end, never the snippet."""
        sys.stdout.flush()
        sys.stderr.flush()
        said, say = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC) if self.sandboxed else (None, None)
        pid = os.fork()
        if pid == 0:
            gc.enable()  # the snippet's own objects are collected as in `python file.py`
            # The pool's wake-up on its children's exits is not the snippet's.
            os.close(signal.set_wakeup_fd(-1))
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            os.close(self.exits)
            for other in self.running.values():  # other jobs' pipes are not this one's
                if other.said is not None:
                    os.close(other.said)
            from marpkit.check.child import exec_job
            from marpkit.check.limits import join

            # First of all, so everything it starts is counted and killed with it.
            joined = join(job.cgroups)
            # Without a cgroup the process limit falls back to RLIMIT_NPROC, which
            # only a fresh user namespace (the sandbox's) makes per snippet.
            job.nproc = job.processes if self.sandboxed and not joined else None

            if self.sandboxed:
                from marpkit.check.run_files import write_runs
                from marpkit.check.sandbox import isolate_child

                os.close(said)
                isolate_child([job.root, job.out], job.visible, private=say, after=lambda: write_runs(
                    Path(job.env["WANDB_DIR"]), Path(job.runs), say))
            exec_job(job)  # never returns
        if say is not None:
            os.close(say)
        try:
            os.setpgid(pid, pid)  # also done in the child; whichever runs first wins
        except OSError:
            pass
        return pid, said

    def kill_overdue(self) -> None:
        now = time.monotonic()
        for item in self.running.values():
            if not item.timed_out and now >= item.deadline:
                item.timed_out = True
                procs.kill_group(item.pid)

    def wait(self) -> float:
        """Seconds until the next snippet's deadline, at most half a second."""
        now = time.monotonic()
        return min([0.5, *(max(0.0, r.deadline - now) for r in self.running.values()
                           if not r.timed_out)])

    def read(self, stdin: int, wait: float) -> None:
        """Handle what the parent wrote, waiting at most `wait` seconds for it or for
        a child to exit."""
        ready, _, _ = select.select([stdin, self.exits], [], [], wait)
        if self.exits in ready:
            try:
                os.read(self.exits, 4096)
            except BlockingIOError:
                pass
        if stdin not in ready:
            return
        chunk = os.read(stdin, 65536)
        if not chunk:
            if not self.closing or self.queue or self.running:
                self.abort(signal.SIGHUP, None)  # the parent died without closing us
            self.eof = True
        buffer = self.buffer + chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            self._handle(json.loads(line))
        self.buffer = buffer

    def _handle(self, message: dict) -> None:
        if message.get("op") == "run":
            self.queue.append(Job.from_json(message["job"]))
        elif message.get("op") == "release":
            job = self.held.pop(message["id"], None)
            if job is not None:
                _release_job(job, self.sandboxed)
        elif message.get("op") == "close":
            self.closing = True


class PoolDied(RuntimeError):
    """The pool process ended with jobs unfinished; `running` were forked when it did."""

    def __init__(self, message: str, running: set[str]):
        super().__init__(message)
        self.running = running


class ForkPool:
    """The parent's handle on the pool process, sandboxed or not."""

    def __init__(self, jobs: int, service_env: dict[str, str] | None, cwd: str | None = None,
                 sandboxed: bool = False, readable: tuple[str, ...] = (),
                 writable: tuple[str, ...] = ()):
        argv = [sys.executable, "-m", "marpkit.check.pool", str(jobs)]
        self.sandboxed = sandboxed
        self.view: str | None = None  # where the parent finds the pool's "/"
        if sandboxed:
            from marpkit.check import sandbox
            from marpkit.check.env import allowed

            env = allowed(dict(os.environ))
            env.update({"HOME": "/tmp", "TMPDIR": "/tmp", "MARPKIT_CHECK_SANDBOX": "1",
                        "MARPKIT_CHECK_SERVICE_ENV": json.dumps(service_env)})
            for key in ("PYTHONPATH", "MARPKIT_CHECK_SHARED_SERVICE"):
                if key in os.environ:
                    env[key] = os.environ[key]
            info_read, info_write = os.pipe()
            command = sandbox.pool_command(argv, env, list(readable), info_write, list(writable))
            try:
                # Not listed with the reaper: the pool ends its snippets
                # itself when marpkit goes (its stdin closes).
                self.proc = procs.spawn(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True, bufsize=1, pass_fds=(info_write,), reap=False)
            finally:
                os.close(info_write)
            with os.fdopen(info_read, "rb") as info:
                data = info.read()  # bwrap closes it once the namespaces exist
            try:
                self.view = f"/proc/{json.loads(data)['child-pid']}/root"
            except (ValueError, KeyError) as exc:
                procs.end(self.proc)
                raise PoolDied(f"the sandbox did not start ({self.proc.returncode})", set()) \
                    from exc
        else:
            env = dict(os.environ)
            env["MARPKIT_CHECK_SERVICE_ENV"] = json.dumps(service_env)
            self.proc = procs.spawn(
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True,
                bufsize=1, cwd=cwd, reap=False)  # `-m` puts the cwd first on sys.path: never the project
        self.shared_service: bool | None = None
        self.pending = 0
        self.started: dict[str, int] = {}  # job id -> pid, as the pool sees it
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

    def submit(self, job: Job) -> None:
        self._outbox.put(json.dumps({"op": "run", "job": job.to_json()}) + "\n")
        self.pending += 1

    def release(self, ident: str) -> None:
        self._outbox.put(json.dumps({"op": "release", "id": ident}) + "\n")

    def results(self):
        """Yield each job's completion message as it finishes."""
        self._outbox.put(json.dumps({"op": "close"}) + "\n")
        while self.pending:
            line = self.proc.stdout.readline()
            if not line:
                code = self.proc.wait()
                if not self.sandboxed:
                    # Outside a sandbox the snippets outlive a pool killed with
                    # SIGKILL; inside, the kernel has already ended them.
                    for pid in self.started.values():
                        procs.kill_group(pid)
                raise PoolDied(f"the check pool exited unexpectedly (exit code {code})",
                               set(self.started))
            message = json.loads(line)
            event = message.get("event")
            if event == "ready":
                self.shared_service = message["service"]
                if message.get("error"):
                    raise PoolDied(message["error"], set())
                continue
            if event == "started":
                self.started[message["id"]] = message["pid"]
                continue
            self.started.pop(message["id"], None)
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
            pass
        procs.end(self.proc)  # what is left of its group, if it did not end by itself


class SubprocessPool:
    """Same interface without fork: one fresh interpreter per snippet."""

    def __init__(self, jobs: int, service_env: dict[str, str] | None = None,
                 cwd: str | None = None):
        self.limit = max(1, jobs)
        self.cwd = cwd
        self.queue: deque[Job] = deque()
        self.shared_service = False
        self.running: list = []

    def submit(self, job: Job) -> None:
        self.queue.append(job)

    def release(self, ident: str) -> None:
        pass  # the parent removes the folders itself

    def _start(self, job: Job):
        Path(job.out).mkdir(parents=True, exist_ok=True)
        job_file = Path(job.result).with_suffix(".job.json")
        job_file.write_text(json.dumps(job.to_json()), encoding="utf-8")
        proc = procs.spawn([sys.executable, "-m", "marpkit.check.child", str(job_file)],
                           stdout=None, cwd=self.cwd)
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
                    if not timed_out and time.monotonic() - start > job.timeout:
                        timed_out = True
                        procs.kill_group(proc.pid)
                    still.append((job, proc, start, timed_out))
                    continue
                procs.end(proc)
                yield {"event": "done", "id": job.id, "returncode": proc.returncode,
                       "timed_out": timed_out, "duration_s": round(time.monotonic() - start, 3),
                       "disk_full": False}
            running[:] = still

    def close(self) -> None:
        for _job, proc, _start, _timed_out in self.running:
            procs.end(proc)


def make_pool(jobs: int, service_env: dict[str, str] | None, cwd: str | None = None,
              sandboxed: bool = False, readable: tuple[str, ...] = (),
              writable: tuple[str, ...] = ()):
    if sandboxed:
        return ForkPool(jobs, service_env, cwd, sandboxed=True, readable=readable,
                        writable=writable)
    if forking():
        return ForkPool(jobs, service_env, cwd)
    return SubprocessPool(jobs, service_env, cwd)


if __name__ == "__main__":
    serve(int(sys.argv[1]) if len(sys.argv) > 1 else (os.cpu_count() or 1))
    # Everything is reported and cleaned up: no interpreter teardown (wandb's
    # exit hooks, a thousand modules) for the parent to wait on.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
