"""Running snippets: sandboxes, the pool, and turning a finished child into an Execution.

This module is imported before the rest of check (see Executors): what it
needs only once a snippet has run (the deck model, the run-file reader) it
imports then.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from marpkit import procs
from marpkit.check import descendants
from marpkit.check.env import (
    OUTPUT_LIMIT,
    ClosedPort,
    child_env,
    measuring,
    sandbox_dirs,
)
from marpkit.check.job import REPORT_LIMIT, RESULT, STDERR, STDOUT, Job
from marpkit.check.limits import ADDRESS_SPACE, Cgroups, hit_message, raise_hint, size_text
from marpkit.findings import UsageError
from marpkit.fsutil import read_input
from marpkit.text import split_lines

if TYPE_CHECKING:
    from marpkit.check.plan import Task

READ_LIMIT = 1024 * 1024  # what we read back of stdout/stderr; the rest is a runaway
READERS = 4  # threads reading finished jobs' files (mostly waiting on wandb-core)


def _read(path: Path) -> str:
    # Files the snippet could replace: read_input opens without blocking and
    # reads only a plain file (a FIFO left in its place would hang the check).
    try:
        return read_input(path, READ_LIMIT, head=True).decode("utf-8", errors="replace")
    except OSError:
        return ""


POOL_DIED = "the check pool died while this snippet ran (killed, or out of memory)"


class Executor:
    """Runs tasks in per-snippet folders, in the OS sandbox when `sandboxed`."""

    def __init__(self, jobs: int, timeout: float, sandboxed: bool = False,
                 readable: tuple[str, ...] = ()):
        self.jobs = max(1, jobs)
        self.timeout = timeout
        self.sandboxed = sandboxed
        self.readable = readable
        if sandboxed:
            # Paths as the pool sees them; the parent reads them through its view.
            from marpkit.check.sandbox import CLOSED_URL, ROOT, under_tmp

            self.root = Path(ROOT)
            self.tmp_readable = under_tmp(readable)
            self.port = None
            self.url = CLOSED_URL
        else:
            self.root = Path(tempfile.mkdtemp(prefix="marpkit-check-"))
            self.tmp_readable = []
            self.port = ClosedPort()
            self.url = self.port.url
        self.pool = None
        self.tasks: dict[str, Task] = {}
        self.submitted: dict[str, Job] = {}
        # Per-snippet process and memory limits; None: rlimits only (limits.py).
        self.cgroups, _why_not = Cgroups.create()

    def _service_env(self) -> dict:
        dirs = sandbox_dirs(self.root / "service")
        if not self.sandboxed:
            for path in dirs.values():
                path.mkdir(parents=True, exist_ok=True)
        return child_env(dict(os.environ), dirs, self.url)

    def start(self) -> None:
        from marpkit.check.pool import make_pool

        self.pool = make_pool(self.jobs, self._service_env(), str(self.root),
                              sandboxed=self.sandboxed, readable=self.readable,
                              writable=tuple(self.cgroups.binds) if self.cgroups else ())

    def _host(self, path: Path) -> Path:
        """A path of the pool's filesystem as this process reaches it."""
        view = getattr(self.pool, "view", None)
        return Path(view + str(path)) if view else path

    def submit(self, task: Task) -> None:
        if self.pool is None:
            self.start()
        ident = f"s{len(self.tasks)}"
        sandbox = self.root / ident
        dirs = sandbox_dirs(sandbox)
        env = child_env(dict(os.environ), dirs, self.url)
        record = measuring("RECORD")
        if task.kind == "python" and record:  # its child interpreters record as it does
            env.update(descendants.env(str(self.root / f"{ident}.out"), str(dirs["work"])))
        job = Job(
            id=ident, kind=task.kind, source=str(task.path.parent), root=str(sandbox),
            out=str(self.root / f"{ident}.out"), script=str(dirs["work"] / task.path.name),
            cwd=str(dirs["work"]), env=env,
            timeout=task.header.timeout or self.timeout, disk=task.limits.disk,
            # Address space per process: the cgroup holds the real memory limit.
            memory=max(ADDRESS_SPACE, task.limits.memory),
            # No single file may outgrow the whole quota; with the default it is 256 MiB.
            output=max(OUTPUT_LIMIT, task.limits.disk),
            processes=task.limits.processes,
            cgroups=self.cgroups.make(ident, task.limits) if self.cgroups else [],
            # wandb-core's socket lives there: the one thing of the pool a snippet sees.
            visible=[str(self.root / "service"), *self.tmp_readable],
            record=record, coverage=measuring("COVERAGE"))
        self.tasks[ident] = task
        self.submitted[ident] = job
        self.pool.submit(job)

    def results(self):
        """Yield (task, Execution, limit) as each submitted task finishes; `limit` says
        which resource limit (disk) it hit, or is None.

        If the pool dies, it is started again for the snippets it had not
        finished; those that were running are retried one at a time, and one
        that takes the pool down again fails alone.
        """
        if self.pool is None:
            return
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="marpkit-read") as readers:
            yield from self._results(readers)

    def _results(self, readers):
        from concurrent.futures import FIRST_COMPLETED, wait

        from marpkit.check.pool import PoolDied

        # A finished job's files are read (its run files through wandb-core,
        # 30 ms each) while the pool runs the next ones.
        def ready(pending: set, block: bool = False):
            while pending:
                done, _ = wait(pending, timeout=None if block else 0, return_when=FIRST_COMPLETED)
                if not done:
                    return
                for future in sorted(done, key=lambda f: _order(f.ident)):
                    pending.discard(future)
                    yield future.result()

        def read(message: dict):
            future = readers.submit(self._finish, message)
            future.ident = message["id"]
            return future

        finished: set[str] = set()
        suspects: set[str] = set()
        while True:
            progress = False
            pending: set = set()
            try:
                for message in self.pool.results():
                    finished.add(message["id"])
                    progress = True
                    pending.add(read(message))
                    yield from ready(pending)
                yield from ready(pending, block=True)
                return
            except PoolDied as exc:
                yield from ready(pending, block=True)
                guilty = exc.running & suspects
                for ident in sorted(guilty, key=_order):
                    finished.add(ident)
                    yield self._finish({"id": ident, "returncode": -9, "timed_out": False,
                                        "duration_s": 0.0, "error": POOL_DIED})
                if not (progress or exc.running):
                    raise  # it dies before running anything: no retry would help
                suspects |= exc.running - guilty
                left = [i for i in sorted(self.submitted, key=_order) if i not in finished]
                if not left:
                    return
                self._restart(left, suspects)

    def _restart(self, idents: list[str], suspects: set[str]) -> None:
        try:
            self.pool.close()
        except Exception:  # noqa: BLE001 - it is already gone
            pass
        self.start()
        for ident in idents:
            job = self.submitted[ident]
            # The dead pool's wandb-core is gone: the new pool sets its own.
            env = {k: v for k, v in job.env.items() if k != "WANDB_SERVICE"}
            self.pool.submit(replace(job, env=env, alone=ident in suspects))

    def _finish(self, message: dict):
        task, job = self.tasks[message["id"]], self.submitted[message["id"]]
        try:
            execution, limit = self._collect(job, message)
        finally:
            self.pool.release(job.id)
            if self.cgroups:
                self.cgroups.remove(job.id)
            if not self.sandboxed:
                shutil.rmtree(job.root, ignore_errors=True)
                shutil.rmtree(job.out, ignore_errors=True)
        return task, execution, limit

    def _collect(self, job: Job, message: dict):
        import json

        from marpkit.check.evaluate import Execution, wandb_warnings
        from marpkit.check.output_fences import normalise
        from marpkit.check.run_files import read_runs, written_runs

        task = self.tasks[job.id]
        sandbox = Path(job.root)
        dirs = sandbox_dirs(sandbox)
        out = self._host(Path(job.out))
        run = Execution(returncode=message["returncode"], timed_out=message["timed_out"],
                        duration_s=message["duration_s"])
        try:
            result = json.loads(read_input(out / RESULT, REPORT_LIMIT))
        except (OSError, ValueError):
            result = {}
        result = descendants.collect(out, result, Path(job.script).name)
        limit = result.get("over_quota")
        hit = self.cgroups.hit(message["id"]) if self.cgroups else None
        if hit and not limit:
            limit = hit_message(hit, task.limits, task.ceiling)
        if message.get("disk_full") and not limit:
            limit = (f"used all of its disk quota of {size_text(job.disk)}; "
                     f"{raise_hint('disk', task.limits, task.ceiling)}")
        stderr = _read(out / STDERR)
        stdout = _read(out / STDOUT)
        work = str(dirs["work"])
        exc = result.get("exception")
        if exc:
            for frame in exc.get("frames", []):
                if frame[0].startswith(work + os.sep):
                    frame[0] = os.path.relpath(frame[0], work)
            exc["message"] = self._stable(str(exc["message"]))
        run.exception = exc
        run.warnings = wandb_warnings(stderr, result.get("warnings", []))
        tail = "\n".join(split_lines(stderr)[-20:]).replace(work, "<workdir>")
        run.stderr_tail = self._stable(message.get("error") or tail)
        run.calls = result.get("calls") or []
        run.lines = result.get("lines")
        run.problems = result.get("problems") or []
        run.observed = bool(result.get("observed"))
        # Run files the recorder saw (`wandb.init(dir=...)`), as this process reaches them.
        elsewhere = [self._host(Path(c["run_file"])) for c in run.calls if c.get("run_file")]
        known = written_runs(self._host(Path(job.runs)), message.get("runs"))
        for found in known or []:
            found.path = str(self._host(Path(found.path)))
        run.runs = read_runs(None if known is not None else self._host(dirs["wandb"]), job.env,
                             elsewhere, known)
        for call in run.calls:  # sandbox paths mean nothing once it is removed
            if call.get("run_file"):
                folder = os.path.dirname(call.pop("run_file"))
                base = next((b for b in (work, str(dirs["wandb"])) if folder.startswith(b + os.sep)),
                            None)
                rel = Path(os.path.relpath(folder, base)).as_posix() if base else Path(folder).name
                call["run_dir"] = rel if base == work else f"$WANDB_DIR/{rel}"
        run.stdout = normalise(self._stable(stdout), [r.run_id for r in run.runs], work,
                               str(sandbox))
        return run, limit

    def _stable(self, text: str) -> str:
        """The closed port W&B names in its errors, written the same on every run."""
        address = self.url.split("//", 1)[1]
        return re.sub(re.escape(address) + r"(?!\d)", CLOSED_SERVER, text)

    def close(self) -> None:
        """End the pool and remove what it left; closing twice is harmless."""
        pool, self.pool = self.pool, None
        if pool is not None:
            pool.close()
        cgroups, self.cgroups = self.cgroups, None
        if cgroups is not None:
            cgroups.close()
        port, self.port = self.port, None
        if port is not None:
            port.close()
            shutil.rmtree(self.root, ignore_errors=True)


