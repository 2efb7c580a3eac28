"""Project discovery and `[tool.marpkit]` configuration."""

from __future__ import annotations

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
        """A path as users should see it: relative to the project when inside it."""
        try:
            return str(Path(path).resolve().relative_to(self.root))
        except ValueError:
            return str(path)

    def decks(self) -> list[Path]:
        return sorted(self.slides_dir.glob("*.md"))

    def section(self, name: str) -> dict:
        value = self.settings.get(name, {})
        return value if isinstance(value, dict) else {}


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

    def directory(key: str, default: str) -> Path:
        value = settings.get(key, default)
        if not isinstance(value, str):
            raise UsageError(f"pyproject.toml: [tool.marpkit] {key} must be a string")
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
