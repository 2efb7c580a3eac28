"""Marp CLI converts every changed deck: one call per format, all formats at once."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click

from marpkit import marp
from marpkit.build.assets import copy_pairs
from marpkit.build.manifest import Manifest
from marpkit.build.prepare import Job
from marpkit.build.progress import Progress
from marpkit.build.publish import outputs_of, publish, stage, staged, unstage
from marpkit.config import Project
from marpkit.findings import Exit
from marpkit.fsutil import atomic_write
from marpkit.marp.converter import FORMATS, MarpRun, MarpSettings, timeout_advice, uses_katex

MARP_FAILED = "MK900"
MARP_WARNING = "MK901"
# Marp CLI's two wordings: its own wait, and Puppeteer's navigation timeout.
_TIMED_OUT = re.compile(r"(?:Timed out after waiting|timeout of)\s*(\d+)\s*ms", re.I)


def convert(project: Project, todo: dict[str, list[Job]], settings: MarpSettings,
            chromium: str | None, manifest: Manifest, written: dict[str, int]) -> int:
    """Convert `todo` (format -> decks) and publish what succeeds; record it in
    `manifest` and count it in `written` (deck stem -> output files)."""
    jobs = {job.stem: job for stale in todo.values() for job in stale}
    for job in jobs.values():
        copy_pairs(job.assets)
        stage(project, job)
    run = settings.cli_run(project.build_dir / ".marpkit" / "marp.config.json",
                           out_dir=project.build_dir,
                           math=uses_katex(job.deck for job in jobs.values()))
    progress = Progress(sum(len(v) for v in todo.values()))
    try:
        runnable, status = _runnable(todo, chromium)
        handouts = runnable.pop("handout", [])
        if render := _handout_renders(project, handouts, runnable.get("html", []), manifest):
            runnable["handout"] = render
        # A thumbnail without a Marp run of its own where the browser shows
        # the deck anyway: the first of the deck's slide images, else a capture
        # of the page Marp prints to PDF (marp.MarpCall.thumbnails).
        wanted = runnable.pop("thumbnail", [])
        imaged = {j.stem for j in runnable.get("png", [])}
        printed = {j.stem for j in runnable.get("pdf", [])} - imaged
        if rest := [j for j in wanted if j.stem not in imaged | printed]:
            runnable["thumbnail"] = rest
        captured = [j for j in wanted if j.stem in printed]
        printer = None
        if handouts:
            def printer(results: dict[str, marp.MarpResult]) -> dict[str, str]:
                return _print_handouts(project, handouts, runnable, results, settings, chromium)
        results, unprinted = _run_all(project, runnable, settings, run, chromium, progress,
                                      printer, captured)
        for name, stale in runnable.items():  # reported in a stable order
            if name != "handout":  # that Marp run made only the handouts' HTML
                status = max(status, _publish_all(project, name, stale, results[name], manifest,
                                                  written))
        status = max(status, _publish_captured(project, captured, results.get("pdf"), manifest,
                                               settings, run, chromium, progress, written))
        for job in (j for j in wanted if j.stem in imaged):
            if images := _slide_images(project, job, manifest):
                atomic_write(outputs_of(project, job.stem, FORMATS["thumbnail"])[0],
                             images[0].read_bytes())
                manifest.set(f"{job.stem}:thumbnail", job.digest_for("thumbnail"))
        if handouts:
            status = max(status, _publish_handouts(project, handouts, unprinted, manifest,
                                                   written))
    finally:
        progress.close()
        for job in jobs.values():
            unstage(project, job)
    return status


def _publish_captured(project: Project, jobs: list[Job], printing: marp.MarpResult | None,
                      manifest: Manifest, settings: MarpSettings, run: MarpRun,
                      chromium: str | None, progress: Progress, written: dict[str, int]) -> int:
    """Publish the thumbnails captured while printing PDFs (`printing`: that
    run's result, trusted as its PDFs are). A deck printed without one (the
    capture failed: it relies on how Marp CLI loads a deck) gets it from a
    Marp run of its own; one whose PDF failed is left, as its thumbnail's own
    run would fail the same way."""
    fmt = FORMATS["thumbnail"]
    if not jobs or printing is None or not _trusted(printing):
        return Exit.OK
    again = []
    for job in jobs:
        if publish(project, job, fmt):
            manifest.set(f"{job.stem}:thumbnail", job.digest_for("thumbnail"))
        elif manifest.fresh(f"{job.stem}:pdf", job.digest_for("pdf"),
                            outputs_of(project, job.stem, FORMATS["pdf"])):
            again.append(job)
    if not again:
        return Exit.OK
    results, _ = _run_all(project, {"thumbnail": again}, settings, run, chromium, progress)
    return _publish_all(project, "thumbnail", again, results["thumbnail"], manifest, written)


def _handout_renders(project: Project, handouts: list[Job], html: list[Job],
                     manifest: Manifest) -> list[Job]:
    """The decks whose handout needs Marp to make their HTML: those whose html
    output is neither being built now nor up to date."""
    building = {job.stem for job in html}
    return [job for job in handouts if job.stem not in building and not manifest.fresh(
        f"{job.stem}:html", job.digest_for("html"), outputs_of(project, job.stem, FORMATS["html"]))]


def _slide_images(project: Project, job: Job, manifest: Manifest) -> list[Path]:
    """The slide images of this build for `job`: the published PNGs when up to date."""
    png = FORMATS["png"]
    published = outputs_of(project, job.stem, png)
    return published if manifest.fresh(f"{job.stem}:png", job.digest_for("png"), published) else []


def _print_handouts(project: Project, jobs: list[Job], runs: dict[str, list[Job]],
                    results: dict[str, marp.MarpResult], settings: MarpSettings, chromium: str
                    ) -> dict[str, str]:
    """Print the handouts from Marp's HTML of their decks: the staged output of
    this build's html or handout run (`runs`, their `results`) while it is not
    yet published, else the published one (up to date: see _handout_renders).
    Deck stem -> why its handout was not printed, for those that were not."""
    from marpkit.build.handout import Handout, write_handouts

    ready, failed = [], {}
    for job in jobs:
        run = next((n for n in ("html", "handout")
                    if job.stem in {j.stem for j in runs.get(n, [])}), None)
        html = (staged(project, job).with_suffix(FORMATS["html"].suffix) if run
                else outputs_of(project, job.stem, FORMATS["html"])[0])
        if (run is None or results[run].returncode == 0) and html.is_file() and html.stat().st_size:
            ready.append(Handout(job.deck, job.stem, html,
                                 outputs_of(project, job.stem, FORMATS["handout"])[0]))
        else:
            errors = results[run].errors if run else []
            failed[job.stem] = "Marp CLI made no HTML" + (f": {'; '.join(errors)}" if errors else "")
    slides = max((len(h.deck.slides) for h in ready), default=0)
    if ready:
        failed |= write_handouts(project, ready, chromium, settings.browser_seconds(slides))
    return failed


def _publish_handouts(project: Project, jobs: list[Job], failed: dict[str, str],
                      manifest: Manifest, written: dict[str, int]) -> int:
    fmt = FORMATS["handout"]
    status = Exit.OK
    for job in jobs:
        if job.stem in failed:
            status = Exit.FINDINGS
            kept = outputs_of(project, job.stem, fmt)[0].exists()
            click.echo(f"{job.deck.display_path}:1:1: {MARP_FAILED} no handout was built: "
                       f"{failed[job.stem]}" + (" (previous output kept)" if kept else ""), err=True)
            continue
        manifest.set(f"{job.stem}:handout", job.digest_for("handout"))
        written[job.stem] = written.get(job.stem, 0) + 1
        click.echo(f"built {project.rel(outputs_of(project, job.stem, fmt)[0])}")
    return status


def _runnable(todo: dict[str, list[Job]], chromium: str | None) -> tuple[dict[str, list[Job]], int]:
    """The formats this machine can build, and the status of those it cannot."""
    status = Exit.OK
    runnable: dict[str, list[Job]] = {}
    for name, jobs in todo.items():
        if FORMATS[name].needs_browser and chromium is None:
            if name != "thumbnail":
                click.echo(f"marpkit: error: no {name.upper()} was built: {marp.chromium_missing()}",
                           err=True)
                status = max(status, Exit.USAGE)
            continue
        runnable[name] = jobs
    return runnable, status


def _run_all(project: Project, runnable: dict[str, list[Job]], settings: MarpSettings,
             run: MarpRun, chromium: str | None, progress: Progress,
             printer: Callable[[dict[str, marp.MarpResult]], dict[str, str]] | None = None,
             captured: Sequence[Job] = ()) -> tuple[dict[str, marp.MarpResult], dict[str, str]]:
    """Every format's Marp run, the pdf run capturing the thumbnails of
    `captured`; and `printer` (the handouts), which starts as soon as the runs
    that make its HTML have ended and overlaps the others. Returns the runs'
    results and what `printer` returns."""
    # Every format at once, in one Marp CLI process with one browser: each
    # format spends much of its time waiting on Chromium, so they overlap well
    # even on two cores, and Node, Marp CLI and the browser start once. Every
    # format writes its own output files. With handouts, the HTML formats run
    # in a process of their own, so printing starts as soon as they are done.
    def call(name: str) -> marp.MarpCall:
        jobs = runnable[name]
        fmt = FORMATS[name]
        slides = max((len(j.deck.slides) for j in jobs), default=0)
        return marp.MarpCall(tuple(staged(project, j) for j in jobs),
                             tuple(settings.convert_args(run, fmt, slides)),
                             settings.call_timeout(fmt, slides, len(jobs)),
                             tuple(staged(project, j) for j in captured) if name == "pdf" else ())

    def run_group(names: list[str]) -> dict[str, marp.MarpResult]:
        if not names:
            return {}
        results = marp.run_marp_calls(project.root, [call(n) for n in names], run.config,
                                      chromium=chromium)
        return dict(zip(names, results, strict=True))

    progress.step(", ".join(runnable), sorted({j.stem for v in runnable.values() for j in v}))
    first = [n for n in runnable if printer and n in ("html", "handout")]
    rest = [n for n in runnable if n not in first]
    printed: dict[str, str] = {}
    with ThreadPoolExecutor(max_workers=1) as pool:
        others = pool.submit(run_group, rest)
        results = run_group(first)
        if printer:
            printed = printer(results)
        results.update(others.result())
    progress.advance(sum(len(jobs) for jobs in runnable.values()))
    return {n: results[n] for n in runnable}, printed


def _timeouts(result: marp.MarpResult) -> list[int]:
    """The browser waits (ms) that Marp reports it gave up after."""
    return [int(m.group(1)) for e in result.errors if (m := _TIMED_OUT.search(e))]


def _trusted(result: marp.MarpResult) -> bool:
    """Whether what a Marp run left can be published. A browser timeout fails
    one deck, and Marp goes on with the others: what it wrote for them is
    complete. After any other failure nothing Marp left can be trusted."""
    timeouts = _timeouts(result)
    return result.returncode == 0 or bool(timeouts) and len(timeouts) == len(result.errors)


def _publish_all(project: Project, name: str, jobs: list[Job], result: marp.MarpResult,
                 manifest: Manifest, written: dict[str, int]) -> int:
    fmt = FORMATS[name]
    for warning in result.warnings:
        if "Insecure local file accessing" not in warning:  # asked for: decks use local images
            click.echo(f"{project.rel(project.build_dir)}: {MARP_WARNING} marp: {warning}")
    timeouts = _timeouts(result)
    trusted = _trusted(result)
    status = Exit.OK
    for job in jobs:
        published = publish(project, job, fmt) if trusted else []
        if not published:
            status = Exit.FINDINGS
            if timeouts:  # Marp does not say which deck: the one it wrote nothing for
                detail = timeout_advice(len(job.deck.slides), max(timeouts))
            else:
                detail = "; ".join(result.errors) or f"exit status {result.returncode}"
            kept = any(p.exists() for p in outputs_of(project, job.stem, fmt))
            click.echo(f"{job.deck.display_path}:1:1: {MARP_FAILED} Marp CLI failed to "
                       f"build {name.upper()}: {detail}" + (" (previous output kept)" if kept else ""),
                       err=True)
            continue
        manifest.set(f"{job.stem}:{name}", job.digest_for(name))
        if name != "thumbnail":
            written[job.stem] = written.get(job.stem, 0) + len(published)
            click.echo(f"built {', '.join(project.rel(p) for p in published[:1])}"
                       + (f" (+{len(published) - 1})" if len(published) > 1 else ""))
    return status
