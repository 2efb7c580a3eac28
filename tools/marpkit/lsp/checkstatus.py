"""What `marpkit check` last said about a snippet, read from its cache.

The cache is keyed by the bytes of the snippet's folder: an entry under the
current key is the verdict on the file as it is now. When there is none, the
newest entry recorded for the same snippet path is an older version's verdict,
shown as stale. Executions that failed are not cached (they run again), so
"no result" also covers a last run that failed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from marpkit.check.cache import Cache, cache_key
from marpkit.check.output_fences import read_output
from marpkit.snippets.identity import folder_files


@dataclass(frozen=True)
class CheckStatus:
    state: str  # "passed" | "failed" | "stale" | "unknown"
    detail: str
    at: float | None = None

    @property
    def label(self) -> str:
        when = f" ({time.strftime('%Y-%m-%d %H:%M', time.localtime(self.at))})" if self.at else ""
        return f"check: {self.detail}{when}"


# A keystroke in a deck changes no snippet: statuses are reused this long (and
# dropped at once when the server hears of a changed snippet).
TTL_S = 2.0


class CheckStatuses:
    """Statuses for a project's snippets; hashing a folder is repeated only when
    one of its files changed."""

    def __init__(self, project):
        self.project = project
        self.cache = Cache(Path(project.cache_dir))
        self._keys: dict[Path, tuple[tuple, str]] = {}
        self._recent: dict[tuple[str, bool], tuple[float, CheckStatus]] = {}
        self._outputs: dict[str, tuple[float, str | None]] = {}

    def forget(self) -> None:
        self._recent.clear()
        self._outputs.clear()

    def output(self, rel: str) -> str | None:
        """What `marpkit sync` would put in an `output=` fence (check/output_fences.py)."""
        now = time.monotonic()
        recent = self._outputs.get(rel)
        if recent is None or now - recent[0] >= TTL_S:
            recent = self._outputs[rel] = (now, read_output(self.project, rel))
        return recent[1]

    def _key(self, snippet: Path) -> str:
        folder = snippet.parent
        try:
            stamp = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in folder_files(folder))
        except OSError:
            stamp = ()
        cached = self._keys.get(snippet)
        if cached and cached[0] == stamp:
            return cached[1]
        key = cache_key(Path(self.project.snippets_dir), snippet)
        self._keys[snippet] = (stamp, key)
        return key

    def status(self, rel: str, unsaved: bool = False) -> CheckStatus:
        now = time.monotonic()
        recent = self._recent.get((rel, unsaved))
        if recent is not None and now - recent[0] < TTL_S:
            return recent[1]
        found = self._status(rel, unsaved)
        self._recent[(rel, unsaved)] = (now, found)
        return found

    def _status(self, rel: str, unsaved: bool) -> CheckStatus:
        path = Path(self.project.snippets_dir) / rel
        if not path.is_file():
            return CheckStatus("unknown", "the snippet file does not exist")
        key = self._key(path)
        entry = self.cache.get(key)
        if entry is not None and not unsaved:
            at = self.cache.written_at(key)
            if entry.passed:
                return CheckStatus("passed", "passed", at)
            return CheckStatus("failed", "ran, but its claims failed (run `marpkit check`)", at)
        old = self.cache.newest_per_snippet().get(rel)
        why = "has unsaved changes" if unsaved else "changed"
        if old is not None:
            verdict = "passed" if old[1].passed else "failed"
            return CheckStatus("stale", f"stale: {verdict} before the snippet {why}", old[0])
        return CheckStatus("unknown", "no result (never checked, or its last run failed)")
