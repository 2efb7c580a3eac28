"""The one deck loader, and the one meaning of a path argument.

Every command that takes decks (inspect, extract, sync, build, check, lint)
turns its arguments into deck files here and opens them here, so a folder
means the same thing everywhere and an unreadable deck is the same MK204.
Every command that rewrites a deck (sync, extract, lint --fix) saves it here.
"""

from __future__ import annotations

import errno
import glob
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from marpkit.config import Project
from marpkit.findings import Finding, UsageError
from marpkit.fsutil import atomic_write, inside

if TYPE_CHECKING:
    from marpkit.model.deck import Deck

# deck_paths needs no parser: `lint` names its decks and starts its browser
# before markdown-it is imported; the rest imports it when it loads a deck.

NOT_A_DECK = "MK204"
_GLOB = re.compile(r"[*?[]")


class Unreadable(Exception):
    """A deck file that cannot be read as text: reported as a finding, the rest goes on."""

    def __init__(self, finding: Finding):
        super().__init__(finding.message)
        self.finding = finding


def deck_paths(project: Project, args: tuple[str, ...] | list[str]) -> list[Path]:
    """The decks named by `args`, for every command that takes decks.

    Nothing means every deck of the course (`Project.decks`: the `*.md` files
    directly in slides/, as the build publishes them). A file of the project
    means that deck, wherever it lies (a draft in notes/ lints and builds like
    any deck). A folder means the `*.md` files directly in it, and a folder
    that holds slides/ (`.`) the course's decks. A quoted glob means the files
    it matches. Anything outside the project is a usage error: its snippets,
    themes and settings would be another project's. So lint, build, check,
    sync, inspect and extract never disagree about an argument. Each deck
    appears once, in argument order (a folder's in name order), named as the
    slides folder holds it (a symlinked deck stays the link)."""
    decks = project.decks()
    slides = project.rel(project.slides_dir)
    if not args:
        if not decks:
            raise UsageError(f"no decks found in {slides}/")
        return decks
    # realpath, not Path.resolve: Python 3.11's raises on a symlink loop,
    # which is a deck to report (MK204), not a crash.
    by_real = {os.path.realpath(path): path for path in decks}
    chosen: dict[str, Path] = {}
    for raw in args:
        for path in _matches(project, raw):
            found = _in_folder(project, raw, path, decks) if path.is_dir() else [path]
            for deck in found:
                real = os.path.realpath(deck)
                chosen.setdefault(real, by_real.get(real, deck))
    return list(chosen.values())


def _matches(project: Project, raw: str) -> list[Path]:
    """The existing paths of the project `raw` names (a glob the shell left, expanded)."""
    matches = [Path(raw)]
    if not os.path.lexists(raw):
        if not _GLOB.search(raw):
            raise UsageError(f"{raw}: no such file or folder")
        matches = [Path(m) for m in sorted(glob.glob(raw))]
        if not matches:
            raise UsageError(f"{raw}: matches no file")
    for path in matches:
        if inside(path, project.root, follow=True) is None and inside(path, project.root) is None:
            raise UsageError(f"{raw}: outside this project ({project.rel(project.root)}): decks "
                             "are read with their project's snippets, themes and settings")
    return matches


def _in_folder(project: Project, raw: str, folder: Path, decks: list[Path]) -> list[Path]:
    if inside(project.slides_dir, folder, follow=True) is not None:
        return decks  # `.`, the project, slides/ itself: the course
    found = sorted(p for p in folder.glob("*.md") if p.is_file() or p.is_symlink())
    if not found:
        raise UsageError(f"{raw}: no *.md files directly in this folder")
    return found


def open_deck(project: Project, path: Path, text: str | None = None,
              display: str | None = None) -> Deck:
    """Load a deck (from `text` when given, e.g. an editor's buffer); a file that
    cannot be a deck raises Unreadable with its finding."""
    from marpkit.model.deck import DeckError, load_deck

    display = display or project.rel(path)
    try:
        return load_deck(path, display, text)
    except DeckError as exc:
        raise Unreadable(Finding(exc.path, exc.line, exc.column, NOT_A_DECK, str(exc))) from None
    except OSError as exc:
        raise Unreadable(Finding(display, 1, 1, NOT_A_DECK, f"cannot read: {_why_unreadable(path, exc)}")) from None


def _why_unreadable(path: Path, exc: OSError) -> str:
    """The reason in the deck's own terms: the error of a dangling or looping
    link names its target, which is not the file the person listed."""
    if path.is_symlink():
        target = os.readlink(path)
        if exc.errno == errno.ENOENT:
            return f"it is a symlink to {target}, which does not exist"
        if exc.errno == errno.ELOOP:
            return f"it is a symlink to {target}, which leads back to itself (a symlink loop)"
    return exc.strerror or str(exc)


def save_deck(path: Path, text: str) -> None:
    """Rewrite a deck with `text` (as loaded: without a BOM), keeping the file's
    UTF-8 BOM if it has one: the loader drops it, the file's owner chose it."""
    from marpkit.model.deck import BOM

    try:
        with open(path, "rb") as handle:
            bom = handle.read(len(BOM.encode())) == BOM.encode()
    except OSError:
        bom = False  # a new file (extract --to), or atomic_write reports why not
    atomic_write(path, (BOM if bom else "") + text.removeprefix(BOM))
