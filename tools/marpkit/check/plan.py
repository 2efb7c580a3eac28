"""Which snippet files to check, and every slide that shows each of them.

Decks are read with the deck model and references resolved with the snippet
store; nothing here parses Markdown. A snippet shown on several slides (or by
several regions) is executed once and its findings are placed on whichever
slide shows the offending line.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from pathlib import Path

from marpkit.check.header import Header, HeaderError, parse_header
from marpkit.check.limits import CEILINGS, DEFAULTS, Limits, project_ceiling, resolve
from marpkit.config import Project
from marpkit.findings import Finding, UsageError
from marpkit.model.deck import Deck
from marpkit.model.load import Unreadable, open_deck
from marpkit.snippets import languages
from marpkit.snippets.store import ESCAPING_PATH, Resolution, SnippetStore, resolve_deck

# Heavy frameworks a course may show but a checking machine may lack: a
# snippet importing one that is not installed is skipped with the reason, as
# if it declared `requires:`. Any other failed import is a real failure.
OPTIONAL_FRAMEWORKS = ("torch", "torchvision", "tensorflow", "keras", "jax", "lightning",
                       "pytorch_lightning", "transformers", "sklearn", "xgboost", "lightgbm")


@dataclass
class Shown:
    deck: Deck
    res: Resolution


@dataclass
class Task:
    path: Path
    rel: str  # relative to the snippets folder, as fences write it
    kind: str  # "python" | "shell"
    shown: list[Shown] = field(default_factory=list)
    text: str = ""
    header: Header = field(default_factory=Header)
    header_error: HeaderError | None = None
    limits: Limits = DEFAULTS  # its header's, or the defaults
    ceiling: Limits = CEILINGS  # the project's, for the messages


def _kind(path: Path, langs: set[str]) -> str | None:
    return languages.run_kind(path, langs)


def plan(project: Project, args: tuple[str, ...]) -> tuple[list[Task], list[Finding]]:
    findings: list[Finding] = []
    store = SnippetStore(project.snippets_dir, project.cache_dir)
    deck_paths = [p.resolve() for p in project.decks()]
    named_decks: set[Path] = set()
    wanted_snippets: set[Path] = set()
    for arg in args:
        path = Path(arg)
        candidates = [path, project.snippets_dir / arg, project.root / arg]
        found = next((c for c in candidates if c.is_file() or c.is_symlink()), None)
        if found is None:
            raise UsageError(f"{arg}: no such deck or snippet file")
        if found.suffix.lower() in (".md", ".markdown"):
            if not _inside(found, project.slides_dir):
                raise UsageError(f"{arg}: not a deck in {project.rel(project.slides_dir)}/ "
                                 f"(check takes decks there and files in "
                                 f"{project.rel(project.snippets_dir)}/)")
            named_decks.add(found.resolve())
            continue
        if not _inside(found, project.snippets_dir, follow=False):
            raise UsageError(f"{arg}: not in {project.rel(project.snippets_dir)}/ (check runs "
                             f"only snippet files there, and the decks that show them)")
        if not _inside(found, project.snippets_dir):
            findings.append(Finding(
                project.rel(Path(os.path.abspath(found))), 1, 1, ESCAPING_PATH,
                f"snippet {arg} is a symlink that leaves the snippets folder: not read or run"))
            continue
        wanted_snippets.add(found.resolve())
    if named_decks and not wanted_snippets:
        deck_paths = sorted(named_decks)
    else:
        # Every deck is read so a named snippet's findings land on its slides.
        deck_paths = sorted(set(deck_paths) | named_decks)
    everything = not args
    tasks: dict[Path, Task] = {}
    for deck_path in deck_paths:
        try:
            deck = open_deck(project, deck_path)
        except Unreadable as exc:
            findings.append(exc.finding)
            continue
        for res in resolve_deck(deck, store):
            path = store.safe_path(res.rel_path)
            real = path.resolve() if path is not None else None
            interesting = everything or deck_path in named_decks or real in wanted_snippets
            if not res.ok:
                if interesting:
                    findings.append(res.finding)
                continue
            if not interesting:
                continue
            kind = _kind(path, {res.block.lang.lower()})
            if kind is None:
                continue  # data, YAML, ... on a slide: nothing to execute
            task = tasks.setdefault(real, Task(real, res.rel_path, kind))
            task.shown.append(Shown(deck, res))
        if everything or deck_path in named_decks:
            # A fence that shows a snippet's output needs that snippet run, shown or not.
            for block in deck.code_blocks:
                path = store.safe_path(block.output) if block.output else None
                if path is not None and path.is_file() and _kind(path, set()):
                    tasks.setdefault(path.resolve(), Task(path.resolve(), block.output,
                                                          _kind(path, set())))
    for snippet in sorted(wanted_snippets):
        if snippet in tasks:
            continue
        kind = _kind(snippet, set())
        if kind is None:
            raise UsageError(f"{snippet}: not a Python or shell snippet")
        try:
            rel = snippet.relative_to(project.snippets_dir.resolve()).as_posix()
        except ValueError:
            rel = project.rel(snippet)
        tasks[snippet] = Task(snippet, rel, kind)
    ceiling = project_ceiling(project.section("check"))
    for task in tasks.values():
        try:
            task.text = task.path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            task.text = ""
        task.ceiling = ceiling
        try:
            task.header = parse_header(task.text, ceiling)
        except HeaderError as exc:
            task.header_error = exc
        task.limits = resolve(task.header, ceiling)
    return sorted(tasks.values(), key=lambda t: t.rel), findings


def _inside(path: Path, folder: Path, follow: bool = True) -> bool:
    """Whether `path` lies in `folder`: where it points (`follow`), or where it is."""
    if follow:
        path, folder = path.resolve(), folder.resolve()
    else:
        path, folder = Path(os.path.abspath(path)), Path(os.path.abspath(folder))
    return path == folder or folder in path.parents


def skip_reason(task: Task) -> str | None:
    """Why a task is not executed (header skip, missing requirement), else None."""
    from importlib.util import find_spec

    if task.header.skip:
        return task.header.skip
    if task.kind == "shell" and not task.header.run:
        return None  # syntax-checked only; not a skip
    for name in task.header.requires:
        if not _importable(name, find_spec):
            return f"{name} not installed"
    if task.kind == "python":
        for name in _imports(task.text):
            top = name.split(".")[0]
            if top in OPTIONAL_FRAMEWORKS and not _importable(top, find_spec):
                return f"{top} not installed"
    return None


def _importable(name: str, find_spec) -> bool:
    try:
        return find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _imports(source: str) -> list[str]:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    return names
