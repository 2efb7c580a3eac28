"""Text edits on a deck, and writing files so a failure never leaves half a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from marpkit.deck import CodeBlock, Deck
from marpkit.findings import Fix


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write next to the target and rename over it: readers see old or new, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def apply_fixes(text: str, fixes: list[Fix]) -> tuple[str, list[Fix]]:
    """Apply non-overlapping fixes from the end backwards; return the text and what applied.

    An overlapping or out-of-range fix is skipped rather than guessed at; the
    next run picks it up.
    """
    applied: list[Fix] = []
    out = text
    limit = len(text) + 1
    for fix in sorted(fixes, key=lambda f: (f.start, f.end), reverse=True):
        if fix.end > limit or fix.start < 0 or fix.end > len(text):
            continue
        out = out[: fix.start] + fix.replacement + out[fix.end:]
        limit = fix.start
        applied.append(fix)
    return out, list(reversed(applied))


def body_fix(deck: Deck, block: CodeBlock, code: str, description: str) -> Fix | None:
    """Replace a fence's body with `code`, keeping the fence's indent and line endings."""
    if not block.closed or block.indent.strip():
        return None  # inside a blockquote or unclosed: not a safe mechanical edit
    if fence_body_matches(block, code):
        return None
    start = deck.offset(block.body_line)
    end = deck.offset(block.end_line)
    replacement = "".join(block.indent + line + deck.newline if line else deck.newline
                          for line in code.splitlines())
    return Fix(description, start, end, replacement)


def _normalized(code: str) -> list[str]:
    # Trailing blanks are invisible on a slide; they are not drift.
    lines = [line.rstrip() for line in code.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def fence_body_matches(block: CodeBlock, code: str) -> bool:
    return _normalized(block.body) == _normalized(code)
