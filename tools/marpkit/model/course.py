"""The course a project's decks form, as `[tool.marpkit.course]` declares it.

A deck `05-topic.md` is module 5. The course may also declare modules still
to be written (`planned = [1, 2, 6]`), short titles per module
(`[tool.marpkit.course.titles]`, `6 = "Telegram Notifications"`) and the
footer every module carries, a template such as
`footer = "BAI Lab • {title} • Spring term"` with `{title}` and `{number}`.
"""

from __future__ import annotations

import re
from pathlib import Path

from marpkit.config import Project
from marpkit.findings import UsageError

_NUMBER = re.compile(r"^(\d+)")
# `{name}` only: other braces in a footer ("{a: 1}") are text.
_PLACEHOLDER = re.compile(r"\{([A-Za-z_]\w*)\}")
PLACEHOLDERS = ("title", "number")


def module_number(path: Path | str) -> int | None:
    match = _NUMBER.match(Path(path).name)
    return int(match.group(1)) if match else None


def present_modules(project: Project) -> dict[int, Path]:
    """Module number -> its deck in the slides folder (the first by name, if two share one)."""
    found: dict[int, Path] = {}
    for path in project.decks():
        number = module_number(path)
        if number is not None:
            found.setdefault(number, path)
    return found


def planned_modules(project: Project) -> set[int]:
    """Modules declared in `planned`: numbers, or names such as "06-notifications"."""
    planned = set()
    for entry in project.section("course").get("planned", []) or []:
        number = entry if isinstance(entry, int) else module_number(str(entry))
        if number is not None:
            planned.add(number)
    return planned


def module_titles(project: Project) -> dict[int, str]:
    """Titles declared in `[tool.marpkit.course.titles]`, by module number."""
    table = project.section("course").get("titles", {})  # a table: config.py checked
    titles = {}
    for key, value in table.items():
        if not str(key).isdigit() or not isinstance(value, str):
            raise UsageError(f"pyproject.toml: [tool.marpkit.course.titles] {key} = {value!r}: "
                             'write module number = "title", e.g. 6 = "Notifications"')
        titles[int(key)] = value.strip()
    return titles


def deck_title(deck) -> str | None:
    """A deck's own title: its `title` directive, else its first slide's heading."""
    title = deck.global_directives.get("title") or (deck.slides[0].title if deck.slides else None)
    return str(title) if title else None


def module_title(project: Project, number: int | None, own: str | None) -> str | None:
    """The title a module goes by in the course: declared in `titles`, else its deck's own."""
    if number is not None and (declared := module_titles(project).get(number)):
        return declared
    return own


def footer_template(project: Project) -> str | None:
    value = project.section("course").get("footer")
    if value is None:
        return None
    if not isinstance(value, str):
        raise UsageError("pyproject.toml: [tool.marpkit.course] footer must be a string")
    for match in _PLACEHOLDER.finditer(value):
        if match.group(1) not in PLACEHOLDERS:
            raise UsageError(f"pyproject.toml: [tool.marpkit.course] footer: unknown placeholder "
                             f"{match.group(0)}; use {' or '.join('{' + p + '}' for p in PLACEHOLDERS)}")
    return value


def footer(project: Project, number: int | None, title: str | None) -> str | None:
    """The footer the course wants on module `number` titled `title` (None: no footer)."""
    template = footer_template(project)
    if template is None:
        return None
    values = {"title": title or "", "number": "" if number is None else str(number)}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


# The course index is build/index.html, the page a static host serves for the
# folder, unless a deck builds that name (slides/index.md): then the deck keeps
# it, since links to a module's page must not change with the course, and the
# index moves to the first of these names no deck builds.
_INDEX_NAMES = ("index", "course-index", "course")


def _builds_name(project: Project, stem: str) -> bool:
    # Compared without case: on macOS and Windows INDEX.html is index.html.
    return any(path.stem.casefold() == stem for path in project.decks())


def course_index_path(project: Project) -> Path:
    """Where the build writes the course index page."""
    stem = next((s for s in _INDEX_NAMES if not _builds_name(project, s)), "course-index")
    return project.build_dir / f"{stem}.html"


def index_collision(project: Project, deck: Path) -> str | None:
    """Why `deck`'s page takes the course index's name, or None."""
    if deck.stem.casefold() != _INDEX_NAMES[0] or not project.section("build").get("index", True):
        return None
    build = project.rel(project.build_dir)
    return (f"this deck builds {build}/{deck.stem}.html, the name of the course index page: "
            f"the course index is written to {project.rel(course_index_path(project))} instead")
