"""Checking the snippets the decks show: plan them, settle what needs no run, run
the rest (the cache first), and decide each one's verdict. The click command
(commands/check.py) reports what this returns.

A verdict is decided in one place, `Verdicts`: a snippet fails when it has an
error finding (a skipped one never does), and a clean execution is cached with
that verdict, which is what `output=` fences are filled from.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from marpkit.check.cache import Cache, CacheEntry, cache_key
from marpkit.check.evaluate import (
    BAD_HEADER,
    EXEC_FAILED,
    SHELL,
    SKIPPED,
    TIMEOUT,
    Execution,
    Placer,
    evaluate,
)
from marpkit.check.executor import Executors
from marpkit.check.plan import Task, plan, skip_reason
from marpkit.check.report import Progress, SnippetResult
from marpkit.findings import Finding


def run_check(project, paths, executors: Executors, use_cache: bool,
              shard: tuple[int, int] | None = None) -> tuple[list[SnippetResult], list[Finding]]:
    """Every snippet's result, in path order, and the findings that belong to no
    snippet; `executors` runs what the cache cannot answer (closed by the caller)."""
    tasks, extra = plan(project, tuple(paths))
    tasks = [t for t in tasks if in_shard(t.rel, shard)]
    verdicts = Verdicts(project, tasks, use_cache)
    try:
        _check(triage(tasks, verdicts), verdicts, executors)
    finally:
        verdicts.progress.stop()
    return [verdicts.results[id(t)] for t in tasks], extra


def in_shard(rel: str, shard: tuple[int, int] | None) -> bool:
    """Stable across machines and runs: a hash of the snippet's path, not its position."""
    if shard is None:
        return True
    import hashlib

    k, n = shard
    return int(hashlib.sha256(rel.encode("utf-8")).hexdigest(), 16) % n == k - 1


@dataclass
class Triage:
    """The tasks that still need a process, once those that need none are settled."""

    python: list[Task] = field(default_factory=list)  # run, unless the cache has them
    shell: list[Task] = field(default_factory=list)  # syntax-checked; run if `run: true`


def triage(tasks: list[Task], verdicts: Verdicts) -> Triage:
    """Settle bad headers, skips and Python that does not compile; sort the rest."""
    out = Triage()
    for task in tasks:
        if task.header_error is not None:
            error = task.header_error
            verdicts.fail(task, error.line, BAD_HEADER,
                          f"has a bad `# /// marpkit` header: {error}")
        elif reason := skip_reason(task):
            verdicts.skip(task, reason)
        elif task.kind == "shell":
            out.shell.append(task)
        elif (problem := _compile_error(task)) is not None:
            line, message = problem
            verdicts.fail(task, line, EXEC_FAILED, message)
        else:
            out.python.append(task)
    return out


def _compile_error(task: Task) -> tuple[int | None, str] | None:
    try:
        compile(task.text, str(task.path), "exec", dont_inherit=True)
    except SyntaxError as exc:
        return exc.lineno, f"does not compile: SyntaxError: {exc.msg}"
    except ValueError as exc:
        return None, f"does not compile: {exc}"
    return None


