"""A validated run's stdout, normalised, for `output=` fences.

This module is check's one seam to the other stages: sync and build read
checked outputs through `output_reader`, and import nothing else of check.

Normalisation makes the text stable from one check to the next, so a rebuilt
deck does not change when nothing did:

* lines W&B prints itself (starting with `wandb:`) are removed;
* the run ids of the snippet's runs (and any `offline-run-DATE_TIME-ID`) become
  `<run-id>` / `offline-run-<timestamp>-<run-id>`;
* the sandbox paths become `<workdir>` (the snippet's working copy) and
  `<tmp>` (the rest of its temp folder);
* ISO dates/times (`2025-01-31T12:00:00.123Z`, `2025-01-31 12:00:00`) become
  `<timestamp>`, lone clock times `12:00:01` become `<time>`;
* durations with a unit (`1.23s`, `250 ms`, `0:00:03`) become `<duration>`;
* object addresses (`at 0x7f3a...`) become `at 0x<address>`;
* trailing whitespace is stripped from every line.
"""

from __future__ import annotations

import re
from pathlib import Path

from marpkit.check.cache import Cache, cache_key
from marpkit.text import split_lines

_WANDB_LINE = re.compile(r"^wandb:")
_OFFLINE_DIR = re.compile(r"offline-run-\d{8}_\d{6}-[a-z0-9]+")
_ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")
_CLOCK_DURATION = re.compile(r"\b\d+:\d{2}:\d{2}(\.\d+)?\b")
_DURATION = re.compile(r"(?<![\w.])\d+(\.\d+)?\s?(ns|µs|us|ms|s|sec|secs|seconds)\b")
_ADDRESS = re.compile(r"\bat 0x[0-9a-fA-F]+")


def normalise(text: str, run_ids: list[str] = (), workdir: str | None = None,
              sandbox: str | None = None) -> str:
    lines = [line for line in split_lines(text) if not _WANDB_LINE.match(line)]
    out = "\n".join(line.rstrip() for line in lines)
    for path, name in ((workdir, "<workdir>"), (sandbox, "<tmp>")):
        if path:
            out = out.replace(path, name)
    out = _OFFLINE_DIR.sub("offline-run-<timestamp>-<run-id>", out)
    for run_id in sorted(set(filter(None, run_ids)), key=len, reverse=True):
        out = re.sub(rf"\b{re.escape(run_id)}\b", "<run-id>", out)
    out = _ISO.sub("<timestamp>", out)
    out = _CLOCK_DURATION.sub("<duration>", out)
    out = _DURATION.sub("<duration>", out)
    out = _ADDRESS.sub("at 0x<address>", out)
    return out.strip("\n") + ("\n" if out.strip() else "")


def read_output(project, rel_snippet_path: str) -> str | None:
    """The normalised stdout of the last passing check of this snippet as it is now.

    None when the snippet (or anything in its folder) changed since (its cache
    key moved), its last check failed, it never ran, or it does not exist.
    """
    snippets_dir = Path(project.snippets_dir)
    path = snippets_dir / rel_snippet_path
    if not path.is_file():
        return None
    entry = Cache(Path(project.cache_dir)).get(cache_key(snippets_dir, path))
    return entry.stdout if entry is not None and entry.passed else None


def check_verdict(cache_dir: Path, snippets_dir: Path, rel_snippet_path: str) -> bool | None:
    """Whether the last check of this snippet, as its folder is now in
    `snippets_dir` (the working tree's, or an old revision's copy), passed;
    None when it was never checked so. The check cache is keyed by content, so
    one cache answers for both sides of `marpkit diff`."""
    path = Path(snippets_dir) / rel_snippet_path
    if not path.is_file():
        return None
    entry = Cache(Path(cache_dir)).get(cache_key(Path(snippets_dir), path))
    return None if entry is None else entry.passed


def output_reader(project, store):
    """rel path -> the snippet's checked, normalised stdout (None if not checked as it is now)."""
    def read(rel: str) -> str | None:
        if store.safe_path(rel) is None:
            return None  # never look outside the snippets folder
        return read_output(project, rel)

    return read


def checked_runs(project):
    """snippet path -> (passed, its runs as RunData JSON) from the last check of the
    snippet as it is now, or None: what sync draws charts from."""
    cache = Cache(Path(project.cache_dir))

    def read(snippet: Path) -> tuple[bool, list[dict]] | None:
        entry = cache.get(cache_key(Path(project.snippets_dir), snippet))
        if entry is None:
            return None
        return entry.passed, list(entry.execution.get("runs") or [])

    return read
