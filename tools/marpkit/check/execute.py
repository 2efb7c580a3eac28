"""Running snippets: sandboxes, the pool, and turning a finished child into an Execution."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from marpkit.check.env import (
    MEMORY_LIMIT,
    OUTPUT_LIMIT,
    ClosedPort,
    child_env,
    prepare_sandbox,
    sandbox_dirs,
)
from marpkit.check.evaluate import Execution, wandb_warnings
from marpkit.check.outputs import normalise
from marpkit.check.plan import Task
from marpkit.check.runs import read_runs

READ_LIMIT = 1024 * 1024  # what we read back of stdout/stderr; the rest is a runaway


def _read(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            data = fh.read(READ_LIMIT)
    except OSError:
        return ""
    return data.decode("utf-8", errors="replace")


class Executor:
    """Runs tasks in per-snippet sandboxes under one temp root."""

    def __init__(self, jobs: int, timeout: float):
        self.jobs = max(1, jobs)
        self.timeout = timeout
        self.root = Path(tempfile.mkdtemp(prefix="marpkit-check-"))
        self.port = ClosedPort()
        self.pool = None
        self.tasks: dict[str, tuple[Task, Path, dict]] = {}

    def _service_env(self) -> dict:
        dirs = sandbox_dirs(self.root / "service")
        for path in dirs.values():
            path.mkdir(parents=True, exist_ok=True)
        return child_env(dict(os.environ), dirs, self.port.url)

    def start(self) -> None:
        from marpkit.check.pool import make_pool

        self.pool = make_pool(self.jobs, self._service_env(), str(self.root))

    def submit(self, task: Task) -> None:
        if self.pool is None:
            self.start()
        ident = f"s{len(self.tasks)}"
        sandbox = self.root / ident
        dirs = prepare_sandbox(sandbox, task.path.parent)
        script = dirs["work"] / task.path.name
        env = child_env(dict(os.environ), dirs, self.port.url)
        job = {
            "id": ident,
            "kind": task.kind,
            "script": str(script),
            "cwd": str(dirs["work"]),
            "env": env,
            "timeout": task.header.timeout or self.timeout,
            "stdout": str(sandbox / "stdout.txt"),
            "stderr": str(sandbox / "stderr.txt"),
            "result": str(sandbox / "result.json"),
            "memory": MEMORY_LIMIT,
            "output": OUTPUT_LIMIT,
        }
        self.tasks[ident] = (task, sandbox, env)
        self.pool.submit(job)

    def results(self):
        """Yield (task, Execution) as each submitted task finishes."""
        if self.pool is None:
            return
        for message in self.pool.results():
            task, sandbox, env = self.tasks[message["id"]]
            yield task, self._collect(task, sandbox, env, message)
            shutil.rmtree(sandbox, ignore_errors=True)

    def _collect(self, task: Task, sandbox: Path, env: dict, message: dict) -> Execution:
        import json

        dirs = sandbox_dirs(sandbox)
        run = Execution(returncode=message["returncode"], timed_out=message["timed_out"],
                        duration_s=message["duration_s"])
        try:
            result = json.loads((sandbox / "result.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            result = {}
        stderr = _read(sandbox / "stderr.txt")
        stdout = _read(sandbox / "stdout.txt")
        work = str(dirs["work"])
        exc = result.get("exception")
        if exc:
            for frame in exc.get("frames", []):
                if frame[0].startswith(work + os.sep):
                    frame[0] = os.path.relpath(frame[0], work)
        run.exception = exc
        run.warnings = wandb_warnings(stderr, result.get("warnings", []))
        run.stderr_tail = "\n".join(stderr.splitlines()[-20:]).replace(work, "<workdir>")
        run.calls = result.get("calls") or []
        run.lines = result.get("lines")
        run.problems = result.get("problems") or []
        run.observed = bool(result.get("observed"))
        elsewhere = [Path(c["run_file"]) for c in run.calls if c.get("run_file")]
        run.runs = read_runs(dirs["wandb"], env, elsewhere)
        for call in run.calls:  # sandbox paths mean nothing once it is removed
            if call.get("run_file"):
                folder = os.path.dirname(call.pop("run_file"))
                base = next((b for b in (work, str(dirs["wandb"])) if folder.startswith(b + os.sep)),
                            None)
                rel = Path(os.path.relpath(folder, base)).as_posix() if base else Path(folder).name
                call["run_dir"] = rel if base == work else f"$WANDB_DIR/{rel}"
        run.stdout = normalise(stdout, [r.run_id for r in run.runs], work, str(sandbox))
        return run

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
        self.port.close()
        shutil.rmtree(self.root, ignore_errors=True)


_BASH_ERROR = re.compile(r"^(?P<file>.*?): line (?P<line>\d+): (?P<message>.*)$")
_GCC = re.compile(r"^(?P<file>.*?):(?P<line>\d+):(?P<col>\d+): (?P<level>\w+): (?P<message>.*)$")


def _without_header(text: str) -> str:
    """The script with its `# /// marpkit` block blanked (shellcheck reads `# /` as a
    botched shebang); line numbers are kept."""
    from marpkit.check.header import CLOSE, OPEN

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
        proc = subprocess.run([bash, "-n", str(path)], capture_output=True, text=True,
                              timeout=30)
        if proc.returncode != 0:
            for line in proc.stderr.splitlines():
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
        proc = subprocess.run([shellcheck, "-s", "bash", "-f", "gcc", "-S", "warning",
                               "-e", "SC2148", "-"], input=script, capture_output=True,
                              text=True, timeout=60, cwd=path.parent)
        for line in proc.stdout.splitlines():
            match = _GCC.match(line)
            if match:
                severity = "error" if match["level"] == "error" else "warning"
                problems.append((int(match["line"]), f"shellcheck: {match['message']}",
                                 severity))
    return problems
