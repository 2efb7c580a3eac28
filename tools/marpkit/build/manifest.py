"""What was built from what: the input hash of every output, kept between builds.

A build with nothing changed costs one parse of each deck and no Marp: each
output whose recorded hash matches its inputs' hash is up to date.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from marpkit.config import Project
from marpkit.fsutil import atomic_write


def digest(*parts) -> str:
    """One hash of many parts (text or bytes), none able to run into the next."""
    hashed = hashlib.sha256()
    for part in parts:
        hashed.update(part if isinstance(part, bytes) else str(part).encode("utf-8"))
        hashed.update(b"\0")
    return hashed.hexdigest()


class Manifest:
    """Input hash of every output, by `<deck stem>:<format>`."""

    def __init__(self, project: Project):
        self.path = project.build_dir / ".marpkit" / "manifest.json"
        try:
            self.data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.data = {}
        if not isinstance(self.data, dict):
            self.data = {}

    def fresh(self, key: str, digest: str, outputs: list[Path]) -> bool:
        return self.data.get(key) == digest and bool(outputs) and all(p.exists() for p in outputs)

    def set(self, key: str, digest: str) -> None:
        self.data[key] = digest

    def save(self) -> None:
        atomic_write(self.path, json.dumps(self.data, indent=1, sort_keys=True))
