"""`marpkit build`: expand snippet references and convert decks with Marp CLI.

Each deck is expanded into a staging copy next to its outputs (so relative
asset paths resolve the same way for the staging copy and the final files);
Marp CLI converts all staged decks in one call per format; only a complete,
successful output replaces the previous good one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import click

from marpkit import marp
from marpkit.commands import deck_paths, open_deck, print_findings
from marpkit.config import Project, load_project
from marpkit.deck import Deck
from marpkit.edits import apply_fixes, atomic_write, body_fix
from marpkit.findings import Exit, Finding, UsageError
from marpkit.snippets import SnippetStore, resolve_deck

STAGE_SUFFIX = ".marpkit-src"
MISSING_ASSET = "MK902"
MARP_WARNING = "MK901"
MARP_FAILED = "MK900"
_URL_IN_CSS = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")


@dataclass
class Staged:
    deck: Deck
    source: Path
    stage: Path
    findings: list[Finding] = field(default_factory=list)

    def output(self, fmt: str) -> Path:
        return self.stage.with_name(self.deck.path.stem + "." + fmt)

    def staged_output(self, fmt: str) -> Path:
        return self.stage.with_suffix("." + fmt)


def expand(deck: Deck, store: SnippetStore, outputs=None) -> tuple[str, list[Finding]]:
    """The deck as Marp should see it: every reference replaced by the file's current code."""
    findings: list[Finding] = []
    fixes = []
    for res in resolve_deck(deck, store):
        if not res.ok:
            findings.append(res.finding)
            continue
        fix = body_fix(deck, res.block, res.code, "expand")
        if fix:
            fixes.append(fix)
    if outputs is not None:
        for block in deck.code_blocks:
            if block.output:
                text = outputs(block.output)
                if text is not None and (fix := body_fix(deck, block, text, "output")):
                    fixes.append(fix)
    return apply_fixes(deck.text, fixes), findings


def local_assets(deck: Deck) -> list[tuple[str, int, int]]:
    """Relative asset references (path, line, column): images and url()s in directives."""
    refs = [(image.src, image.line, image.column) for image in deck.images]
    for use in deck.directive_uses:
        if isinstance(use.value, str):
            for match in _URL_IN_CSS.finditer(use.value):
                refs.append((match.group(1), use.line, use.column))
    return [(src, line, col) for src, line, col in refs
            if src and not re.match(r"^[a-z][a-z0-9+.-]*:", src, re.I) and not src.startswith(("#", "/"))]


def copy_assets(deck: Deck, project: Project, source_dir: Path) -> list[Finding]:
    findings = []
    seen = set()
    for src, line, column in local_assets(deck):
        rel = src.split("#", 1)[0].split("?", 1)[0]
        if rel in seen:
            continue
        seen.add(rel)
        origin = (source_dir / rel).resolve()
        slide = deck.slide_at(line)
        if not origin.is_file():
            findings.append(Finding(deck.display_path, line, column, MISSING_ASSET,
                                    f"local file {src!r} does not exist", "error",
                                    slide.index, slide.title))
            continue
        try:
            inside = origin.relative_to(source_dir.resolve())
        except ValueError:
            findings.append(Finding(deck.display_path, line, column, MISSING_ASSET,
                                    f"local file {src!r} lies outside {project.rel(source_dir)}/ "
                                    "and would not be published with the build", "warning",
                                    slide.index, slide.title))
            continue
        target = project.build_dir / inside
        if not target.exists() or target.stat().st_mtime < origin.stat().st_mtime:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, target)
    return findings


def _katex_fonts(project: Project) -> str | None:
    fonts = project.root / "node_modules" / "katex" / "dist" / "fonts"
    if not fonts.is_dir():
        return None
    target = project.build_dir / "assets" / "katex"
    if not target.is_dir():
        shutil.copytree(fonts, target)
    return "assets/katex/"


def build(project: Project, paths: tuple[str, ...], formats: list[str]) -> int:
    decks = deck_paths(project, paths)
    chromium = marp.find_chromium()
    marp.find_marp(project.root)  # fail early, before anything is staged
    project.build_dir.mkdir(parents=True, exist_ok=True)
    store = SnippetStore(project.snippets_dir)
    outputs = _output_reader(project)

    status = Exit.OK
    staged: list[Staged] = []
    for path in decks:
        deck = open_deck(project, path)
        text, findings = expand(deck, store, outputs)
        findings += copy_assets(deck, project, path.parent)
        print_findings(findings)
        if any(f.severity == "error" for f in findings):
            status = Exit.FINDINGS
            click.echo(f"{deck.display_path}: not built (fix the errors above)", err=True)
            continue
        stage = project.build_dir / f"{path.stem}{STAGE_SUFFIX}.md"
        atomic_write(stage, text)
        staged.append(Staged(deck, path, stage, findings))

    needs_math = any(s.deck.global_directives.get("math") == "katex" for s in staged)
    config = project.build_dir / ".marpkit" / "marp.config.json"
    atomic_write(config, json.dumps(marp.engine_config(_katex_fonts(project) if needs_math else None)))
    extra = ["--html"] if project.section("build").get("html") else []

    try:
        for fmt in formats:
            if not staged:
                break
            if fmt != "html" and chromium is None:
                click.echo(f"marpkit: error: no Chromium found, so no {fmt.upper()} was built: "
                           f"{marp.CHROMIUM_HINT}", err=True)
                status = max(status, Exit.USAGE)
                continue
            result = marp.run_marp(project.root, [s.stage for s in staged], fmt, config,
                                   extra=extra, chromium=chromium)
            for warning in result.warnings:
                if "Insecure local file accessing" in warning:
                    continue  # we ask for it: decks reference their own images
                click.echo(f"{project.rel(project.build_dir)}: {MARP_WARNING} marp: {warning}")
            for s in staged:
                produced = s.staged_output(fmt)
                if result.returncode != 0 or not produced.is_file() or produced.stat().st_size == 0:
                    produced.unlink(missing_ok=True)
                    status = Exit.FINDINGS
                    detail = "; ".join(result.errors) or f"exit status {result.returncode}"
                    click.echo(f"{s.deck.display_path}:1:1: {MARP_FAILED} Marp CLI failed to build "
                               f"{fmt.upper()}: {detail} (previous output kept)", err=True)
                    continue
                if fmt == "html":
                    html = marp.strip_remote_imports(produced.read_text(encoding="utf-8"))
                    atomic_write(produced, html)
                os.replace(produced, s.output(fmt))
                click.echo(f"built {project.rel(s.output(fmt))}")
    finally:
        for s in staged:
            s.stage.unlink(missing_ok=True)
    return status


def _output_reader(project: Project):
    try:
        from marpkit.check.outputs import read_output
    except ImportError:
        return None
    return lambda rel: read_output(project, rel)


@click.command("build")
@click.argument("decks", nargs=-1, type=click.Path())
@click.option("--format", "formats", multiple=True, type=click.Choice(["html", "pdf", "pptx"]),
              help="Output formats (repeatable). Default: html and pdf.")
def build_cmd(decks, formats):
    """Expand snippet references and build DECKS (default: all of slides/) with Marp CLI."""
    project = load_project()
    if not (project.root / "slides").is_dir() and not decks:
        raise UsageError("no slides/ folder here: run marpkit from a course project")
    return build(project, decks, list(formats) or ["html", "pdf"])
