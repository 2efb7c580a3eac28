"""The local files decks show: published into the build folder with them."""

from __future__ import annotations

import shutil
from pathlib import Path

from marpkit.build.manifest import digest
from marpkit.config import Project
from marpkit.findings import Finding
from marpkit.model.assets import deck_assets
from marpkit.model.deck import Deck

MISSING_ASSET = "MK902"


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
    copy_pairs(pairs)
    return findings


def copy_pairs(pairs: list[tuple[Path, Path]]) -> None:
    """Copy each (file, target) whose target is missing or older."""
    for origin, target in pairs:
        if not target.exists() or target.stat().st_mtime_ns < origin.stat().st_mtime_ns:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, target)


def fingerprint(pairs: list[tuple[Path, Path]]) -> str:
    """What the outputs depend on of the assets: each one's size and time, not its bytes."""
    return digest(*(f"{o}:{o.stat().st_size}:{o.stat().st_mtime_ns}" for o, _ in pairs))
