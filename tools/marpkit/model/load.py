"""The one deck loader, and the one meaning of a path argument.

Every command that takes decks (inspect, extract, sync, build, check, lint)
turns its arguments into deck files here and opens them here, so a folder
means the same thing everywhere and an unreadable deck is the same MK204.
"""

from __future__ import annotations

import glob
import re
from pathlib import Path

from marpkit.config import Project
from marpkit.findings import Finding, UsageError
from marpkit.model.deck import Deck, DeckError, load_deck

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
    directly in slides/, as the build publishes them); a file means that deck;
    a folder means the decks in it (`.` or `slides` is all of them); a quoted
    glob (`'slides/0*.md'`) means what it matches. A deck is one of the
    course's decks: any other file, inside slides/ or not, is a usage error,
    so lint, build, check, sync, inspect and extract never disagree about it.
    Each deck appears once, in argument order (a folder's in name order), named
    as the slides folder holds it (a symlinked deck stays the link)."""
    decks = project.decks()
    slides = project.rel(project.slides_dir)
    if not args:
        if not decks:
            raise UsageError(f"no decks found in {slides}/")
        return decks
    by_real = {path.resolve(): path for path in decks}
    chosen: dict[Path, Path] = {}
    for raw in args:
        matches = [Path(raw)]
        if not matches[0].exists() and _GLOB.search(raw):
            # A pattern the shell did not expand: what it matches of the decks.
            matches = [Path(m) for m in sorted(glob.glob(raw)) if Path(m).resolve() in by_real]
            if not matches:
                raise UsageError(f"{raw}: matches no deck in {slides}/")
        for path in matches:
            if path.is_dir():
                # Every deck sits directly in slides/: a folder holds all or none of them.
                found = decks if project.slides_dir.is_relative_to(path.resolve()) else []
                if not found:
                    raise UsageError(f"{raw}: no decks in this folder (decks are the *.md files "
                                     f"directly in {slides}/)")
            elif path.exists():
                deck = by_real.get(path.resolve())
                if deck is None:
                    raise UsageError(f"{raw}: not a deck in {slides}/ (decks are the *.md files "
                                     f"directly in it, as the build publishes them)")
                found = [deck]
            else:
                raise UsageError(f"{raw}: no such file or folder")
            for deck in found:
                chosen.setdefault(deck.resolve(), deck)
    return list(chosen.values())


def open_deck(project: Project, path: Path, text: str | None = None,
              display: str | None = None) -> Deck:
    """Load a deck (from `text` when given, e.g. an editor's buffer); a file that
    cannot be a deck raises Unreadable with its finding."""
    display = display or project.rel(path)
    try:
        return load_deck(path, display, text)
    except DeckError as exc:
        raise Unreadable(Finding(exc.path, exc.line, exc.column, NOT_A_DECK, str(exc))) from None
    except OSError as exc:
        raise Unreadable(Finding(display, 1, 1, NOT_A_DECK, f"cannot read: {exc.strerror}")) from None
