"""`marpkit new NN-topic`: scaffold a module that builds, checks and lints at once.

The deck and its runnable snippet come from the Jinja templates in
`templates/`. Front matter follows the course: the theme from
`[tool.marpkit.course]`, else the latest existing deck, else Marp's default;
pagination from the latest deck; the footer only from the course's footer
template, rendered for this module (another deck's footer names another
module). So the consistency rules (MK603/MK604) hold for the new deck too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import click

from marpkit.config import Project, load_project
from marpkit.findings import Exit, UsageError
from marpkit.fsutil import atomic_write
from marpkit.model import course
from marpkit.model.load import Unreadable, open_deck
from marpkit.snippets.store import parse_snippet
from marpkit.text import split_lines

# ^\d{2}-[a-z0-9-]+$, matched with fullmatch: `$` would also accept a trailing newline.
NAME = re.compile(r"(?P<number>\d{2})-[a-z0-9-]+")
_MODULE_OF = re.compile(r"\bModule\s+(\d+)\s+of\s+(\d+)\b", re.IGNORECASE)
# A YAML plain scalar that reads back as itself; anything else is written quoted.
_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*$")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}
SNIPPET = "quickstart.py"
REGION = "log"
DEFAULTS = {"theme": "default", "paginate": "true"}


@dataclass
class Plan:
    name: str
    number: int
    title: str
    deck: Path
    snippet: Path


def _templates():
    import jinja2

    # Markdown and Python, not HTML: escaping would corrupt both. Inputs are
    # validated instead (see plan()).
    return jinja2.Environment(loader=jinja2.PackageLoader("marpkit", "templates"),
                              autoescape=False, keep_trailing_newline=True,
                              undefined=jinja2.StrictUndefined)


def plan(project: Project, name: str, title: str | None) -> Plan:
    match = NAME.fullmatch(name)
    if not match:
        raise UsageError(f"{name!r} is not a module name: use NN-topic, two digits then "
                         "lowercase letters, digits and dashes (e.g. 06-sweeps)")
    number = int(match.group("number"))
    if title is None:
        title = course.module_titles(project).get(number) or name[3:].replace("-", " ").title()
    title = title.strip()
    if not title or any(ord(c) < 32 or c == "\x7f" for c in title):
        raise UsageError("--title must be one non-empty line")
    if "<!--" in title:
        # Marp would read the rest of the deck as a comment (or a directive).
        raise UsageError("--title must not contain an HTML comment")
    deck = project.slides_dir / f"{name}.md"
    snippet = project.snippets_dir / name / SNIPPET
    for path in (deck, snippet):
        if path.exists() or path.is_symlink():
            raise UsageError(f"{project.rel(path)} already exists; marpkit new never overwrites")
    for other in project.decks():
        if course.module_number(other) == number:
            raise UsageError(f"module {number} already has a deck: {project.rel(other)}")
    return Plan(name, number, title, deck, snippet)


def _scalar(key: str, value: str) -> str:
    if key == "paginate" and value.lower() in ("true", "false"):
        return value.lower()
    if _PLAIN.match(value) and value.lower() not in _YAML_WORDS:
        return value
    # A JSON string is a YAML double-quoted scalar: quotes, colons, `#` stay text.
    return json.dumps(value, ensure_ascii=False)


def front_matter(project: Project, p: Plan) -> dict:
    """theme, paginate and footer as the course uses them (strings, as Marp reads them)."""
    values: dict = dict(DEFAULTS)
    decks = project.decks()
    if decks:
        latest = max(decks, key=lambda d: (course.module_number(d) or -1, d.name))
        try:
            matter = open_deck(project, latest).front_matter
        except Unreadable:
            matter = None
        found = (matter.data or {}) if matter else {}
        for key in values:
            value = found.get(key)
            if isinstance(value, str) and value.strip():
                values[key] = value.strip()
    theme = project.section("course").get("theme")
    if isinstance(theme, str):
        values["theme"] = theme
    values["footer"] = course.footer(project, p.number, course.module_title(project, p.number, p.title))
    return values


def course_size(project: Project, number: int) -> int:
    """Modules in the course once this one exists: decks present plus planned ones (as MK601)."""
    return len(set(course.present_modules(project)) | course.planned_modules(project) | {number})


def scaffold(project: Project, p: Plan) -> list[Path]:
    env = _templates()
    total = course_size(project, p.number)
    snippet_text = env.get_template("quickstart.py.j2").render(name=p.name, number=p.number)
    # The fence body is written already synced: exactly what the region shows.
    code, _ = parse_snippet(p.snippet, snippet_text).shown(REGION)
    matter = {key: _scalar(key, str(value)) for key, value in front_matter(project, p).items()
              if value}
    deck_text = env.get_template("deck.md.j2").render(
        name=p.name, number=p.number, total=total, title=p.title, code=code,
        theme=matter["theme"], paginate=matter["paginate"], footer=matter.get("footer"))
    atomic_write(p.snippet, snippet_text)
    atomic_write(p.deck, deck_text)
    return [p.deck, p.snippet]


def stale_module_counts(project: Project, total: int, new_deck: Path) -> list[str]:
    """`Module N of M` lines in other decks that the new module makes wrong."""
    stale = []
    for path in project.decks():
        if path == new_deck:
            continue
        try:
            lines = split_lines(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
        for number, line in enumerate(lines, start=1):
            for match in _MODULE_OF.finditer(line):
                if int(match.group(2)) != total:
                    stale.append(f"{project.rel(path)}:{number}: {match.group(0)!r}")
    return stale


@click.command("new")
@click.argument("name")
@click.option("--title", help="The module's title (default: from NAME).")
def new_cmd(name, title):
    """Scaffold module NAME (NN-topic): a deck and a runnable W&B snippet it shows."""
    project = load_project()
    if not project.slides_dir.is_dir():
        raise UsageError("no slides/ folder here: run marpkit from a course project")
    p = plan(project, name, title)
    for path in scaffold(project, p):
        click.echo(f"created {project.rel(path)}")
    total = course_size(project, p.number)
    stale = stale_module_counts(project, total, p.deck)
    if stale:
        click.echo(f"the course now has {total} module(s); update these title slides "
                   "(or list planned modules in [tool.marpkit.course] planned):")
        for line in stale:
            click.echo(f"  {line}")
    if p.number > total:
        click.echo(f"this is module {p.number} of {total}: list the modules still to be written "
                   "in [tool.marpkit.course] planned = [...] so the count is right")
    from marpkit.serve.preview import DEFAULT_PORT

    # Last, so it is what the presenter sees: the one next step.
    click.echo(f"preview it: run `marpkit serve`, then open "
               f"http://localhost:{DEFAULT_PORT}/{p.deck.name}")
    return Exit.OK