class Executors:
    """The executor, made for the first snippet the cache cannot answer, or at
    once (`warm`) when every snippet will run: then the pool imports wandb and
    starts wandb-core (about half a second) while marpkit imports its deck
    parser, reads and plans."""

    def __init__(self, project, jobs: int, timeout: float, isolation: str, warm: bool):
        from marpkit.check.sandbox import choose, effective

        self.args = (project, jobs, timeout, isolation)
        self.jobs = jobs
        self.current: Executor | None = None
        if warm:
            self.current = _started_executor(*self.args)
        elif effective(isolation) == "strict":  # `auto` too under CI=true
            choose(isolation)  # before anything is planned, copied or run

    def get(self) -> Executor:
        if self.current is None:
            self.current = _started(make_executor(*self.args))
        return self.current

    def close(self) -> None:
        if self.current is not None:
            self.current.close()


def make_executor(project, jobs: int, timeout: float, isolation: str) -> Executor:
    """The executor, in the OS sandbox unless it is unavailable (said once) or unwanted."""
    from marpkit.check.sandbox import choose

    sandboxed, warning = choose(isolation)
    if warning:
        click.echo(warning, err=True)
    return Executor(jobs, timeout, sandboxed, _readable(project))


def _started(executor: Executor) -> Executor:
    """`executor` with its pool started; closed (no cgroup, folder or process
    left) if that fails or is interrupted. A pool that cannot start is the
    machine's set-up, said in one line (exit 2), not a traceback."""
    from marpkit.check.pool import PoolDied

    try:
        executor.start()
    except PoolDied as exc:
        executor.close()
        raise UsageError(f"{exc}; `--isolation basic` runs snippets without the OS "
                         "sandbox") from None
    except BaseException:
        executor.close()
        raise
    return executor


