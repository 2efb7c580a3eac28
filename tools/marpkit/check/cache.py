"""Content-hash cache of snippet executions, in `<project>/.marpkit-cache/check/`.

The key covers everything that can change what a run does: the snippet's path
and the bytes of every file in its folder (so edited helpers, data files and
the header all count), the Python, wandb and marpkit versions, and the
execution mode (forked pool or not, shared wandb-core or not). What is cached
is the *execution* (exit status, recorded runs, normalised stdout), never the
verdict: claims depend on what the deck shows and are re-derived on every
check (the entry's `passed` flag records the latest verdict, for `output=`
fences). Only clean executions are cached; failures and timeouts run again.
The `--timeout` default is not part of the key (a header `timeout:` is).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from marpkit import __version__
from marpkit.fsutil import atomic_write
from marpkit.snippets.identity import add_sources

FORMAT = "marpkit-check-cache-6"
@lru_cache(maxsize=1)
def _versions() -> str:
    from importlib import metadata

    try:
        wandb_version = metadata.version("wandb")
    except metadata.PackageNotFoundError:
        wandb_version = "absent"
    return f"{FORMAT}|{platform.python_implementation()} {sys.version}|wandb {wandb_version}" \
           f"|marpkit {__version__}"


def execution_mode() -> str:
    """How snippets run (forked pool or fresh interpreters, shared wandb-core or not):
    part of the key, so one mode's result never stands in for another's."""
    from marpkit.check.env import forking, measuring, sharing_service

    fork, shared = forking(), sharing_service()
    observe = "".join(str(int(not measuring(v))) for v in ("RECORD", "COVERAGE"))
    return f"fork={int(fork)} shared-service={int(shared and fork)} unobserved={observe}"


def cache_key(snippets_dir: Path, snippet: Path, extra: str = "") -> str:
    digest = hashlib.sha256()
    digest.update(_versions().encode())
    digest.update(b"\0" + execution_mode().encode())
    digest.update(b"\0" + extra.encode() + b"\0")
    add_sources(digest, snippets_dir, snippet)
    return digest.hexdigest()


@dataclass
class CacheEntry:
    """One clean execution of a snippet, as stored under its key."""

    snippet: str  # its path relative to the snippets folder, for the LSP's stale verdicts
    passed: bool  # the latest verdict: output= fences are only filled from passing runs
    stdout: str  # normalised, what an output= fence shows
    # Execution.to_json(), decoded by the check alone: sync, build and the LSP
    # read an entry without importing the evaluation stack.
    execution: dict

    def to_json(self) -> dict:
        return {"format": FORMAT, "snippet": self.snippet, "passed": self.passed,
                "stdout": self.stdout, "execution": self.execution}

    @classmethod
    def from_json(cls, data: object) -> CacheEntry | None:
        """None for another format or a damaged file: a miss, never an error."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            return None
        entry = cls(data.get("snippet"), data.get("passed"), data.get("stdout"),
                    data.get("execution"))
        types = ((entry.snippet, str), (entry.passed, bool), (entry.stdout, str),
                 (entry.execution, dict))
        return entry if all(isinstance(value, kind) for value, kind in types) else None


class Cache:
    def __init__(self, cache_dir: Path, enabled: bool = True):
        self.dir = cache_dir / "check"
        self.enabled = enabled
        self._listing: tuple | None = None
        self._newest: dict[str, tuple[float, CacheEntry]] = {}

    def _path(self, key: str) -> Path:
        return self.dir / key[:2] / f"{key}.json"

    @staticmethod
    def _read(path: Path) -> CacheEntry | None:
        try:
            return CacheEntry.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return None

    def get(self, key: str) -> CacheEntry | None:
        return self._read(self._path(key)) if self.enabled else None

    def put(self, key: str, entry: CacheEntry) -> None:
        try:
            atomic_write(self._path(key), json.dumps(entry.to_json(), sort_keys=True))
        except OSError:
            pass  # a read-only cache only costs speed

    def written_at(self, key: str) -> float | None:
        """When the entry under `key` was last written (its file's mtime), if it exists."""
        try:
            return self._path(key).stat().st_mtime
        except OSError:
            return None

    def newest_per_snippet(self) -> dict[str, tuple[float, CacheEntry]]:
        """snippet path -> (written at, entry) of the newest entry for it, under any key:
        an older version's verdict once the snippet changed. Files are read again only
        when the folder's listing (names and mtimes) changed."""
        try:
            listing = tuple(sorted((e.path, e.stat().st_mtime) for d in os.scandir(self.dir)
                                   if d.is_dir() for e in os.scandir(d.path)
                                   if e.name.endswith(".json")))
        except OSError:
            listing = ()
        if listing != self._listing:
            newest: dict[str, tuple[float, CacheEntry]] = {}
            for path, mtime in listing:
                entry = self._read(Path(path))
                if entry is not None and (entry.snippet not in newest
                                          or newest[entry.snippet][0] < mtime):
                    newest[entry.snippet] = (mtime, entry)
            self._listing, self._newest = listing, newest
        return self._newest
