"""`marpkit check [DECK|SNIPPET...]`: run every snippet the decks show, prove what they claim.

Exit codes: 0 everything passed (or was skipped with a reason), 1 a snippet
failed or a reference is broken, 2 a usage error or a malformed snippet header
(a configuration mistake, reported as a finding with its line).
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

import click

from marpkit.check.sandbox import ENV_LEVEL, LEVELS
from marpkit.findings import Exit, Finding, UsageError

DEFAULT_TIMEOUT = 60.0


@click.command("check")
@click.argument("paths", nargs=-1)
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Snippets run at once (default: CPU count).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_TIMEOUT,
              show_default=True, help="Seconds per snippet unless its header sets `timeout:`.")
@click.option("--no-cache", is_flag=True, help="Run every snippet even if unchanged.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--junit", type=click.Path(dir_okay=False), default=None,
              help="Also write a JUnit XML report to this file.")
@click.option("--shard", default=None, metavar="K/N",
              help="Run only the K-th of N deterministic slices of the snippets (CI fan-out).")
@click.option("--isolation", type=click.Choice(LEVELS), envvar=ENV_LEVEL, default="auto",
              show_default=True,
              help="auto: the OS sandbox where it works, else basic with a warning; "
                   "strict: exit 2 without it; basic: temp folders and limits only.")
def check_cmd(paths, jobs, timeout, no_cache, fmt, junit, shard, isolation) -> int:
    """Execute the snippets shown in the decks against W&B offline and verify their claims."""
    from marpkit.config import load_project

    started = time.monotonic()
    project = load_project()
    if not project.slides_dir.is_dir() and not paths:
        raise UsageError(f"no slides folder at {project.rel(project.slides_dir)}")
    results, extra = _interruptible(run_check, project, paths, jobs or os.cpu_count() or 1,
                                    timeout, not no_cache, parse_shard(shard), isolation)
    elapsed = time.monotonic() - started

    from marpkit.check import report

    if fmt == "json":
        click.echo(report.json_report(results, extra), nl=False)
    else:
        click.echo(report.text_report(results, extra, elapsed), nl=False)
    if junit:
        report.write_junit(junit, results, extra)
    everything = extra + [f for r in results for f in r.findings]
    from marpkit.outputs import status

    status.record_run(project, "check", everything, whole_course=not paths and not shard)
    if any(f.code == "MK306" for f in everything):
        return int(Exit.USAGE)
    if any(f.severity == "error" for f in everything) or any(r.status == "failed"
                                                             for r in results):
        return int(Exit.FINDINGS)
    return int(Exit.OK)


def parse_shard(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    k, _, n = value.partition("/")
    if not (k.isdigit() and n.isdigit()) or not 1 <= int(k) <= int(n):
        raise UsageError(f"--shard takes K/N with 1 <= K <= N, not {value!r}")
    return int(k), int(n)


def in_shard(rel: str, shard: tuple[int, int] | None) -> bool:
    """Stable across machines and runs: a hash of the snippet's path, not its position."""
    if shard is None:
        return True
    import hashlib

    k, n = shard
    return int(hashlib.sha256(rel.encode("utf-8")).hexdigest(), 16) % n == k - 1


def run_check(project, paths, jobs: int, timeout: float, use_cache: bool,
              shard: tuple[int, int] | None = None, isolation: str = "auto"):
    if isolation == "strict":
        from marpkit.check.sandbox import choose

        choose(isolation)  # before anything is planned, copied or run
    executor = None
    if not use_cache:
        # Every snippet will run: the pool warms up (wandb imported, wandb-core
        # started: about a second) while marpkit imports, reads and plans.
        # Measured on the bench's 12 snippets: median of 6, 2.52 s -> 2.28 s.
        executor = make_executor(project, jobs, timeout, isolation)
        executor.start()
    try:
        return _run_check(project, paths, jobs, timeout, use_cache, shard, isolation, executor)
    finally:
        if executor is not None:
            executor.close()


