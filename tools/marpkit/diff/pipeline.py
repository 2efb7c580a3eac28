"""marpkit diff, end to end: the revision's inputs out of git, both sides
prepared, only the changed decks rendered, every slide given its verdict."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from marpkit.config import Project, load_project, project_at
from marpkit.diff.align import align
from marpkit.diff.revision import Git, Revision
from marpkit.diff.sides import DeckSide, load_side, render
from marpkit.diff.verdicts import ADDED, REMOVED, DeckDiff, Pairing, compare_deck, one_sided, unchanged_deck
from marpkit.findings import Finding
from marpkit.fsutil import real
from marpkit.model.load import deck_paths


@dataclass
class DiffResult:
    revision: Revision
    decks: list[DeckDiff]
    findings: list[Finding] = field(default_factory=list)  # decks that do not load at one side

    @property
    def changed(self) -> bool:
        return any(deck.shown for deck in self.decks)


def run_diff(project: Project, rev: str | None, paths: tuple[str, ...], scratch: Path,
             pairing: Pairing = align) -> DiffResult:
    """Compare the slides at `rev` with the working tree's; renders go to `scratch`."""
    git = Git(project.root)
    revision = git.resolve(rev)
    old_root = git.extract(revision, project, scratch / "old")
    modules = project.root / "node_modules"
    if modules.is_dir() and not (old_root / "node_modules").exists():
        # The same Marp CLI and KaTeX at both revisions: only the inputs differ.
        (old_root / "node_modules").symlink_to(real(modules))
    new = load_side("working tree", project, paths)
    wanted = {project.rel(p) for p in deck_paths(project, paths)} if paths else None
    old = load_side(revision.name, load_project(old_root) if (old_root / "pyproject.toml").exists()
                    else _bare(project, old_root), cache_dir=project.cache_dir)
    findings = [*_at(old.errors, revision.name), *new.errors]

    # Only a deck new under its name can be an old one renamed: ask git then.
    renames = git.renames(revision, project) if set(new.decks) - set(old.decks) else {}
    origin = {new_rel: renames.get(new_rel, new_rel) for new_rel in new.decks}
    paired_old = set(origin.values())
    todo: list[tuple[DeckSide | None, DeckSide | None]] = []
    for new_rel, deck in sorted(new.decks.items()):
        todo.append((old.decks.get(origin[new_rel]), deck))
    for old_rel, deck in sorted(old.decks.items()):
        if old_rel not in paired_old and (wanted is None or old_rel in wanted):
            todo.append((deck, None))

    # A deck that does not load at one side is its finding, not a deck added or removed.
    broken = {f.path for f in findings}
    todo = [(a, b) for a, b in todo
            if not (a is None and origin.get(b.rel, b.rel) in broken)
            and not (b is None and a.rel in broken)]
    changed = [(a, b) for a, b in todo if a is None or b is None or a.key != b.key]
    render([(old, [a for a, _ in changed if a is not None]),
            (new, [b for _, b in changed if b is not None])], scratch / "render")
    decks = []
    for a, b in todo:
        if a is None:
            decks.append(one_sided(b, ADDED))
        elif b is None:
            decks.append(one_sided(a, REMOVED))
        elif a.key == b.key:
            decks.append(unchanged_deck(old, a, new, b))
        else:
            decks.append(compare_deck(old, a, new, b, pairing))
    return DiffResult(revision, decks, findings)


def _bare(project: Project, root: Path) -> Project:
    """A revision without pyproject.toml: the working tree's folder layout."""
    return project_at(root, project.settings)


def _at(findings: list[Finding], label: str) -> list[Finding]:
    return [replace(f, message=f"at {label}: {f.message}") for f in findings]


def scratch_dir() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="marpkit-diff-")
