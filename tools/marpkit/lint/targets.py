"""Which decks a lint run covers (light: the CLI needs it before the parser is imported)."""

from __future__ import annotations

from pathlib import Path

from marpkit.config import Project
from marpkit.findings import UsageError


def collect(project: Project, args: list[str]) -> list[Path]:
    if not args:
        return project.decks()
    paths: list[Path] = []
    for arg in args:
        path = Path(arg)
        if path.is_dir():
            paths += sorted(p for p in path.rglob("*.md") if p.is_file())
        elif path.is_file():
            paths.append(path)
        else:
            raise UsageError(f"{arg}: no such file or directory")
    seen, unique = set(), []
    for path in paths:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique
