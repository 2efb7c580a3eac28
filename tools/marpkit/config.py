"""Project discovery and `[tool.marpkit]` configuration, validated once.

Every key of every `[tool.marpkit.*]` table is declared in SCHEMA with its
type: an unknown key or a wrong type is exit 2 naming it (with the closest
known key), never silently ignored. Stages read their tables through
`Project.section`, already checked.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from marpkit.findings import UsageError


@dataclass
class Project:
    root: Path
    slides_dir: Path
    snippets_dir: Path
    build_dir: Path
    themes_dir: Path
    cache_dir: Path
    settings: dict = field(default_factory=dict)  # the whole [tool.marpkit] table

    def rel(self, path: Path) -> str:
        """A path as users should see it, whatever the working directory: relative
        to the project when inside it. A symlink is named as itself, not its target."""
        absolute = Path(os.path.abspath(path))
        for candidate in (absolute, absolute.resolve()):
            try:
                return candidate.relative_to(self.root).as_posix()
            except ValueError:
                continue
        return str(path)

    def decks(self) -> list[Path]:
        return sorted(self.slides_dir.glob("*.md"))

    def section(self, name: str) -> dict:
        value = self.settings.get(name, {})
        return value if isinstance(value, dict) else {}


# table -> key -> type ("str" | "bool" | "int" | "number" | "list[str]" | "list[int]" | "table")
SCHEMA: dict[str, dict[str, str]] = {
    "": {"title": "str", "slides_dir": "str", "snippets_dir": "str", "build_dir": "str",
         "themes_dir": "str", "cache_dir": "str",
         "build": "table", "lint": "table", "course": "table", "check": "table"},
    "build": {"formats": "list[str]", "html": "bool", "pdf_outlines": "bool", "pdf_notes": "bool",
              "index": "bool", "browser_timeout": "number"},
    # lint's own keys are checked further by lint.settings (codes, thresholds).
    "lint": {"select": "list[str]", "ignore": "list[str]", "per-file-ignores": "table",
             "per_file_ignores": "table", "thresholds": "table"},
    "course": {"planned": "list[int]", "theme": "str", "footer": "str", "titles": "table"},
    # Ceilings a snippet header's `memory:`, `processes:`, `disk:` may not pass
    # (defaults in check/limits.py).
    "check": {"max_memory": "size", "max_processes": "count", "max_disk": "size"},
}
_TYPES = {
    "str": (lambda v: isinstance(v, str), "a string"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "int": (lambda v: isinstance(v, int) and not isinstance(v, bool), "a whole number"),
    "number": (lambda v: isinstance(v, int | float) and not isinstance(v, bool), "a number"),
    "list[str]": (lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
                  "a list of strings"),
    "list[int]": (lambda v: isinstance(v, list) and all(isinstance(x, int) and not isinstance(x, bool)
                                                        for x in v), "a list of whole numbers"),
    "table": (lambda v: isinstance(v, dict), "a table"),
    "size": (lambda v: parse_size(v) is not None, 'a size such as "4 GiB" or "512 MiB"'),
    "count": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
              "a positive whole number"),
}

_UNITS = {"": 1024**2, "k": 1024, "kb": 1000, "kib": 1024, "m": 1024**2, "mb": 1000**2,
          "mib": 1024**2, "g": 1024**3, "gb": 1000**3, "gib": 1024**3}


def parse_size(value) -> int | None:
    """`512 MiB`, `2GiB`, `300MB` or a bare number of MiB, in bytes; None if malformed.
    The one reading of a size, for headers and pyproject.toml alike."""
    if isinstance(value, bool):
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", str(value))
    if not match or match.group(2).lower() not in _UNITS:
        return None
    size = int(float(match.group(1)) * _UNITS[match.group(2).lower()])
    return size if size > 0 else None


def validate(settings: dict) -> None:
    """Raise UsageError for the first unknown key or mistyped value."""
    def check(table: str, values: dict) -> None:
        known = SCHEMA[table]
        name = "[tool.marpkit" + (f".{table}" if table else "") + "]"
        for key, value in values.items():
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else \
                    f" (known: {', '.join(sorted(known)) or 'none'})"
                raise UsageError(f"pyproject.toml: {name} unknown key {key!r}{hint}")
            accepts, wanted = _TYPES[known[key]]
            if not accepts(value):
                raise UsageError(f"pyproject.toml: {name} {key} must be {wanted}, not {value!r}")
            if known[key] == "table" and not table and key in SCHEMA:
                check(key, value)

    check("", settings)


def find_root(start: Path | None = None) -> Path:
    here = (start or Path.cwd()).resolve()
    for candidate in [here, *here.parents]:
        if (candidate / "pyproject.toml").is_file() and (candidate / "slides").is_dir():
            return candidate
    for candidate in [here, *here.parents]:
        if (candidate / "slides").is_dir():
            return candidate
    return here


def load_project(start: Path | None = None) -> Project:
    root = find_root(start)
    settings: dict = {}
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise UsageError(f"{pyproject.name}: invalid TOML: {exc}") from None
        settings = data.get("tool", {}).get("marpkit", {}) or {}
        if not isinstance(settings, dict):
            raise UsageError("pyproject.toml: [tool.marpkit] must be a table")
        validate(settings)

    def directory(key: str, default: str) -> Path:
        value = settings.get(key, default)
        return (root / value).resolve()

    return Project(
        root=root,
        slides_dir=directory("slides_dir", "slides"),
        snippets_dir=directory("snippets_dir", "snippets"),
        build_dir=directory("build_dir", "build"),
        themes_dir=directory("themes_dir", "themes"),
        cache_dir=directory("cache_dir", ".marpkit-cache"),
        settings=settings,
    )
