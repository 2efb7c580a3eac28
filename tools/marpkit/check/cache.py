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
from functools import lru_cache
from pathlib import Path

from marpkit import __version__
from marpkit.fsutil import atomic_write, inside

FORMAT = "marpkit-check-cache-4"
SKIP_DIRS = {"__pycache__", "wandb", ".wandb", ".git", ".ipynb_checkpoints"}


@lru_cache(maxsize=1)
def _versions() -> str:
    from importlib import metadata

    try:
        wandb_version = metadata.version("wandb")
    except metadata.PackageNotFoundError:
        wandb_version = "absent"
    return f"{FORMAT}|{platform.python_implementation()} {sys.version}|wandb {wandb_version}" \
           f"|marpkit {__version__}"


def folder_files(folder: Path) -> list[Path]:
    out = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(files):
            if not name.endswith((".pyc", ".pyo")):
                out.append(Path(root, name))
    return out


def execution_mode() -> str:
    """How snippets run (forked pool or fresh interpreters, shared wandb-core or not):
    part of the key, so one mode's result never stands in for another's."""
    fork = hasattr(os, "fork") and os.environ.get("MARPKIT_CHECK_NO_FORK") != "1"
    shared = os.environ.get("MARPKIT_CHECK_SHARED_SERVICE", "1") != "0"
    observe = "".join(str(int(os.environ.get(f"MARPKIT_CHECK_NO_{v}") == "1"))
                      for v in ("RECORD", "COVERAGE"))
    return f"fork={int(fork)} shared-service={int(shared and fork)} unobserved={observe}"


def cache_key(snippets_dir: Path, snippet: Path, extra: str = "") -> str:
    digest = hashlib.sha256()
    digest.update(_versions().encode())
    digest.update(b"\0" + execution_mode().encode())
    digest.update(b"\0" + extra.encode() + b"\0")
    folder = snippet.parent
    rel = inside(snippet, snippets_dir, follow=True)
    digest.update((rel.as_posix() if rel else snippet.name).encode() + b"\0")
    for path in folder_files(folder):
        digest.update(str(inside(path, folder)).encode() + b"\0")  # always below it
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            digest.update(b"unreadable")
    return digest.hexdigest()


class Cache:
    def __init__(self, cache_dir: Path, enabled: bool = True):
        self.dir = cache_dir / "check"
        self.enabled = enabled

    def _path(self, key: str) -> Path:
        return self.dir / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict | None:
        if not self.enabled:
            return None
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if data.get("format") == FORMAT else None

    def put(self, key: str, entry: dict) -> None:
        entry = {**entry, "format": FORMAT}
        try:
            atomic_write(self._path(key), json.dumps(entry, sort_keys=True))
        except OSError:
            pass  # a read-only cache only costs speed
