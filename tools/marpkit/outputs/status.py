"""The last lint and check results per deck, for the course index page.

Stored in the cache folder (gitignored): {"lint": {deck: summary}, "check": {...}}.
"""

from __future__ import annotations

import json
import time

from marpkit.config import Project
from marpkit.fsutil import atomic_write


def _path(project: Project):
    return project.cache_dir / "status.json"


def read(project: Project) -> dict:
    try:
        data = json.loads(_path(project).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record(project: Project, tool: str, results: dict[str, dict]) -> None:
    """Store `results` ({deck path: {"errors": n, "warnings": n, ...}}) for `tool`."""
    data = read(project)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    section = data.setdefault(tool, {})
    for deck, summary in results.items():
        section[deck] = {**summary, "at": stamp}
    atomic_write(_path(project), json.dumps(data, indent=1, sort_keys=True))


def summarize(project: Project, findings, decks: list[str] | None = None) -> dict[str, dict]:
    """Error/warning counts per deck path; `decks` lists decks that ran clean too."""
    results = {deck: {"errors": 0, "warnings": 0} for deck in decks or []}
    for f in findings:
        if f.path.endswith(".md"):
            entry = results.setdefault(f.path, {"errors": 0, "warnings": 0})
            if f.severity in ("error", "warning"):
                entry[f.severity + "s"] += 1
    return results


def record_run(project: Project, tool: str, findings, whole_course: bool) -> None:
    """Remember a lint or check run for the index; never fails the run itself."""
    decks = [project.rel(p) for p in project.decks()] if whole_course else None
    try:
        record(project, tool, summarize(project, findings, decks))
    except OSError:
        pass
