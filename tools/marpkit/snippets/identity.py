"""What a snippet is, as bytes: its path and every file in its folder.

The check cache keys executions by it (plus this machine's versions), and a
chart records it (alone, so a chart drawn on one machine reads as current on
any other): edited helpers, data files and the header all count.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from marpkit.fsutil import inside

SKIP_DIRS = {"__pycache__", "wandb", ".wandb", ".git", ".ipynb_checkpoints"}


def folder_files(folder: Path) -> list[Path]:
    out = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(files):
            if not name.endswith((".pyc", ".pyo")):
                out.append(Path(root, name))
    return out


def add_sources(digest, snippets_dir: Path, snippet: Path) -> None:
    """Feed `digest` the snippet's path and its folder's files, names and bytes."""
    folder = snippet.parent
    rel = inside(snippet, snippets_dir, follow=True)
    digest.update((rel.as_posix() if rel else snippet.name).encode() + b"\0")
    for path in folder_files(folder):
        digest.update(str(inside(path, folder)).encode() + b"\0")  # always below it
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            digest.update(b"unreadable")


def source_digest(snippets_dir: Path, snippet: Path) -> str:
    """The snippet as its folder is now, and nothing of this machine."""
    digest = hashlib.sha256(b"marpkit-source-1\0")
    add_sources(digest, snippets_dir, snippet)
    return digest.hexdigest()
