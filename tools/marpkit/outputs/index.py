"""The course index page: one card per module, built with jinja2 (autoescaped).

Every module of the course is listed in order, the ones still planned
(`[tool.marpkit.course] planned`) as placeholders with their number and,
where `[tool.marpkit.course.titles]` knows it, their title.
"""

from __future__ import annotations

import platform
import time
from pathlib import Path
from urllib.parse import quote

from marpkit import __version__, marp
from marpkit.config import Project
from marpkit.fsutil import atomic_write
from marpkit.marp.converter import FORMATS
from marpkit.model import course
from marpkit.outputs import status


def _status(entry: dict | None, kind: str) -> dict:
    if not entry:
        return {"label": "not run", "css": "unknown", "detail": f"no {kind} result yet"}
    errors, warnings = int(entry.get("errors", 0)), int(entry.get("warnings", 0))
    detail = f"{errors} error(s), {warnings} warning(s) at {entry.get('at', '?')}"
    if errors:
        return {"label": f"{errors} error{'s' if errors != 1 else ''}", "css": "failed", "detail": detail}
    if warnings:
        return {"label": f"{warnings} warning{'s' if warnings != 1 else ''}", "css": "warn", "detail": detail}
    return {"label": "clean" if kind == "lint" else "passed", "css": "ok", "detail": detail}


def module_cards(project: Project, jobs) -> list[dict]:
    """A card per built deck and per planned module without one, in module order."""
    results = status.read(project)
    titles = course.module_titles(project)
    cards = []
    for job in jobs:
        deck = job.deck
        number = course.module_number(job.source)
        href = quote(job.stem)
        links = [(label, href + suffix) for label, suffix in
                 (("HTML", ".html"), ("PDF", ".pdf"), ("PPTX", ".pptx"), ("Notes", ".txt"),
                  ("Handout", FORMATS["handout"].suffix))
                 if (project.build_dir / f"{job.stem}{suffix}").is_file()]
        cards.append({
            "stem": job.stem,
            "number": number,
            "planned": False,
            "title": course.deck_title(deck) or job.stem,
            "slides": len(deck.slides),
            "html": f"{href}.html",
            "thumbnail": f"{href}.png" if (project.build_dir / f"{job.stem}.png").is_file() else None,
            "links": links,
            "status": [(kind, _status(results.get(kind, {}).get(deck.display_path), kind))
                       for kind in ("lint", "check")],
        })
    # A planned module that has a deck in slides/ is not a placeholder, even when
    # the deck did not build this time.
    present = set(course.present_modules(project))
    for number in sorted(course.planned_modules(project) - present):
        cards.append({"stem": f"module-{number}", "number": number, "planned": True,
                      "title": titles.get(number)})
    cards.sort(key=lambda c: (c["number"] is None, c["number"] or 0, c["stem"]))
    return cards


CHECK_REPORT = "check/index.html"


def write_index(project: Project, jobs, manifest) -> Path:
    from marpkit.pages import render_page

    page = render_page("index.html.j2",
        title=project.settings.get("title", "Course"),
        modules=(cards := module_cards(project, jobs)),
        planned=sum(1 for c in cards if c["planned"]),
        # `marpkit check --report build/check` (make slides in CI): the badge leads there.
        check_report=CHECK_REPORT if (project.build_dir / CHECK_REPORT).is_file() else None,
        built_at=time.strftime("%Y-%m-%d %H:%M %Z"),
        versions={"marpkit": __version__, "marp": marp.marp_version(project.root),
                  "python": platform.python_version()},
    )
    target = course.course_index_path(project)
    # The page shows a build time; rewriting it when nothing else changed would
    # make every no-op build touch the output folder.
    body = page.split("<header>", 1)[1].split("</header>", 1)[1]
    previous = target.read_text(encoding="utf-8") if target.is_file() else ""
    if "</header>" in previous and previous.split("</header>", 1)[1] == body:
        return target
    atomic_write(target, page)
    return target
