"""One revision's decks, prepared and rendered exactly as `marpkit build` does:
the build's prepare (snippet fences expanded from that revision's files) and
Marp CLI's `--images png` through the converter's settings."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from marpkit import marp
from marpkit.build.manifest import digest
from marpkit.build.prepare import Job, configuration, prepare
from marpkit.build.publish import glob_escape
from marpkit.config import Project
from marpkit.findings import Finding, UsageError
from marpkit.fsutil import atomic_write, inside
from marpkit.marp.converter import FORMATS, MarpSettings, uses_katex
from marpkit.model.themes import load_themes
from marpkit.snippets.store import SnippetStore
from marpkit.text import split_lines


@dataclass
class DeckSide:
    """A deck at one revision: its build job, what each slide shows, and the
    content key that says "its inputs are unchanged"."""

    job: Job
    assets: dict[str, str]  # file, relative to the project -> hash of its bytes
    key: str
    pngs: list[Path] = field(default_factory=list)  # one per slide, once rendered

    @property
    def rel(self) -> str:
        return self.job.deck.display_path


@dataclass
class Side:
    """The decks of one revision (or of the working tree)."""

    label: str
    project: Project
    settings: MarpSettings
    decks: dict[str, DeckSide]  # by path relative to the project
    errors: list[Finding]
    config_key: str
    themes: dict[str, str]  # theme name -> hash of its CSS

    def theme_of(self, deck: DeckSide) -> str:
        name = deck.job.deck.global_directives.get("theme")
        return name.strip() if isinstance(name, str) and name.strip() else "default"


def _bytes_digest(path: Path) -> str:
    return digest(path.read_bytes())


def load_side(label: str, project: Project, paths: tuple[str, ...] = (),
              cache_dir: Path | None = None) -> Side:
    """`cache_dir`: where snippets' region markers are cached (by content, so an
    old revision's checkout can share the working tree's)."""
    settings = MarpSettings.of(project)
    store = SnippetStore(project.snippets_dir, cache_dir or project.cache_dir)
    jobs, errors, shared = prepare(project, paths, store, settings)
    decks = {}
    for job in jobs:
        # The build's digest knows assets by size and time, which a checkout
        # from git does not keep: across revisions only their bytes compare.
        assets = {project.rel(origin): _bytes_digest(origin) for origin, _ in job.assets}
        key = digest(shared, job.text, *sorted(assets.items()))
        decks[project.rel(job.source)] = DeckSide(job, assets, key)
    themes = {name: _bytes_digest(theme.path)
              for name, theme in load_themes(project.themes_dir).items() if theme.path}
    return Side(label, project, settings, decks, errors, configuration(project, settings), themes)


def render(sides: list[tuple[Side, list[DeckSide]]], scratch: Path) -> None:
    """Each side's decks to one PNG per slide, the sides' Marp runs side by side."""
    sides = [(side, decks) for side, decks in sides if decks]
    if not sides:
        return  # nothing changed: no browser needed
    chromium = marp.find_chromium()
    if chromium is None:
        raise UsageError(f"marpkit diff renders slides in a browser: {marp.chromium_missing()}")
    with ThreadPoolExecutor(max_workers=max(len(sides), 1)) as pool:
        for future in [pool.submit(_render_side, side, decks, scratch / side.label, chromium)
                       for side, decks in sides]:
            future.result()


def _render_side(side: Side, decks: list[DeckSide], folder: Path, chromium: str) -> None:
    project = side.project
    staged = []
    for deck in decks:
        # Staged as the build stages, beside copies of its assets, in our own folder.
        for origin, target in deck.job.assets:
            copy = folder / inside(target, project.build_dir)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, copy)
        path = folder / f"{deck.job.stem}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, deck.job.text)
        staged.append(path)
    fmt = FORMATS["png"]
    slides = max(len(d.job.deck.slides) for d in decks)
    run = side.settings.cli_run(folder / "marp.config.json", out_dir=folder,
                                math=uses_katex(d.job.deck for d in decks))
    result = marp.run_marp(project.root, staged, side.settings.convert_args(run, fmt, slides),
                           run.config, chromium=chromium,
                           timeout=side.settings.call_timeout(fmt, slides, len(decks)))
    for deck in decks:
        deck.pngs = sorted(folder.glob(f"{glob_escape(deck.job.stem)}.[0-9][0-9][0-9].png"))
        if result.returncode != 0 or len(deck.pngs) != len(deck.job.deck.slides):
            said = next((line.strip() for line in split_lines(result.output) if line.strip()), "")
            detail = "; ".join(result.errors) or f"exit status {result.returncode}" + (
                f" ({said[:200]})" if said else "")
            raise UsageError(f"{deck.rel}: Marp CLI could not render it at {side.label}: {detail}")
