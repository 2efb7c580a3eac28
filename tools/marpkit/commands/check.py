"""`marpkit check [DECK|SNIPPET...]`: run every snippet the decks show, prove what they claim.

The work is check/pipeline.py's; this module reads the options and reports.
Exit codes: 0 everything passed (or was skipped with a reason), 1 a snippet
failed or a reference is broken, 2 a usage error or a malformed snippet header
(a configuration mistake, reported as a finding with its line).
"""

from __future__ import annotations

import os
import time

import click

from marpkit.check.sandbox import ENV_LEVEL, LEVELS
from marpkit.findings import Exit, UsageError

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
@click.option("--report", "report_dir", type=click.Path(file_okay=False), default=None,
              help="Also write a self-contained HTML page of the results to DIR/index.html.")
@click.option("--shard", default=None, metavar="K/N",
              help="Run only the K-th of N deterministic slices of the snippets (CI fan-out).")
@click.option("--isolation", type=click.Choice(LEVELS), envvar=ENV_LEVEL, default="auto",
              show_default=True,
              help="auto: the OS sandbox where it works, else basic with a warning; "
                   "strict: exit 2 without it; basic: temp folders and limits only.")
def check_cmd(paths, jobs, timeout, no_cache, fmt, junit, report_dir, shard,
              isolation) -> int:
    """Execute the snippets shown in the decks against W&B offline and verify their claims."""
    from marpkit.config import load_project

    started = time.monotonic()
    project = load_project()
    if not project.slides_dir.is_dir() and not paths:
        raise UsageError(f"no slides folder at {project.rel(project.slides_dir)}")
    results, extra = _interruptible(_run, project, paths, jobs or os.cpu_count() or 1,
                                    timeout, not no_cache, parse_shard(shard), isolation)
    elapsed = time.monotonic() - started

    from marpkit.check import report

    if fmt == "json":
        click.echo(report.json_report(results, extra), nl=False)
    else:
        click.echo(report.text_report(results, extra, elapsed), nl=False)
    if junit:
        report.write_junit(junit, results, extra)
    if report_dir:
        from marpkit.check import report_page

        page = report_page.write(report_dir, results, extra, elapsed)  # WriteError: exit 2
        click.echo(f"report: {page}", err=True)
    everything = extra + [f for r in results for f in r.findings]
    from marpkit.outputs import status

    status.record_run(project, "check", everything, whole_course=not paths and not shard)
    if any(f.code == "MK306" for f in everything):
        return int(Exit.USAGE)
    if any(f.severity == "error" for f in everything) or any(r.status == "failed"
                                                             for r in results):
        return int(Exit.FINDINGS)
    return int(Exit.OK)


def _run(project, paths, jobs: int, timeout: float, use_cache: bool,
         shard: tuple[int, int] | None, isolation: str):
    # The executor first: with --no-cache its pool starts warming up now, and
    # the rest of check (the deck parser and all) imports beside it.
    from marpkit.check.executor import Executors

    executors = Executors(project, jobs, timeout, isolation, warm=not use_cache)
    try:
        from marpkit.check.pipeline import run_check

        return run_check(project, paths, executors, use_cache, shard)
    finally:
        executors.close()


def parse_shard(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    k, _, n = value.partition("/")
    if not (k.isdigit() and n.isdigit()) or not 1 <= int(k) <= int(n):
        raise UsageError(f"--shard takes K/N with 1 <= K <= N, not {value!r}")
    return int(k), int(n)


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
