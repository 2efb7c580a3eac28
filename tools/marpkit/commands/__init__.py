"""One click command per module; each is imported only when invoked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from marpkit.config import Project
from marpkit.findings import print_findings

if TYPE_CHECKING:
    # Every command module imports this package: the parser is imported by
    # the commands that parse, when they do, so that `lint` starts its
    # browser before it (commands/lint.py).
    from marpkit.model.deck import Deck


class EachDeck:
    """The decks of `paths` that can be read, in order, for a command that
    goes through them one by one; each that cannot is printed as its finding
    (MK204) where it comes, and `failed` says whether any could not."""

    def __init__(self, project: Project, paths: list[Path]):
        self.project, self.paths, self.failed = project, paths, False

    def __iter__(self) -> Iterator[tuple[Path, Deck]]:
        from marpkit.model.load import Unreadable, open_deck

        for path in self.paths:
            try:
                yield path, open_deck(self.project, path)
            except Unreadable as exc:
                print_findings([exc.finding])
                self.failed = True
