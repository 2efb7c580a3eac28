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

from marpkit.fsutil import inside, real
from marpkit.model.deck import Deck

_URL_IN_CSS = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")
# `@import "x.css"` and `@import url(x.css)` in a style: the second form is
# also matched by _URL_IN_CSS, so only the quoted form is taken here.
_IMPORT_IN_CSS = re.compile(r"""@import\s+["']([^"']+)["']""")
_STYLE_BLOCK = re.compile(r"<style\b[^>]*>(.*?)(?:</style>|\Z)", re.IGNORECASE | re.DOTALL)
# What a browser would fetch from the network: a scheme it fetches over, or a
# protocol-relative `//host/...`.
_REMOTE = re.compile(r"^\s*(?:(?:https?|wss?|ftp):)?//", re.IGNORECASE)


# Marp's image keywords live in the alt text; what is left is the description.
_KEYWORD = re.compile(
    r"^(?:bg|left|right|contain|cover|fit|auto|vertical|horizontal|"
    r"(?:left|right):\d+(?:\.\d+)?%|\d+(?:\.\d+)?%|"
    r"(?:w|h|width|height):\S+|"
    r"(?:blur|brightness|contrast|drop-shadow|grayscale|hue-rotate|invert|opacity|saturate|sepia)"
    r"(?::\S+)?)$", re.IGNORECASE)


def keywords(alt: str) -> list[str]:
    """Marp's keywords in an image's alt text (`w:200`, `bg`, `left`…), in order."""
    return [word for word in alt.split() if _KEYWORD.match(word)]


def description(alt: str) -> str:
    """The alt text with Marp's keywords taken out: what a screen reader says."""
    return " ".join(word for word in alt.split() if not _KEYWORD.match(word))


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


def _css_refs(css: str) -> list[tuple[str, int]]:
    """(reference, offset in `css`) of every url() and @import in a stylesheet."""
    found = [(m.group(1), m.start(1)) for m in _URL_IN_CSS.finditer(css)]
    found += [(m.group(1), m.start(1)) for m in _IMPORT_IN_CSS.finditer(css)]
    return sorted(found, key=lambda ref: ref[1])


def remote_resources(deck: Deck) -> list[tuple[str, int, int]]:
    """Network references a browser would fetch while rendering the deck (url,
    line, column): images, url()s and @imports in directives (`style`,
    `backgroundImage`) and in `<style>` blocks, which Marp applies even with
    HTML off. Code blocks are text to show, not resources: their lines are not
    looked at."""
    refs = [(image.src, image.line, image.column) for image in deck.images]
    for use in deck.directive_uses:
        if isinstance(use.value, str):
            refs += [(src, use.line, use.column) for src, _ in _css_refs(use.value)]
    for slide in deck.slides:
        for token in slide.tokens:
            if token.type != "html_block" or not token.map:
                continue
            for block in _STYLE_BLOCK.finditer(token.content):
                for src, offset in _css_refs(block.group(1)):
                    at = block.start(1) + offset
                    line = token.map[0] + 1 + token.content.count("\n", 0, at)
                    column = at - (token.content.rfind("\n", 0, at) + 1) + 1
                    refs.append((src, line, column))
    return [(src.strip(), line, col) for src, line, col in refs if _REMOTE.match(src)]


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
    base = real(source_dir)
    for src, line, column in local_assets(deck):
        rel = asset_file(src)
        if rel in seen:
            continue
        seen.add(rel)
        origin = real(source_dir / rel)
        published = inside(origin, base)
        out.append(Asset(src, line, column, origin, published, origin.is_file()))
    return out
