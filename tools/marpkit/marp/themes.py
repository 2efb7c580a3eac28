"""Theme CSS as Marp takes it: judged once, for build, lint and serve alike.

Marp CLI registers each theme of the theme set with Marpit and, for one it
cannot parse, prints a warning and converts without it: the slides come out
themeless and the build still succeeds. marpkit asks Marpit itself (the copy in
the project's node_modules, through assets/theme_check.js) before anything is
converted or rendered, and reports the file, line and column postcss gives.

A theme that passed is remembered by its content under the cache dir, so an
unchanged theme costs a hash, not a Node start.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

from marpkit import procs
from marpkit.findings import Finding, UsageError
from marpkit.fsutil import WriteError, atomic_write, shown
from marpkit.text import split_lines

THEME_INVALID = "MK903"
CHECKER = Path(__file__).resolve().parent.parent / "assets" / "theme_check.js"
_CACHE = "themes-accepted.json"
_REMEMBERED = 64  # accepted theme versions kept in the cache


class ThemeError(UsageError):
    """Themes Marp would refuse; the message is their findings, one a line."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        super().__init__("\n".join(f.format() for f in findings))


def theme_files(themes_dir: Path) -> list[Path]:
    """The theme set: every *.css of the themes folder, in a stable order."""
    return sorted(themes_dir.glob("*.css")) if themes_dir.is_dir() else []


def theme_problems(root: Path, cache_dir: Path, files: list[Path]) -> list[Finding]:
    """A finding for each theme file Marp could not register (none if all can)."""
    marpit = root / "node_modules" / "@marp-team" / "marpit" / "package.json"
    if not files or not marpit.is_file():
        return []  # no Marp to refuse them: finding Marp reports that set-up problem
    salt = hashlib.sha256(CHECKER.read_bytes() + marpit.read_bytes())
    digests = {}
    for path in files:
        digest = salt.copy()
        digest.update(path.read_bytes())
        digests[path] = digest.hexdigest()
    cache = cache_dir / _CACHE
    try:
        accepted = json.loads(cache.read_text(encoding="utf-8"))
        if not isinstance(accepted, list):
            accepted = []
    except (OSError, ValueError):
        accepted = []
    unknown = [p for p in files if digests[p] not in accepted]
    if not unknown:
        return []
    try:
        proc = procs.run(["node", str(CHECKER), *map(str, unknown)], cwd=root, text=True,
                         timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"could not check the theme CSS with Node: {exc}") from None
    results = [json.loads(line) for line in split_lines(proc.stdout) if line.startswith("{")]
    if proc.returncode != 0 or len(results) != len(unknown):
        raise UsageError("could not check the theme CSS with Node: "
                         f"{(proc.stderr or proc.stdout).strip()[-300:] or proc.returncode}")
    findings = []
    for path, result in zip(unknown, results, strict=True):
        if "reason" in result:
            findings.append(Finding(shown(path, root), result["line"], result["column"],
                                    THEME_INVALID, f"Marp cannot use this theme: "
                                    f"{result['reason']}", "error"))
        else:
            accepted.append(digests[path])
    try:
        atomic_write(cache, json.dumps(accepted[-_REMEMBERED:]))
    except WriteError:
        pass  # only a cache: the next run checks again
    return findings


def check_themes(root: Path, cache_dir: Path, files: list[Path]) -> None:
    """Raise ThemeError if Marp would refuse any of `files`."""
    problems = theme_problems(root, cache_dir, files)
    if problems:
        raise ThemeError(problems)