def _started_executor(project, jobs: int, timeout: float, isolation: str) -> Executor:
    """make_executor's executor, started. Where the sandbox may work, its pool
    starts in it while the probe that decides (sandbox.unavailable, ~30 ms)
    runs beside it, not before it; if the probe says no, that pool goes and
    make_executor decides as ever."""
    from marpkit.check.sandbox import effective, may_be_available, unavailable

    if effective(isolation) != "basic" and may_be_available():
        probe = threading.Thread(target=unavailable, daemon=True)
        probe.start()
        executor = Executor(jobs, timeout, True, _readable(project))
        failure = None
        try:
            _started(executor)
        except UsageError as exc:
            failure = exc
        try:
            probe.join()
        except BaseException:
            executor.close()
            raise
        if unavailable() is None:
            if failure is not None:  # the probe passed: this start failure is the answer
                raise failure
            return executor
        executor.close()
    return _started(make_executor(project, jobs, timeout, isolation))


def _readable(project) -> tuple[str, ...]:
    """What the sandbox must still read when it hides /tmp and HOME: the
    project, Python and every folder on its path (marpkit included)."""
    return (str(project.root), sys.prefix, sys.base_prefix, sys.exec_prefix,
            os.path.dirname(sys.executable), os.path.dirname(os.path.realpath(sys.executable)),
            *(p for p in sys.path if p and os.path.isdir(p)))


