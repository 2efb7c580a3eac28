"""The revision compared against, read from git without touching the user's
checkout or index: `git archive` into a folder of our own."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from marpkit import procs
from marpkit.config import Project
from marpkit.findings import UsageError
from marpkit.fsutil import inside, real, shown
from marpkit.text import split_lines

GIT_TIMEOUT = 120.0
SHALLOW_FIX = ("the clone is shallow and lacks it: fetch the history "
               "(`git fetch --deepen=50`, or `fetch-depth: 0` in actions/checkout)")


@dataclass(frozen=True)
class Revision:
    """A commit to compare with, and how the user named it."""

    name: str
    commit: str


class Git:
    """git in the working tree's repository, read-only."""

    def __init__(self, where: Path):
        self.where = where
        top = self._run("rev-parse", "--show-toplevel", check=False)
        if top.returncode != 0:
            raise UsageError(f"{shown(real(where))}: not a git repository (nor inside one): "
                             "marpkit diff compares with a git revision")
        self.top = Path(top.stdout.strip())

    def _run(self, *args: str, check: bool = True, text: bool = True) -> subprocess.CompletedProcess:
        try:
            proc = procs.run(["git", *args], cwd=self.where, timeout=GIT_TIMEOUT, text=text)
        except FileNotFoundError:
            raise UsageError("git is not installed: marpkit diff reads the old slides from git") from None
        if check and proc.returncode != 0:
            err = proc.stderr.decode(errors="replace") if isinstance(proc.stderr, bytes) else proc.stderr
            raise UsageError(f"git {args[0]} failed: {(split_lines(err.strip()) or ['?'])[-1]}")
        return proc

    def commit_of(self, rev: str) -> str | None:
        proc = self._run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}",
                         check=False)
        return proc.stdout.strip() if proc.returncode == 0 else None

    def shallow(self) -> bool:
        return self._run("rev-parse", "--is-shallow-repository", check=False).stdout.strip() == "true"

    def merge_base(self, rev: str) -> str | None:
        proc = self._run("merge-base", "HEAD", rev, check=False)
        return proc.stdout.strip() if proc.returncode == 0 else None

    def resolve(self, rev: str | None) -> Revision:
        """The named revision, else the merge base with the default branch."""
        if rev is not None:
            commit = self.commit_of(rev)
            if commit is None:
                if self.shallow():
                    raise UsageError(f"unknown revision '{rev}': {SHALLOW_FIX}")
                raise UsageError(f"unknown revision '{rev}': no such commit, branch or tag in this repository")
            return Revision(rev, commit)
        for candidate in default_bases():
            if self.commit_of(candidate) is None:
                continue
            base = self.merge_base(candidate)
            if base is None:
                if self.shallow():
                    raise UsageError(f"no merge base with {candidate}: {SHALLOW_FIX}")
                continue
            return Revision(f"merge-base {candidate}", base)
        raise UsageError("no revision to compare with: no origin/HEAD, main or master here; "
                         "name one, e.g. `marpkit diff HEAD~1`")

    def prefix(self, root: Path) -> PurePosixPath:
        """Where the project lies in the repository."""
        return PurePosixPath(os.path.relpath(real(root), real(self.top)).replace(os.sep, "/"))

    def extract(self, revision: Revision, project: Project, into: Path) -> Path:
        """The project's inputs at `revision` (pyproject.toml, decks, snippets,
        themes) under `into`; returns the old project's root there."""
        prefix = self.prefix(project.root)
        wanted = {"pyproject.toml"} | {
            PurePosixPath(project.rel(d)).parts[0] for d in
            (project.slides_dir, project.snippets_dir, project.themes_dir)}
        base = "" if str(prefix) == "." else f"{prefix}/"
        listed = self._run("ls-tree", "--name-only", "-z", revision.commit, "--", base or ".").stdout
        present = [name for name in listed.split("\0")
                   if name and PurePosixPath(name).name in wanted]
        root = into / prefix
        root.mkdir(parents=True, exist_ok=True)
        if present:
            tar = self._run("archive", "--format=tar", revision.commit, "--", *present, text=False).stdout
            with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
                archive.extractall(into, filter="data")
        return root

    def renames(self, revision: Revision, project: Project) -> dict[str, str]:
        """Decks renamed since `revision` (new path -> old path, project-relative),
        by git's rename detection against the working tree."""
        prefix = self.prefix(project.root)
        slides = project.rel(project.slides_dir)
        out = self._run("diff", "--name-status", "-z", "-M", revision.commit, "--",
                        str(self.top / prefix / slides)).stdout
        fields = out.split("\0")
        found, i = {}, 0
        while i < len(fields) and fields[i]:
            status = fields[i]
            if status.startswith(("R", "C")):
                old, new = fields[i + 1], fields[i + 2]
                if status.startswith("R"):
                    found[_relative(new, prefix)] = _relative(old, prefix)
                i += 3
            else:
                i += 2
        return found


def _relative(path: str, prefix: PurePosixPath) -> str:
    return path if str(prefix) == "." else str(inside(path, prefix) or path)


def default_bases() -> list[str]:
    """Where a change branched from: the pull request's base branch in GitHub
    Actions, else the default branch."""
    bases = []
    if os.environ.get("GITHUB_BASE_REF"):
        bases.append(f"origin/{os.environ['GITHUB_BASE_REF']}")
    return [*bases, "origin/HEAD", "main", "master"]