class Verdicts:
    """Each task's SnippetResult, and the cache entries that follow from them."""

    def __init__(self, project, tasks: list[Task], use_cache: bool):
        self.project = project
        self.cache = Cache(project.cache_dir, enabled=use_cache)
        self.results = {id(t): SnippetResult(t) for t in tasks}
        self.keys: dict[int, str] = {}  # as the snippet's folder was before it ran
        self.progress = Progress(len(tasks))

    def _placer(self, task: Task) -> Placer:
        return Placer(task, self.project.rel)

    def _finish(self, result: SnippetResult) -> None:
        if result.status != "skipped" and any(f.severity == "error" for f in result.findings):
            result.status = "failed"
        self.progress.advance(result)

    def fail(self, task: Task, line: int | None, code: str, message: str) -> None:
        result = self.results[id(task)]
        result.findings.append(self._placer(task).at(line, code, message))
        self._finish(result)

    def skip(self, task: Task, reason: str) -> None:
        result = self.results[id(task)]
        result.status, result.skip_reason = "skipped", reason
        result.findings.append(self._placer(task).at(None, SKIPPED, f"skipped: {reason}", "info"))
        self._finish(result)

    def shell_checked(self, task: Task, problems: list[tuple[int | None, str, str]]) -> bool:
        """Place what `bash -n` and shellcheck found; whether the script is to run now."""
        result = self.results[id(task)]
        placer = self._placer(task)
        for line, message, severity in problems:
            result.findings.append(placer.at(line, SHELL, message, severity))
        if task.header.run and not any(f.severity == "error" for f in result.findings):
            return True
        self._finish(result)
        return False

    def from_cache(self, task: Task) -> bool:
        """Judge the task on its cached execution, if there is one for it as it is now."""
        key = self.keys[id(task)] = cache_key(self.project.snippets_dir, task.path)
        entry = self.cache.get(key)
        if entry is None:
            return False
        result = self.results[id(task)]
        result.execution = execution = Execution.from_json(entry.execution)
        result.status, result.duration_s = "cached", execution.duration_s
        result.findings += evaluate(task, execution, self._placer(task))
        self._finish(result)
        if entry.passed != _passed(result):  # the decks changed what the run must prove
            entry.passed = _passed(result)
            self.cache.put(key, entry)
        return True

    def executed(self, task: Task, execution: Execution, limit: str | None) -> None:
        """Judge a finished run; `limit` names the resource limit it hit, if any."""
        result = self.results[id(task)]
        result.execution, result.duration_s = execution, execution.duration_s
        placer = self._placer(task)
        found = evaluate(task, execution, placer)
        if limit:
            # The limit is the cause; the ENOSPC it raised is only its echo.
            found = [f for f in found if f.code != EXEC_FAILED]
            found.insert(0, placer.at(None, TIMEOUT, limit))
        result.findings += found
        self._finish(result)
        clean = (not execution.timed_out and execution.exception is None
                 and execution.returncode == task.header.exit)
        if clean and id(task) in self.keys:
            self.cache.put(self.keys[id(task)], CacheEntry(
                task.rel, _passed(result), execution.stdout, execution.to_json()))

    def unchecked(self, task: Task, why: Exception) -> None:
        self.fail(task, None, EXEC_FAILED, f"was not checked: {why}")


def _passed(result: SnippetResult) -> bool:
    """The verdict a cache entry records: output= fences are only filled from passing runs."""
    return result.status != "failed"


def _check(triaged: Triage, verdicts: Verdicts, executors: Executors) -> None:
    # Shell syntax checks are subprocesses: run them beside the Python snippets.
    from marpkit.check.executor import shell_problems

    threads = ThreadPoolExecutor(max_workers=max(1, executors.jobs))
    try:
        shell = {threads.submit(shell_problems, t.path): t for t in triaged.shell}
        for task in triaged.python:  # running while the shell checks finish
            _cached_or_submitted(task, verdicts, executors)
        for future, task in shell.items():
            if verdicts.shell_checked(task, future.result()):
                _cached_or_submitted(task, verdicts, executors)
        if executors.current is not None:
            _collect(executors.current, verdicts)
    finally:
        threads.shutdown(wait=False)


def _cached_or_submitted(task: Task, verdicts: Verdicts, executors: Executors) -> None:
    if not verdicts.from_cache(task):
        executors.get().submit(task)


def _collect(executor, verdicts: Verdicts) -> None:
    done: set[int] = set()
    try:
        for task, execution, limit in executor.results():
            done.add(id(task))
            verdicts.executed(task, execution, limit)
    except RuntimeError as exc:
        # The pool itself died (killed, out of memory): every snippet still in
        # it is reported, not silently dropped.
        for task in executor.tasks.values():
            if id(task) not in done:
                verdicts.unchecked(task, exc)
