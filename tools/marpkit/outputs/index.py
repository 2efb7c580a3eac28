"""The course index page: one card per module, built with jinja2 (autoescaped)."""

from __future__ import annotations

import platform
import time
from pathlib import Path
from urllib.parse import quote

from marpkit import __version__, marp
from marpkit.config import Project
from marpkit.fsutil import atomic_write
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
    results = status.read(project)
    cards = []
    for job in sorted(jobs, key=lambda j: j.stem):
        deck = job.deck
        title = deck.global_directives.get("title") or (deck.slides[0].title if deck.slides else None)
        href = quote(job.stem)
        links = [(label, f"{href}.{ext}") for label, ext in
                 (("HTML", "html"), ("PDF", "pdf"), ("PPTX", "pptx"), ("Notes", "txt"))
                 if (project.build_dir / f"{job.stem}.{ext}").is_file()]
        cards.append({
            "stem": job.stem,
            "title": str(title or job.stem),
            "slides": len(deck.slides),
            "html": f"{href}.html",
            "thumbnail": f"{href}.png" if (project.build_dir / f"{job.stem}.png").is_file() else None,
            "links": links,
            "status": [(kind, _status(results.get(kind, {}).get(deck.display_path), kind))
                       for kind in ("lint", "check")],
        })
    return cards


def write_index(project: Project, jobs, manifest) -> Path:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent.parent / "assets"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True)
    page = env.get_template("index.html.j2").render(
        title=project.settings.get("title", "Course"),
        modules=module_cards(project, jobs),
        built_at=time.strftime("%Y-%m-%d %H:%M %Z"),
        versions={"marpkit": __version__, "marp": marp.marp_version(project.root),
                  "python": platform.python_version()},
    )
    target = project.build_dir / "index.html"
    # The page shows a build time; rewriting it when nothing else changed would
    # make every no-op build touch the output folder.
    body = page.split("<header>", 1)[1].split("</header>", 1)[1]
    previous = target.read_text(encoding="utf-8") if target.is_file() else ""
    if "</header>" in previous and previous.split("</header>", 1)[1] == body:
        return target
    atomic_write(target, page)
    return target