def _run_check(project, paths, jobs, timeout, use_cache, shard, isolation, executor):
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
    from marpkit.check.plan import plan, skip_reason
    from marpkit.check.report import Progress, SnippetResult

    tasks, extra = plan(project, tuple(paths))
    tasks = [t for t in tasks if in_shard(t.rel, shard)]
    cache = Cache(project.cache_dir, enabled=use_cache)
    results = {id(t): SnippetResult(t) for t in tasks}
    progress = Progress(len(tasks))
    to_run = []
    shell_checks = []

    def finish(result: SnippetResult) -> None:
        if result.status not in ("skipped",) and any(f.severity == "error"
                                                     for f in result.findings):
            result.status = "failed"
        progress.advance(result)

    for task in tasks:
        result = results[id(task)]
        placer = Placer(task, project.rel)
        if task.header_error is not None:
            err = task.header_error
            result.findings.append(placer.at(err.line, BAD_HEADER,
                                             f"has a bad `# /// marpkit` header: {err}"))
            result.status = "failed"
            finish(result)
            continue
        reason = skip_reason(task)
        if reason:
            result.status, result.skip_reason = "skipped", reason
            result.findings.append(placer.at(None, SKIPPED, f"skipped: {reason}", "info"))
            finish(result)
            continue
        if task.kind == "shell":
            shell_checks.append(task)
            continue
        problem = _compile_error(task)
        if problem is not None:
            line, message = problem
            result.findings.append(placer.at(line, EXEC_FAILED, message))
            finish(result)
            continue
        to_run.append(task)

    # Shell syntax checks are subprocesses: run them beside the Python snippets.
    from marpkit.check.executor import shell_problems

    threads = ThreadPoolExecutor(max_workers=max(1, jobs))
    shell_futures = {threads.submit(shell_problems, t.path): t for t in shell_checks}

    keys: dict[int, str] = {}

    def from_cache_or_submit(task) -> None:
        nonlocal executor
        result = results[id(task)]
        keys[id(task)] = key = cache_key(project.snippets_dir, task.path)
        entry = cache.get(key)
        if entry is not None:
            execution = Execution.from_json(entry.execution)
            result.execution = execution
            result.status = "cached"
            result.duration_s = execution.duration_s
            result.findings += evaluate(task, execution, Placer(task, project.rel))
            finish(result)
            if entry.passed != (result.status != "failed"):
                entry.passed = result.status != "failed"
                cache.put(key, entry)
            return
        if executor is None:
            executor = make_executor(project, jobs, timeout, isolation)
        executor.submit(task)

    try:
        for task in to_run:
            from_cache_or_submit(task)

        for future, task in shell_futures.items():
            result = results[id(task)]
            placer = Placer(task, project.rel)
            for line, message, severity in future.result():
                result.findings.append(placer.at(line, SHELL, message, severity))
            if task.header.run and not any(f.severity == "error" for f in result.findings):
                from_cache_or_submit(task)
                continue
            finish(result)

        if executor is not None:
            done: set[int] = set()
            try:
                for task, execution, limit in executor.results():
                    done.add(id(task))
                    result = results[id(task)]
                    result.execution = execution
                    result.duration_s = execution.duration_s
                    placer = Placer(task, project.rel)
                    found = evaluate(task, execution, placer)
                    if limit:
                        # The limit is the cause; the ENOSPC it raised is only its echo.
                        found = [f for f in found if f.code != EXEC_FAILED]
                        found.insert(0, placer.at(None, TIMEOUT, limit))
                    result.findings += found
                    clean = (not execution.timed_out and execution.exception is None
                             and execution.returncode == task.header.exit)
                    finish(result)
                    if clean and id(task) in keys:
                        # `passed` is the verdict against the decks as they are
                        # now; output= fences are only filled from passing runs.
                        cache.put(keys[id(task)], CacheEntry(
                            task.rel, result.status != "failed", execution.stdout,
                            execution.to_json()))
            except RuntimeError as exc:
                # The pool itself died (killed, out of memory): every snippet
                # still in it is reported, not silently dropped.
                for task in executor.tasks.values():
                    if id(task) not in done:
                        result = results[id(task)]
                        result.findings.append(Placer(task, project.rel).at(
                            None, EXEC_FAILED, f"was not checked: {exc}"))
                        finish(result)
    finally:
        progress.stop()
        threads.shutdown(wait=False)
        if executor is not None:
            executor.close()
    ordered = [results[id(t)] for t in tasks]
    return ordered, extra


def make_executor(project, jobs: int, timeout: float, isolation: str):
    """The executor, in the OS sandbox unless it is unavailable (said once) or unwanted."""
    import sys

    from marpkit.check.executor import Executor
    from marpkit.check.sandbox import choose

    sandboxed, warning = choose(isolation)
    if warning:
        click.echo(warning, err=True)
    # What the sandbox must still read when it hides /tmp and HOME: the
    # project, Python and every folder on its path (marpkit included).
    readable = (str(project.root), sys.prefix, sys.base_prefix, sys.exec_prefix,
                os.path.dirname(sys.executable), os.path.dirname(os.path.realpath(sys.executable)),
                *(p for p in sys.path if p and os.path.isdir(p)))
    return Executor(jobs, timeout, sandboxed, readable)


def _interruptible(func, *args):
    """Run with SIGTERM raising KeyboardInterrupt, so `finally` blocks stop the pool
    (and every snippet still running) instead of leaving them to their timeouts."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return func(*args)

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        return func(*args)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _compile_error(task) -> tuple[int | None, str] | None:
    try:
        compile(task.text, str(task.path), "exec", dont_inherit=True)
    except SyntaxError as exc:
        return exc.lineno, f"does not compile: SyntaxError: {exc.msg}"
    except ValueError as exc:
        return None, f"does not compile: {exc}"
    return None


__all__ = ["check_cmd", "run_check", "Finding"]
