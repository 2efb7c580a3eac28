"""`marpkit build`: expand snippet references and convert decks with Marp CLI.

The steps, each in its module: prepare (load and expand every deck, hash its
inputs), manifest (what is up to date), convert (Marp CLI, one call per
format), publish (only a complete, successful output replaces the previous
good one). The settings of the Marp run come from marp/converter.py.
"""

from __future__ import annotations

import time

import click

from marpkit import marp
from marpkit.build.convert import convert
from marpkit.build.manifest import Manifest
from marpkit.build.prepare import Job, prepare
from marpkit.build.publish import outputs_of, remove_format, remove_orphans
from marpkit.config import Project, check_formats
from marpkit.findings import Exit, Finding, print_findings
from marpkit.fsutil import exclusive
from marpkit.marp import themes
from marpkit.marp.converter import FORMATS, MarpSettings
from marpkit.model import course
from marpkit.snippets.store import SnippetStore

__all__ = ["FORMATS", "Job", "Manifest", "build", "prepare"]


def build(project: Project, paths: tuple[str, ...], formats: list[str] | None = None,
          force: bool = False) -> int:
    started = time.monotonic()
    marp.find_marp(project.root)  # fail early, before anything is staged
    check_formats(formats or (), project.build_settings.notes)
    # One build at a time in a build folder: two would stage the same files and
    # remove each other's. The lock is also the first write, so an unwritable
    # build folder is reported before any work.
    with exclusive(project.build_dir / ".marpkit" / "build.lock",
                   on_wait=lambda: click.echo(
                       f"build: another marpkit build is running in "
                       f"{project.rel(project.build_dir)}/; waiting for it to finish", err=True)):
        return _build(project, paths, formats or list(project.build_settings.formats), force,
                      started)


def _build(project: Project, paths: tuple[str, ...], formats: list[str], force: bool,
           started: float) -> int:
    settings = MarpSettings.of(project)
    problems = themes.theme_problems(project.root, project.cache_dir, list(settings.themes))
    if problems:
        print_findings(problems)
        click.echo(f"build: nothing built: Marp cannot use {len(problems)} theme file(s); "
                   "fix the errors above (previous outputs kept)", err=True)
        return Exit.FINDINGS
    chromium = marp.find_chromium()
    store = SnippetStore(project.snippets_dir, project.cache_dir)
    jobs, errors, _ = prepare(project, paths, store, settings)
    status = _report_unbuilt(errors, jobs)
    index = project.build_settings.index and not paths
    manifest = Manifest(project)
    removed = remove_orphans(project, manifest, {job.stem for job in jobs})
    if project.build_settings.private_notes:  # published by an earlier, public build
        removed += remove_format(project, manifest, "notes")
    todo = _stale(project, jobs, formats + (["thumbnail"] if index else []), manifest, force)
    written: dict[str, int] = {}  # deck stem -> output files written (thumbnails not counted)
    if todo:
        project.build_dir.mkdir(parents=True, exist_ok=True)
        status = max(status, convert(project, todo, settings, chromium, manifest, written))
    if todo or removed:
        manifest.save()
    if index:
        from marpkit.outputs.index import write_index

        write_index(project, jobs, manifest)
        # slides/index.md keeps index.html; say where the course index went instead
        print_findings([Finding(project.rel(p), 1, 1, "MK605", why, "warning")
                        for p in project.decks() if (why := course.index_collision(project, p))])
    _summary(len(jobs), bool(todo), status, written, time.monotonic() - started)
    return status


def _report_unbuilt(errors: list[Finding], jobs: list[Job]) -> int:
    status = Exit.OK
    if errors:
        print_findings(errors)
        status = Exit.FINDINGS
        for path in sorted({f.path for f in errors if f.severity == "error"}):
            click.echo(f"{path}: not built (fix the errors above)", err=True)
    for job in jobs:
        print_findings(job.findings)
    return status


def _stale(project: Project, jobs: list[Job], formats: list[str], manifest: Manifest,
           force: bool) -> dict[str, list[Job]]:
    """Format -> the decks whose output in it is missing or out of date."""
    todo: dict[str, list[Job]] = {}
    for name in formats:
        stale = [j for j in jobs if force or not manifest.fresh(
            f"{j.stem}:{name}", j.digest_for(name), outputs_of(project, j.stem, FORMATS[name]))]
        if stale:
            todo[name] = stale
    return todo


def _summary(decks: int, converted: bool, status: int, written: dict[str, int],
             elapsed: float) -> None:
    if not converted and status == Exit.OK:
        click.echo(f"build: {decks} deck(s) up to date ({elapsed:.2f}s)")
    # What was written, not what was attempted: a failed or skipped format adds nothing.
    elif written:
        click.echo(f"build: {sum(written.values())} output(s) for {len(written)} deck(s) "
                   f"in {elapsed:.1f}s")
    else:
        click.echo(f"build: nothing written ({elapsed:.1f}s)")
