"""`marpkit build`: expand snippet references and convert decks with Marp CLI.

Each deck is expanded into a staging copy next to its outputs (so relative
asset paths resolve the same way for the staging copy and the final files);
Marp CLI converts all changed decks in one call per format; only a complete,
successful output replaces the previous good one. A manifest of input hashes
makes a build with nothing changed cost one parse of each deck and no Marp.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import click

from marpkit import __version__, marp
from marpkit.check.outputs import output_reader
from marpkit.config import Project
from marpkit.findings import Exit, Finding, UsageError, print_findings
from marpkit.fsutil import atomic_write, exclusive
from marpkit.marp import themes
from marpkit.model import course
from marpkit.model.assets import deck_assets
from marpkit.model.deck import Deck
from marpkit.model.load import Unreadable, deck_paths, open_deck
from marpkit.snippets.expand import expand
from marpkit.snippets.store import SnippetStore, resolve_deck

STAGE_SUFFIX = ".marpkit-src"
MARP_FAILED = "MK900"
MARP_WARNING = "MK901"
MISSING_ASSET = "MK902"
# Marp CLI's two wordings: its own wait, and Puppeteer's navigation timeout.
_TIMED_OUT = re.compile(r"(?:Timed out after waiting|timeout of)\s*(\d+)\s*ms", re.I)
# Marp CLI gives each browser operation (loading a deck, printing it) 30 s.
# A deck's load and print grow with its slides: a 1,000-slide PDF took 6 s;
# a 10,000-slide one 990 s (plain Marp CLI) and 1,647 s (marpkit's build, with
# outlines and notes) on a two-core machine under heavy load, where Marp's 30 s
# failed it. The limit only catches a hung browser, so it errs long: 0.3 s a
# slide.
BROWSER_TIMEOUT = 30.0
SECONDS_PER_SLIDE = 0.3
TIMEOUT_SETTING = "[tool.marpkit.build] browser_timeout"


@dataclass(frozen=True)
class Format:
    name: str
    args: tuple[str, ...]
    suffix: str
    needs_browser: bool
    many: bool = False  # one file per slide: <stem>.001.png, …


FORMATS = {
    "html": Format("html", (), ".html", False),
    "pdf": Format("pdf", ("--pdf",), ".pdf", True),
    "pptx": Format("pptx", ("--pptx",), ".pptx", True),
    "notes": Format("notes", ("--notes",), ".txt", False),
    "png": Format("png", ("--images", "png"), ".png", True, many=True),
    # The first slide as the course index's thumbnail.
    "thumbnail": Format("thumbnail", ("--image", "png"), ".png", True),
}
DEFAULT_FORMATS = ("html", "pdf")


@dataclass
class Job:
    deck: Deck
    source: Path
    text: str  # expanded
    digest: str  # hash of everything the outputs depend on, whatever the format
    first_slide_digest: str  # what the thumbnail (the first slide alone) depends on
    findings: list[Finding] = field(default_factory=list)

    def digest_for(self, fmt: str) -> str:
        return self.first_slide_digest if fmt == "thumbnail" else self.digest

    @property
    def stem(self) -> str:
        return self.source.stem


def collect_assets(deck: Deck, project: Project, source_dir: Path
                   ) -> tuple[list[tuple[Path, Path]], list[Finding]]:
    """(origin, target in build/) for each local asset, and findings for broken ones."""
    pairs, findings = [], []
    for asset in deck_assets(deck, source_dir):
        slide = deck.slide_at(asset.line)
        if not asset.exists:
            findings.append(Finding(deck.display_path, asset.line, asset.column, MISSING_ASSET,
                                    f"local file {asset.src!r} does not exist", "error",
                                    slide.index, slide.title))
        elif asset.published is None:
            findings.append(Finding(deck.display_path, asset.line, asset.column, MISSING_ASSET,
                                    f"local file {asset.src!r} lies outside {project.rel(source_dir)}/ "
                                    "and would not be published with the build", "warning",
                                    slide.index, slide.title))
        else:
            pairs.append((asset.origin, project.build_dir / asset.published))
    return pairs, findings


def copy_assets(deck: Deck, project: Project, source_dir: Path) -> list[Finding]:
    pairs, findings = collect_assets(deck, project, source_dir)
    for origin, target in pairs:
        if not target.exists() or target.stat().st_mtime_ns < origin.stat().st_mtime_ns:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, target)
    return findings


# --------------------------------------------------------------------------- themes & config

def theme_files(project: Project) -> list[Path]:
    return themes.theme_files(project.themes_dir)


def settings(project: Project) -> dict:
    section = project.section("build")
    formats = section.get("formats", list(DEFAULT_FORMATS))
    unknown = [f for f in formats if f not in FORMATS or f == "thumbnail"]
    if not isinstance(formats, list) or unknown:
        raise UsageError(f"pyproject.toml: [tool.marpkit.build] formats: unknown {unknown}; "
                         f"choose from {', '.join(f for f in FORMATS if f != 'thumbnail')}")
    return {
        "formats": formats,
        "html": bool(section.get("html", False)),
        "pdf_outlines": bool(section.get("pdf_outlines", True)),
        "pdf_notes": bool(section.get("pdf_notes", True)),
        "index": bool(section.get("index", True)),
    }


def browser_timeout(project: Project, jobs: list[Job]) -> float:
    """Seconds Marp CLI's browser may take per operation on these decks (0: no limit).

    `browser_timeout` in [tool.marpkit.build] if set, else Marp's 30 s scaled
    with the largest deck. Not part of the build settings: it changes how long
    marpkit waits, never what it builds.
    """
    configured = project.section("build").get("browser_timeout")
    if configured is not None:
        if configured < 0:  # its type is checked with the rest of the config
            raise UsageError(f"pyproject.toml: {TIMEOUT_SETTING} must be a number of seconds "
                             "(0 for no limit)")
        return float(configured)
    slides = max((len(j.deck.slides) for j in jobs), default=0)
    return max(BROWSER_TIMEOUT, round(slides * SECONDS_PER_SLIDE))


def _timeout_advice(job: Job, waited_ms: int) -> str:
    """Which deck the browser gave up on, and the setting that gives it longer."""
    waited = waited_ms / 1000
    suggested = max(60, int(-(-waited * 4 // 60)) * 60)  # four times as long, in whole minutes
    return (f"the browser timed out after {waited:g} s on this deck ({len(job.deck.slides)} slides); "
            f"set {TIMEOUT_SETTING} = {suggested} (seconds, 0 for no limit) in pyproject.toml")


def marp_args(fmt: Format, options: dict, project: Project) -> list[str]:
    args = list(fmt.args)
    if options["html"]:
        args.append("--html")
    if fmt.name == "pdf":
        args += ["--pdf-outlines"] if options["pdf_outlines"] else []
        args += ["--pdf-notes"] if options["pdf_notes"] else []
    return args


def katex_fonts(project: Project) -> str | None:
    fonts = project.root / "node_modules" / "katex" / "dist" / "fonts"
    if not fonts.is_dir():
        return None
    target = project.build_dir / "assets" / "katex"
    if not target.is_dir():
        shutil.copytree(fonts, target)
    return "assets/katex/"


# --------------------------------------------------------------------------- manifest

class Manifest:
    """Input hash of every output: what was built from what."""

    def __init__(self, project: Project):
        self.path = project.build_dir / ".marpkit" / "manifest.json"
        try:
            self.data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.data = {}
        if not isinstance(self.data, dict):
            self.data = {}

    def fresh(self, key: str, digest: str, outputs: list[Path]) -> bool:
        return self.data.get(key) == digest and bool(outputs) and all(p.exists() for p in outputs)

    def set(self, key: str, digest: str) -> None:
        self.data[key] = digest

    def save(self) -> None:
        atomic_write(self.path, json.dumps(self.data, indent=1, sort_keys=True))


def _hash(*parts) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else str(part).encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def _asset_fingerprint(pairs: list[tuple[Path, Path]]) -> str:
    return _hash(*(f"{o}:{o.stat().st_size}:{o.stat().st_mtime_ns}" for o, _ in pairs))


# --------------------------------------------------------------------------- build

def outputs_of(project: Project, stem: str, fmt: Format) -> list[Path]:
    if fmt.many:
        return sorted(project.build_dir.glob(f"{glob_escape(stem)}.[0-9][0-9][0-9]{fmt.suffix}"))
    return [project.build_dir / f"{stem}{fmt.suffix}"]


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def _publish(project: Project, job: Job, fmt: Format) -> list[Path]:
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


class Progress:
    """A rich progress bar on a terminal; plain lines in logs and CI."""

    def __init__(self, total: int):
        self.bar = None
        if sys.stdout.isatty() and total:
            from rich.progress import Progress as RichProgress

            self.bar = RichProgress(transient=True)
            self.task = self.bar.add_task("building", total=total)
            self.bar.start()

    def step(self, fmt: str, stems: list[str]) -> None:
        if self.bar:
            self.bar.update(self.task, description=f"{fmt}: {', '.join(stems)}")

    def advance(self, n: int) -> None:
        if self.bar:
            self.bar.advance(self.task, n)

    def close(self) -> None:
        if self.bar:
            self.bar.stop()


def prepare(project: Project, paths: tuple[str, ...], store: SnippetStore
            ) -> tuple[list[Job], list[Finding], str]:
    """Load and expand every deck once; the digest covers all the build depends on."""
    options = settings(project)
    themes = theme_files(project)
    context = _hash(__version__, marp.marp_version(project.root), json.dumps(options, sort_keys=True),
                    json.dumps(marp.engine_config(None), sort_keys=True),
                    *(p.name.encode() + b":" + p.read_bytes() for p in themes))
    reader = output_reader(project, store)
    jobs, errors = [], []
    for path in deck_paths(project, paths):
        try:
            deck = open_deck(project, path)
        except Unreadable as exc:
            errors.append(exc.finding)
            continue
        resolutions = resolve_deck(deck, store)
        text, findings = expand(deck, store, reader, resolutions)
        pairs, asset_findings = collect_assets(deck, project, path.parent)
        findings += asset_findings
        if any(f.severity == "error" for f in findings):
            errors += findings
            continue
        assets = _asset_fingerprint(pairs)
        digest = _hash(context, text, assets)
        # Global directives (theme, style) may sit anywhere in the deck; the rest
        # of the first slide is its lines and the code its fences show.
        first = deck.slides[0]
        first_slide = _hash(context, assets, json.dumps(deck.global_directives, sort_keys=True),
                            deck.text[:deck.offset(first.end_line) + len(deck.line_text(first.end_line))],
                            *(r.code for r in resolutions if r.block.slide == 1))
        jobs.append(Job(deck, path, text, digest, first_slide, findings))
    return jobs, errors, context


def build(project: Project, paths: tuple[str, ...], formats: list[str] | None = None,
          force: bool = False) -> int:
    started = time.monotonic()
    options = settings(project)
    formats = formats or options["formats"]
    marp.find_marp(project.root)  # fail early, before anything is staged
    # One build at a time in a build folder: two would stage the same files and
    # remove each other's. The lock is also the first write, so an unwritable
    # build folder is reported before any work.
    with exclusive(project.build_dir / ".marpkit" / "build.lock",
                   on_wait=lambda: click.echo(
                       f"build: another marpkit build is running in "
                       f"{project.rel(project.build_dir)}/; waiting for it to finish", err=True)):
        return _build(project, paths, formats, force, options, started)


def _build(project: Project, paths: tuple[str, ...], formats: list[str], force: bool,
           options: dict, started: float) -> int:
    problems = themes.theme_problems(project.root, project.cache_dir, theme_files(project))
    if problems:
        print_findings(problems)
        click.echo(f"build: nothing built: Marp cannot use {len(problems)} theme file(s); "
                   "fix the errors above (previous outputs kept)", err=True)
        return Exit.FINDINGS
    chromium = marp.find_chromium()
    store = SnippetStore(project.snippets_dir, project.cache_dir)
    jobs, errors, _ = prepare(project, paths, store)

    status = Exit.OK
    if errors:
        print_findings(errors)
        status = Exit.FINDINGS
        for path in sorted({f.path for f in errors if f.severity == "error"}):
            click.echo(f"{path}: not built (fix the errors above)", err=True)
    for job in jobs:
        print_findings(job.findings)

    want = list(formats)
    if options["index"] and not paths and "thumbnail" not in want:
        want.append("thumbnail")
    manifest = Manifest(project)
    removed = remove_orphans(project, manifest, {job.stem for job in jobs})
    todo: dict[str, list[Job]] = {}
    for name in want:
        fmt = FORMATS[name]
        stale = [j for j in jobs if force or not manifest.fresh(
            f"{j.stem}:{name}", j.digest_for(name), outputs_of(project, j.stem, fmt))]
        if stale:
            todo[name] = stale

    written: dict[str, int] = {}  # deck stem -> output files written (thumbnails not counted)
    if todo:
        project.build_dir.mkdir(parents=True, exist_ok=True)
        status = max(status, _convert(project, todo, options, chromium, manifest, written))
    if todo or removed:
        manifest.save()
    if options["index"] and not paths:
        from marpkit.outputs.index import write_index

        write_index(project, jobs, manifest)
        # slides/index.md keeps index.html; say where the course index went instead
        print_findings([Finding(project.rel(p), 1, 1, "MK605", why, "warning")
                        for p in project.decks() if (why := course.index_collision(project, p))])
    elapsed = time.monotonic() - started
    if not todo and status == Exit.OK:
        click.echo(f"build: {len(jobs)} deck(s) up to date ({elapsed:.2f}s)")
    else:
        # What was written, not what was attempted: a failed or skipped format adds nothing.
        if written:
            click.echo(f"build: {sum(written.values())} output(s) for {len(written)} deck(s) "
                       f"in {elapsed:.1f}s")
        else:
            click.echo(f"build: nothing written ({elapsed:.1f}s)")
    return status


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


def _convert(project: Project, todo: dict[str, list[Job]], options: dict, chromium: str | None,
             manifest: Manifest, written: dict[str, int]) -> int:
    status = Exit.OK
    staged = {job.stem: job for jobs in todo.values() for job in jobs}
    for job in staged.values():
        copy_assets(job.deck, project, job.source.parent)
        atomic_write(project.build_dir / f"{job.stem}{STAGE_SUFFIX}.md", job.text)
    needs_math = any(j.deck.global_directives.get("math") == "katex" for j in staged.values())
    config = project.build_dir / ".marpkit" / "marp.config.json"
    engine = marp.engine_config(katex_fonts(project) if needs_math else None)
    # In the config file, not on the command line: `--theme-set` takes a list
    # and would swallow the input files that follow it.
    engine["themeSet"] = [str(p.resolve()) for p in theme_files(project)]
    atomic_write(config, json.dumps(engine))
    progress = Progress(sum(len(v) for v in todo.values()))
    runnable: dict[str, list[Job]] = {}
    for name, jobs in todo.items():
        if FORMATS[name].needs_browser and chromium is None:
            if name != "thumbnail":
                click.echo(f"marpkit: error: no {name.upper()} was built: {marp.chromium_missing()}",
                           err=True)
                status = max(status, Exit.USAGE)
            continue
        runnable[name] = jobs
    try:
        # One Marp process per format, all at once: each spends much of its time
        # starting Node or waiting on Chromium, so they overlap well even on two
        # cores. Every format writes its own output files.
        with ThreadPoolExecutor(max_workers=max(len(runnable), 1)) as pool:
            running = {}
            for name, jobs in runnable.items():
                args = marp_args(FORMATS[name], options, project)
                wait = marp.PROCESS_TIMEOUT
                if FORMATS[name].needs_browser:
                    seconds = browser_timeout(project, jobs)
                    args += ["--browser-timeout", f"{seconds:g}"]
                    # The whole call: a safety net against a hung Marp, never shorter
                    # than its browser could legitimately take.
                    wait = None if seconds == 0 else max(wait, 3 * seconds * len(jobs))
                running[pool.submit(
                    marp.run_marp, project.root,
                    [project.build_dir / f"{j.stem}{STAGE_SUFFIX}.md" for j in jobs],
                    args, config, chromium=chromium, timeout=wait)] = name
            progress.step(", ".join(runnable), sorted({j.stem for v in runnable.values() for j in v}))
            results = {}
            for future in as_completed(running):
                name = running[future]
                results[name] = future.result()
                progress.advance(len(runnable[name]))
        for name, jobs in runnable.items():  # reported in a stable order
            fmt, result = FORMATS[name], results[name]
            for warning in result.warnings:
                if "Insecure local file accessing" not in warning:  # asked for: decks use local images
                    click.echo(f"{project.rel(project.build_dir)}: {MARP_WARNING} marp: {warning}")
            timeouts = [int(m.group(1)) for e in result.errors if (m := _TIMED_OUT.search(e))]
            # A browser timeout fails one deck, and Marp goes on with the others:
            # what it wrote for them is complete. After any other failure nothing
            # Marp left can be trusted.
            trusted = result.returncode == 0 or (timeouts and len(timeouts) == len(result.errors))
            for job in jobs:
                published = _publish(project, job, fmt) if trusted else []
                if not published:
                    status = Exit.FINDINGS
                    if timeouts:  # Marp does not say which deck: the one it wrote nothing for
                        detail = _timeout_advice(job, max(timeouts))
                    else:
                        detail = "; ".join(result.errors) or f"exit status {result.returncode}"
                    kept = any(p.exists() for p in outputs_of(project, job.stem, fmt))
                    click.echo(f"{job.deck.display_path}:1:1: {MARP_FAILED} Marp CLI failed to "
                               f"build {name.upper()}: {detail}"
                               + (" (previous output kept)" if kept else ""), err=True)
                    continue
                manifest.set(f"{job.stem}:{name}", job.digest_for(name))
                if name != "thumbnail":
                    written[job.stem] = written.get(job.stem, 0) + len(published)
                    click.echo(f"built {', '.join(project.rel(p) for p in published[:1])}"
                               + (f" (+{len(published) - 1})" if len(published) > 1 else ""))
    finally:
        progress.close()
        for job in staged.values():
            # The staged deck, and anything a failed or interrupted conversion left.
            for leftover in project.build_dir.glob(glob_escape(f"{job.stem}{STAGE_SUFFIX}") + ".*"):
                leftover.unlink(missing_ok=True)
    return status
