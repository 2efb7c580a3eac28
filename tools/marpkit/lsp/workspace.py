"""Which project a buffer belongs to, its lint settings, and snippets read from buffers.

A file belongs to the project `marpkit` itself would find from its folder
(pyproject.toml with `[tool.marpkit]`, or a `slides/` folder). A file outside
any project gets only the rules that need none: no snippet (MK3xx) or course
(MK6xx) rules, which would only report that the file is not in a course.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from marpkit.config import Project, find_root, load_project, marpkit_table
from marpkit.findings import UsageError
from marpkit.lint.settings import LintSettings, load_settings
from marpkit.snippets.store import SnippetFile, SnippetStore, parse_snippet

NEEDS_PROJECT = ["MK3", "MK6"]


@dataclass
class Scope:
    project: Project
    settings: LintSettings
    in_project: bool
    error: str | None = None  # a configuration problem, reported once on each deck

    def contains(self, path: Path, folder: Path) -> bool:
        try:
            path.resolve().relative_to(folder)
            return True
        except ValueError:
            return False

    def is_snippet(self, path: Path) -> bool:
        return self.in_project and self.contains(path, self.project.snippets_dir)

    def is_theme(self, path: Path) -> bool:
        return self.in_project and self.contains(path, self.project.themes_dir)


def _has_config(root: Path) -> bool:
    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
        return marpkit_table(data) is not None
    except (OSError, ValueError, UsageError):
        return False


class Scopes:
    """One Scope per project root, reloaded when its pyproject.toml changes."""

    def __init__(self):
        self._cache: dict[Path, tuple[float, Scope]] = {}

    def for_path(self, path: Path) -> Scope:
        root = find_root(path.parent)
        pyproject = root / "pyproject.toml"
        try:
            stamp = pyproject.stat().st_mtime_ns
        except OSError:
            stamp = 0
        cached = self._cache.get(root)
        if cached and cached[0] == stamp:
            return cached[1]
        scope = self._load(root)
        self._cache[root] = (stamp, scope)
        return scope

    def forget(self) -> None:
        self._cache.clear()

    @staticmethod
    def _load(root: Path) -> Scope:
        in_project = (root / "slides").is_dir() or _has_config(root)
        error = None
        try:
            project = load_project(root)
            settings = load_settings(project.section("lint"))
        except UsageError as exc:
            error = str(exc)
            project = Project(root, root / "slides", root / "snippets", root / "build",
                              root / "themes", root / ".marpkit-cache")
            settings = LintSettings()
        if not in_project:
            settings.ignore = settings.ignore + NEEDS_PROJECT
        return Scope(project, settings, in_project, error)


class BufferStore(SnippetStore):
    """The snippet store, except that a snippet open in the editor is read from
    its buffer: a deck shows drift against what the presenter is typing. A file
    deleted from disk is missing even while its buffer is open, as for the CLI."""

    def __init__(self, root: Path, buffers: dict[Path, str], cache_dir: Path | None = None):
        super().__init__(root, cache_dir)
        self.buffers = buffers

    def load(self, path: Path) -> SnippetFile | OSError | UnicodeDecodeError:
        key = path.resolve()
        if key in self.buffers:
            if key not in self._cache:
                text = self.buffers[key]
                found = self.marker_cache.markers(path, text) if self.marker_cache else None
                self._cache[key] = parse_snippet(path, text, found)
            return self._cache[key]
        return super().load(path)
