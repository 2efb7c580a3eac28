"""The local files a deck uses (images, url()s in directives), and whether the
build can publish each one: one decision for `marpkit build` (MK902) and
`marpkit lint` (MK702).

The build copies a deck's files into build/ at their place relative to the
deck's folder, so a file outside that folder cannot be published as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from marpkit.model.deck import Deck

_URL_IN_CSS = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")


def local_assets(deck: Deck) -> list[tuple[str, int, int]]:
    """Relative asset references (path, line, column): images and url()s in directives."""
    refs = [(image.src, image.line, image.column) for image in deck.images]
    for use in deck.directive_uses:
        if isinstance(use.value, str):
            for match in _URL_IN_CSS.finditer(use.value):
                refs.append((match.group(1), use.line, use.column))
    return [(src, line, col) for src, line, col in refs
            if src and not re.match(r"^[a-z][a-z0-9+.-]*:", src, re.I)
            and not src.startswith(("#", "/"))]


def asset_file(src: str) -> str:
    """The file part of a local reference: `img/a.png?v=2#top` names `img/a.png`
    (the browser sends no fragment and a static host ignores the query)."""
    return src.split("#", 1)[0].split("?", 1)[0]


@dataclass(frozen=True)
class Asset:
    src: str  # as the deck writes it
    line: int
    column: int
    origin: Path  # the file it names, resolved
    published: Path | None  # its place relative to the deck's folder, None if outside
    exists: bool


def deck_assets(deck: Deck, source_dir: Path) -> list[Asset]:
    """Each local file `deck` (which lives in `source_dir`) uses, once."""
    out, seen = [], set()
    base = source_dir.resolve()
    for src, line, column in local_assets(deck):
        rel = asset_file(src)
        if rel in seen:
            continue
        seen.add(rel)
        origin = (source_dir / rel).resolve()
        try:
            published = origin.relative_to(base)
        except ValueError:
            published = None
        out.append(Asset(src, line, column, origin, published, origin.is_file()))
    return out
