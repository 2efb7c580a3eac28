"""Staged decks in, published outputs out: only a complete output replaces the last good one.

Each deck is expanded into a staging copy next to its outputs (so relative
asset paths resolve the same way for the staging copy and the final files);
what Marp writes from it is moved over the published files in one step.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import click

from marpkit import marp
from marpkit.build.manifest import Manifest
from marpkit.build.prepare import Job
from marpkit.config import Project
from marpkit.fsutil import atomic_write
from marpkit.marp.converter import FORMATS, Format

STAGE_SUFFIX = ".marpkit-src"


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def outputs_of(project: Project, stem: str, fmt: Format) -> list[Path]:
    if fmt.many:
        return sorted(project.build_dir.glob(f"{glob_escape(stem)}.[0-9][0-9][0-9]{fmt.suffix}"))
    return [project.build_dir / f"{stem}{fmt.suffix}"]


def staged(project: Project, job: Job) -> Path:
    return project.build_dir / f"{job.stem}{STAGE_SUFFIX}.md"


def stage(project: Project, job: Job) -> None:
    atomic_write(staged(project, job), job.text)


def unstage(project: Project, job: Job) -> None:
    """Remove the staged deck, and anything a failed or interrupted conversion left."""
    for leftover in project.build_dir.glob(glob_escape(f"{job.stem}{STAGE_SUFFIX}") + ".*"):
        leftover.unlink(missing_ok=True)


def publish(project: Project, job: Job, fmt: Format) -> list[Path]:
    """Move a format's staged outputs over the published ones; [] if Marp made none."""
    stage_stem = f"{job.stem}{STAGE_SUFFIX}"
    if fmt.many:
        produced = sorted(project.build_dir.glob(
            f"{glob_escape(stage_stem)}.[0-9][0-9][0-9]{fmt.suffix}"))
        if not produced:
            return []
        for old in outputs_of(project, job.stem, fmt):
            old.unlink()
        moved = []
        for path in produced:
            target = project.build_dir / (job.stem + path.name[len(stage_stem):])
            os.replace(path, target)
            moved.append(target)
        return moved
    produced = project.build_dir / f"{stage_stem}{fmt.suffix}"
    if not produced.is_file() or produced.stat().st_size == 0:
        produced.unlink(missing_ok=True)
        return []
    if fmt.name == "html":
        atomic_write(produced, marp.strip_remote_imports(produced.read_text(encoding="utf-8")))
    target = project.build_dir / f"{job.stem}{fmt.suffix}"
    os.replace(produced, target)
    return [target]


def remove_orphans(project: Project, manifest: Manifest, building: set[str]) -> list[str]:
    """Remove what earlier builds made from decks that no longer exist (and
    what `marpkit serve` once kept in the build folder): build/ is published
    as it is. Returns the removed stems."""
    legacy_preview = project.build_dir / ".preview"
    if legacy_preview.is_dir():
        shutil.rmtree(legacy_preview)
    alive = {path.stem for path in project.decks()} | building
    gone = sorted({key.rsplit(":", 1)[0] for key in manifest.data} - alive)
    for key in [k for k in manifest.data if k.rsplit(":", 1)[0] in gone]:
        stem, name = key.rsplit(":", 1)
        if name in FORMATS:
            for output in outputs_of(project, stem, FORMATS[name]):
                output.unlink(missing_ok=True)
        del manifest.data[key]
    for stem in gone:
        click.echo(f"build: removed the outputs of {stem} (its deck is gone)")
    return gone


def remove_format(project: Project, manifest: Manifest, name: str) -> list[str]:
    """Remove every deck's output in format `name` (one the settings now forbid
    publishing: the notes text under `notes = "private"`). Returns the stems."""
    stems = sorted(key.rsplit(":", 1)[0] for key in manifest.data if key.rsplit(":", 1)[1] == name)
    for stem in stems:
        for output in outputs_of(project, stem, FORMATS[name]):
            output.unlink(missing_ok=True)
        del manifest.data[f"{stem}:{name}"]
    return stems
