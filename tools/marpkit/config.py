"""Project discovery and `[tool.marpkit]` configuration, validated once.

Every key of every `[tool.marpkit.*]` table is declared in SCHEMA with its
type: an unknown key or a wrong type is exit 2 naming it (with the closest
known key), never silently ignored. Stages read their tables through
`Project.section`, already checked, or typed (`Project.build_settings`).
Only this module reads TOML, and only it knows the folders' default names.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from marpkit.findings import UsageError
from marpkit.fsutil import inside, real, shown

# The folders a project has unless [tool.marpkit] names others.
DEFAULT_DIRS = {"slides_dir": "slides", "snippets_dir": "snippets", "build_dir": "build",
                "themes_dir": "themes", "cache_dir": ".marpkit-cache"}
DEFAULT_FORMATS = ("html", "pdf")
# What `formats` may name: Marp CLI's converters, as marp/converter.py runs
# them (a test holds the two to each other; the thumbnail is the index's own).
CHOOSABLE_FORMATS = ("html", "pdf", "pptx", "notes", "png", "handout")
TIMEOUT_SETTING = "[tool.marpkit.build] browser_timeout"
HANDOUT_LAYOUTS = (1, 2, 3)  # slides per handout page
HANDOUT_PAPERS = ("a4", "letter")
NOTES_MODES = ("public", "private")


@dataclass(frozen=True)
class BuildSettings:
    """[tool.marpkit.build], checked, with its defaults."""

    formats: tuple[str, ...] = DEFAULT_FORMATS
    html: bool = False
    pdf_outlines: bool = True
    pdf_notes: bool = True
    index: bool = True
    browser_timeout: float | None = None  # seconds (0: no limit); None: scaled with the deck
    handout_layout: int = 2
    handout_lines: bool = False  # ruled lines for writing where a slide has no notes
    handout_paper: str = "a4"
    # "private": presenter notes stay out of every published output but the handout.
    notes: str = "public"

    @property
    def private_notes(self) -> bool:
        return self.notes == "private"


@dataclass
class Project:
    root: Path
    slides_dir: Path
    snippets_dir: Path
    build_dir: Path
    themes_dir: Path
    cache_dir: Path
    settings: dict = field(default_factory=dict)  # the whole [tool.marpkit] table
    build_settings: BuildSettings = field(default_factory=BuildSettings)

    def rel(self, path: Path) -> str:
        """A path as users should see it, whatever the working directory:
        relative to the project when inside it (fsutil.shown's rule)."""
        return shown(path, self.root)

    def decks(self) -> list[Path]:
        """Every deck of the course: the `*.md` files directly in the slides folder.

        Not those of its subfolders: the build publishes each deck as
        build/<name>.html beside the others and lists these in the index, so
        a deck further down would have no place there. Path arguments name
        decks out of this list (model/load.py `deck_paths`). A name that is no
        readable file (a dangling link, a folder, a pipe) is listed too: each
        command reports it (MK204) instead of passing over it in silence."""
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
              "index": "bool", "browser_timeout": "number", "handout_layout": "int",
              "handout_lines": "bool", "handout_paper": "str", "notes": "str"},
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


def check_formats(formats, notes: str) -> None:
    """The formats a build was asked for (pyproject or --format) against the notes setting."""
    if notes == "private" and "notes" in formats:
        raise UsageError('pyproject.toml: [tool.marpkit.build] notes = "private" keeps presenter '
                         'notes out of what is published, so the "notes" format cannot be built')


def build_settings(table: dict) -> BuildSettings:
    """[tool.marpkit.build] as the build takes it; its types are already checked."""
    formats = table.get("formats", list(DEFAULT_FORMATS))
    unknown = [f for f in formats if f not in CHOOSABLE_FORMATS]
    if unknown:
        raise UsageError(f"pyproject.toml: [tool.marpkit.build] formats: unknown {unknown}; "
                         f"choose from {', '.join(CHOOSABLE_FORMATS)}")
    timeout = table.get("browser_timeout")
    if timeout is not None and timeout < 0:
        raise UsageError(f"pyproject.toml: {TIMEOUT_SETTING} must be a number of seconds "
                         "(0 for no limit)")
    layout = table.get("handout_layout", 2)
    if layout not in HANDOUT_LAYOUTS:
        raise UsageError(f"pyproject.toml: [tool.marpkit.build] handout_layout must be 1, 2 or 3 "
                         f"(slides per page), not {layout!r}")
    paper = table.get("handout_paper", "a4")
    if paper.lower() not in HANDOUT_PAPERS:
        raise UsageError(f"pyproject.toml: [tool.marpkit.build] handout_paper must be \"A4\" or "
                         f"\"Letter\", not {paper!r}")
    notes = table.get("notes", "public")
    if notes not in NOTES_MODES:
        raise UsageError(f"pyproject.toml: [tool.marpkit.build] notes must be \"public\" or "
                         f"\"private\", not {notes!r}")
    check_formats(formats, notes)
    return BuildSettings(tuple(formats), bool(table.get("html", False)),
                         bool(table.get("pdf_outlines", True)), bool(table.get("pdf_notes", True)),
                         bool(table.get("index", True)),
                         None if timeout is None else float(timeout),
                         layout, bool(table.get("handout_lines", False)), paper.lower(), notes)


