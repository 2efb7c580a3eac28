"""The themes a deck can name: Marp's built-in ones and every `themes/*.css`
that names itself with `@theme`, with the sizes each offers. One answer for
lint (MK105, MK106), the build (which warns where Marp would fall back to the
default theme) and the LSP's completion."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

BUILTIN_THEMES = ("default", "gaia", "uncover")
BUILTIN_SIZES = {"16:9": (1280, 720), "4:3": (960, 720)}
_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_THEME_NAME = re.compile(r"@theme\s+([^\s*]+)")
_THEME_SIZE = re.compile(r"@size\s+(\S+)\s+(\d+(?:\.\d+)?)px\s+(\d+(?:\.\d+)?)px")
_THEME_IMPORT = re.compile(r"""@import(?:-theme)?\s+(?:url\()?["']([^"']+)["']""")


@dataclass
class Theme:
    name: str
    sizes: dict[str, tuple[float, float]]
    path: Path | None = None
    text: str = ""  # the file as read (a built-in theme has none)


def without_comments(css: str) -> str:
    return _COMMENT.sub("", css)


def hex_rgb(colour: str) -> tuple[int, int, int] | None:
    """`#rgb` or `#rrggbb` as (r, g, b); None for any other way of writing a colour."""
    text = colour.strip().lstrip("#")
    if not re.fullmatch(r"[0-9a-fA-F]{3}|[0-9a-fA-F]{6}", text):
        return None
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def load_themes(themes_dir: Path) -> dict[str, Theme]:
    """Built-in themes plus every `themes/*.css` that names itself with `@theme`."""
    themes = {name: Theme(name, dict(BUILTIN_SIZES)) for name in BUILTIN_THEMES}
    imports: dict[str, list[str]] = {}
    if themes_dir.is_dir():
        for css in sorted(themes_dir.glob("*.css")):
            try:
                text = css.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            # Marp reads `@theme` and `@size` from any block comment in the file.
            meta = "\n".join(_COMMENT.findall(text))
            match = _THEME_NAME.search(meta)
            if not match:
                continue
            name = match.group(1)
            sizes = {m.group(1): (float(m.group(2)), float(m.group(3)))
                     for m in _THEME_SIZE.finditer(meta)}
            themes[name] = Theme(name, sizes, css, text)
            imports[name] = _THEME_IMPORT.findall(text)
    # Marp inherits `@size` from an imported theme; a theme with none of its
    # own and no import gets Marp's built-in 16:9 and 4:3.
    for name, parents in imports.items():
        for parent in parents:
            if parent in themes and parent != name:
                for key, value in themes[parent].sizes.items():
                    themes[name].sizes.setdefault(key, value)
        if not themes[name].sizes:
            themes[name].sizes = dict(BUILTIN_SIZES)
    return themes
