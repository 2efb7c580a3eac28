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

from marpkit.charts.state import deck_chart_list
from marpkit.check.header import Header, HeaderError, parse_header
from marpkit.check.limits import CEILINGS, DEFAULTS, Limits, project_ceiling, resolve
from marpkit.config import Project
from marpkit.findings import Finding, UsageError
from marpkit.fsutil import SNIPPET_LIMIT, inside, read_input, real
from marpkit.model.deck import Deck
from marpkit.model.load import Unreadable, deck_paths, open_deck
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
    charts: list = field(default_factory=list)  # charts/state.Chart drawn from its runs


def _kind(path: Path, langs: set[str]) -> str | None:
    return languages.run_kind(path, langs)


def plan(project: Project, args: tuple[str, ...]) -> tuple[list[Task], list[Finding]]:
    findings: list[Finding] = []
    store = SnippetStore(project.snippets_dir, project.cache_dir)
    course_decks = project.decks()
    wanted_snippets: set[Path] = set()
    deck_args: list[str] = []
    for arg in args:
        found = _snippet_arg(project, arg)
        if found is None:  # decks, a folder of them, a glob: what every command means by it
            deck_args.append(arg)
            continue
        if inside(found, project.snippets_dir) is None:
            raise UsageError(f"{arg}: not in {project.rel(project.snippets_dir)}/ (check runs "
                             f"only snippet files there, and the decks that show them)")
        if inside(found, project.snippets_dir, follow=True) is None:
            findings.append(Finding(
                project.rel(Path(os.path.abspath(found))), 1, 1, ESCAPING_PATH,
                f"snippet {arg} is a symlink that leaves the snippets folder: not read or run"))
            continue
        wanted_snippets.add(real(found))
    # Named as slides/ holds them (a symlinked deck is reported as the link, as by lint).
    named_decks = set(deck_paths(project, deck_args)) if deck_args else set()
    if named_decks and not wanted_snippets:
        read = sorted(named_decks)
    else:
        # Every deck is read so a named snippet's findings land on its slides.
        read = sorted(set(course_decks) | named_decks)
    tasks = _shown_tasks(project, store, read, named_decks, wanted_snippets, not args, findings)
    _add_named_snippets(project, tasks, wanted_snippets)
    ceiling = project_ceiling(project.section("check"))
    for task in tasks.values():
        _read(task, ceiling)
    return sorted(tasks.values(), key=lambda t: t.rel), findings


def _shown_tasks(project: Project, store: SnippetStore, read: list[Path],
                 named_decks: set[Path], wanted_snippets: set[Path], everything: bool,
                 findings: list[Finding]) -> dict[Path, Task]:
    """The runnable snippets the decks show or fill `output=` fences from, by real path."""
    tasks: dict[Path, Task] = {}
    for deck_path in read:
        try:
            deck = open_deck(project, deck_path)
        except Unreadable as exc:
            findings.append(exc.finding)
            continue
        for res in resolve_deck(deck, store):
            path = store.safe_path(res.rel_path)
            file = real(path) if path is not None else None
            interesting = everything or deck_path in named_decks or file in wanted_snippets
            if not res.ok:
                if interesting:
                    findings.append(res.finding)
                continue
            if not interesting:
                continue
            kind = _kind(path, {res.block.lang.lower()})
            if kind is None:
                continue  # data, YAML, ... on a slide: nothing to execute
            task = tasks.setdefault(file, Task(file, res.rel_path, kind))
            task.shown.append(Shown(deck, res))
        if everything or deck_path in named_decks:
            # A fence that shows a snippet's output needs that snippet run, shown or not.
            for block in deck.code_blocks:
                path = store.safe_path(block.output) if block.output else None
                if path is not None and path.is_file() and _kind(path, set()):
                    tasks.setdefault(real(path), Task(real(path), block.output,
                                                          _kind(path, set())))
            # So does a chart: check proves its run can draw it (MK309).
            for chart in deck_chart_list(project, deck, store):
                if chart.problem is None and _kind(chart.snippet, set()):
                    file = real(chart.snippet)
                    task = tasks.setdefault(file, Task(file, chart.ref.spec.snippet,
                                                       _kind(chart.snippet, set())))
                    task.charts.append(chart)
    return tasks


def _add_named_snippets(project: Project, tasks: dict[Path, Task],
                        wanted_snippets: set[Path]) -> None:
    """Snippets named on the command line that no deck shows still run."""
    for snippet in sorted(wanted_snippets):
        if snippet in tasks:
            continue
        kind = _kind(snippet, set())
        if kind is None:
            raise UsageError(f"{snippet}: not a Python or shell snippet")
        rel = inside(snippet, project.snippets_dir, follow=True)
        tasks[snippet] = Task(snippet, rel.as_posix() if rel else project.rel(snippet), kind)


def _read(task: Task, ceiling: Limits) -> None:
    """The snippet's text and header, and the limits it runs under (its
    header's, within the project's ceiling)."""
    try:
        task.text = read_input(task.path, SNIPPET_LIMIT).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        task.text = ""
    task.ceiling = ceiling
    try:
        task.header = parse_header(task.text, ceiling)
    except HeaderError as exc:
        task.header_error = exc
    task.limits = resolve(task.header, ceiling)


def _snippet_arg(project: Project, arg: str) -> Path | None:
    """The snippet file `arg` names (from here, from snippets/ or from the project's
    root, as fences write it), or None when `arg` is for the deck resolver."""
    candidates = [Path(arg), project.snippets_dir / arg, project.root / arg]
    found = next((c for c in candidates if c.is_file() or c.is_symlink()), None)
    if found is None or found.suffix.lower() in (".md", ".markdown"):
        return None
    return found


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