def marpkit_table(data: dict) -> dict | None:
    """pyproject's [tool.marpkit] table, None when absent. `tool` and `marpkit`
    are keys a file can give any value (`tool = 5`): a non-table is exit 2
    naming the key, not an AttributeError."""
    tool = data.get("tool")
    if tool is None:
        return None
    if not isinstance(tool, dict):
        raise UsageError(f"pyproject.toml: tool must be a table, not {tool!r}")
    settings = tool.get("marpkit")
    if settings is not None and not isinstance(settings, dict):
        raise UsageError(f"pyproject.toml: [tool] marpkit must be a table, not {settings!r}")
    return settings


def find_root(start: Path | None = None) -> Path:
    here = real(start or Path.cwd())
    slides = DEFAULT_DIRS["slides_dir"]
    for candidate in [here, *here.parents]:
        if (candidate / "pyproject.toml").is_file() and (candidate / slides).is_dir():
            return candidate
    for candidate in [here, *here.parents]:
        if (candidate / slides).is_dir():
            return candidate
    return here


def _marpkit_table(root: Path) -> dict | None:
    """[tool.marpkit] of root's pyproject.toml (None without one), unchecked."""
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return None
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{pyproject.name}: invalid TOML: {exc}") from None
    return marpkit_table(data)


def is_project(root: Path) -> bool:
    """A course project's root: a slides/ folder, or a [tool.marpkit] table
    (even one with mistakes, which are the project's to fix)."""
    if (root / DEFAULT_DIRS["slides_dir"]).is_dir():
        return True
    try:
        return _marpkit_table(root) is not None
    except (OSError, UsageError):
        return False


def project_at(root: Path, settings: dict | None = None) -> Project:
    """The project at root with these (validated) settings; no settings: every default."""
    settings = settings or {}

    def directory(key: str) -> Path:
        return real(root / settings.get(key, DEFAULT_DIRS[key]))

    return Project(root=root, slides_dir=directory("slides_dir"),
                   snippets_dir=directory("snippets_dir"), build_dir=directory("build_dir"),
                   themes_dir=directory("themes_dir"), cache_dir=directory("cache_dir"),
                   settings=settings, build_settings=build_settings(settings.get("build", {})))


def load_project(start: Path | None = None) -> Project:
    root = find_root(start)
    settings = _marpkit_table(root) or {}
    validate(settings)
    project = project_at(root, settings)
    _own_cache(project, settings.get("cache_dir"))
    return project


DEFAULT_CACHE = ".marpkit-cache"
# The standard cache directory tag (https://bford.info/cachedir/): backup
# tools skip the folder, and marpkit knows the folder is its own.
CACHE_TAG = "CACHEDIR.TAG"
_TAG_SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55"


def _own_cache(project: Project, configured: str | None) -> None:
    """The cache must be marpkit's own folder: marpkit deletes what is in it (serve
    empties its preview there), so it may not be, or hold, the project, a folder
    the course lives in, or a folder of someone else's files.

    A configured folder is created with a CACHEDIR.TAG, and an existing one is
    accepted only if empty (then tagged) or tagged. The default `.marpkit-cache`
    is marpkit's by its name (caches made before the tag existed have none); it
    is tagged once seen, and otherwise created by whatever first writes to it.
    """
    cache = project.cache_dir
    shown = f"pyproject.toml: [tool.marpkit] cache_dir {configured or DEFAULT_CACHE!r}"
    folders = {"the project folder": project.root, "slides_dir": project.slides_dir,
               "snippets_dir": project.snippets_dir, "themes_dir": project.themes_dir,
               "build_dir": project.build_dir}
    for name, folder in folders.items():
        if inside(folder, cache) is not None:
            what = "is" if folder == cache else "holds"
            raise UsageError(f"{shown} {what} {name}: the cache must be a folder of marpkit's own, "
                             f"e.g. {DEFAULT_CACHE!r}")
    tag = cache / CACHE_TAG
    if cache.is_dir():
        try:
            if tag.read_text(encoding="utf-8", errors="replace").startswith(_TAG_SIGNATURE):
                return
        except OSError:
            pass
        if configured is not None and any(cache.iterdir()):
            raise UsageError(f"{shown} holds files marpkit did not write (it has no {CACHE_TAG}): "
                             "name a new or empty folder for the cache")
    elif cache.exists():
        raise UsageError(f"{shown} is a file, not a folder")
    elif configured is None:
        return
    from marpkit.fsutil import atomic_write

    try:
        atomic_write(tag, f"{_TAG_SIGNATURE}\n# This file is a cache directory tag created by marpkit.\n"
                          "# For information about cache directory tags, see https://bford.info/cachedir/\n")
    except OSError:
        pass  # a read-only checkout: what needs the cache says so when it writes there
