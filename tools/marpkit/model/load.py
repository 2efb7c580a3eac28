"""The one deck loader, and the one meaning of a path argument.

Every command that takes decks (inspect, sync, build, check, lint, serve)
turns its arguments into deck files here and opens them here, so a folder
means the same thing everywhere and an unreadable deck is the same MK204.
Every command that rewrites a deck (sync, extract, lint --fix) saves it here.
"""

from __future__ import annotations

from pathlib import Path

from marpkit.config import Project
from marpkit.findings import Finding, UsageError
from marpkit.fsutil import atomic_write
from marpkit.model.deck import BOM, Deck, DeckError, load_deck

NOT_A_DECK = "MK204"
# Folders a deck search never enters: tool state, not course content.
_SKIPPED_DIRS = {"node_modules", "__pycache__", "build"}


class Unreadable(Exception):
    """A deck file that cannot be read as text: reported as a finding, the rest goes on."""

    def __init__(self, finding: Finding):
        super().__init__(finding.message)
        self.finding = finding


def _decks_below(folder: Path) -> list[Path]:
    found = []
    for path in sorted(folder.rglob("*.md")):
        parts = path.relative_to(folder).parts[:-1]
        if any(part.startswith(".") or part in _SKIPPED_DIRS for part in parts):
            continue
        if path.is_file():
            found.append(path)
    return found


def deck_paths(project: Project, args: tuple[str, ...] | list[str]) -> list[Path]:
    """The deck files named by `args`: none means every deck of the project; a
    folder means every `*.md` below it. Each file appears once, in argument order."""
    if not args:
        decks = project.decks()
        if not decks:
            raise UsageError(f"no decks found in {project.rel(project.slides_dir)}/")
        return decks
    paths: list[Path] = []
    for raw in args:
        path = Path(raw)
        if path.is_dir():
            paths += _decks_below(path)
        elif path.is_file():
            paths.append(path)
        else:
            raise UsageError(f"{raw}: no such file or directory")
    seen, unique = set(), []
    for path in paths:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


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


def save_deck(path: Path, text: str) -> None:
    """Rewrite a deck with `text` (as loaded: without a BOM), keeping the file's
    UTF-8 BOM if it has one: the loader drops it, the file's owner chose it."""
    try:
        with open(path, "rb") as handle:
            bom = handle.read(len(BOM.encode())) == BOM.encode()
    except OSError:
        bom = False  # a new file (extract --to), or atomic_write reports why not
    atomic_write(path, (BOM if bom else "") + text.removeprefix(BOM))