CLOSED_SERVER = "127.0.0.1:<closed-port>"


def _order(ident: str) -> int:
    return int(ident[1:])


_BASH_ERROR = re.compile(r"^(?P<file>.*?): line (?P<line>\d+): (?P<message>.*)$")
_GCC = re.compile(r"^(?P<file>.*?):(?P<line>\d+):(?P<col>\d+): (?P<level>\w+): (?P<message>.*)$")


def _without_header(text: str) -> str:
    """The script with its `# /// marpkit` block blanked (shellcheck reads `# /` as a
    botched shebang); line numbers are kept."""
    from marpkit.check.header import CLOSE, OPEN

    # bash and shellcheck count lines by LF alone: so does this, to keep their numbers.
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if OPEN.match(line)), None)
    if start is None:
        return text
    end = next((i for i in range(start + 1, len(lines)) if CLOSE.match(lines[i])), start)
    for i in range(start, end + 1):
        lines[i] = ""
    return "\n".join(lines)


def shell_problems(path: Path) -> list[tuple[int | None, str, str]]:
    """(file line, message, severity) from `bash -n` and, if installed, shellcheck."""
    problems: list[tuple[int | None, str, str]] = []
    bash = shutil.which("bash")
    if bash:
        proc = procs.run([bash, "-n", str(path)], text=True, timeout=30)
        if proc.returncode != 0:
            for line in split_lines(proc.stderr):
                match = _BASH_ERROR.match(line)
                if match:
                    problems.append((int(match["line"]), f"bash: {match['message']}", "error"))
            if not problems:
                problems.append((None, f"bash -n failed: {proc.stderr.strip()[:200]}", "error"))
    shellcheck = shutil.which("shellcheck")
    if shellcheck and not problems:
        # SC2148 (no shebang): slides show fragments, and we run them with bash anyway.
        try:
            script = _without_header(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            script = ""
        proc = procs.run([shellcheck, "-s", "bash", "-f", "gcc", "-S", "warning",
                          "-e", "SC2148", "-"], input=script, text=True, timeout=60,
                         cwd=path.parent)
        for line in split_lines(proc.stdout):
            match = _GCC.match(line)
            if match:
                severity = "error" if match["level"] == "error" else "warning"
                problems.append((int(match["line"]), f"shellcheck: {match['message']}",
                                 severity))
    return problems
