"""Safe fixes: build them, apply them, write files atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from marpkit.deck import CodeBlock, Deck
from marpkit.findings import Finding, Fix


def body_fix(deck: Deck, block: CodeBlock, code: str, description: str) -> Fix | None:
    """Replace a fence's body with `code` (the one place lint rewrites a code block).

    Kept in step with `marpkit sync`, which makes the same edit; only top-level
    closed fences are rewritten, as an indented or quoted fence needs its
    prefix re-applied on every line and is left for a human.
    """
    if not block.closed or block.indent.strip() or block.end_line <= block.line:
        return None
    start = deck.offset(block.body_line) if block.body_line <= block.end_line else None
    if start is None:
        return None
    end = deck.offset(block.end_line)
    replacement = "".join(block.indent + line + deck.newline if line else deck.newline
                          for line in code.splitlines())
    if deck.text[start:end] == replacement:
        return None
    return Fix(description, start, end, replacement)


def apply(text: str, fixes: list[Fix]) -> tuple[str, list[Fix]]:
    """Apply non-overlapping fixes from the end backwards; return the text and what applied.

    An overlapping fix is skipped rather than guessed at; the next run picks it up.
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


def atomic_write(path: Path, text: str) -> None:
    """Temp file in the same folder, then os.replace: a reader sees old or new, never half."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fix_file(path: Path, original: str, findings: list[Finding]) -> list[Fix]:
    """Apply every fix among `findings` to `path` (whose text was `original`)."""
    fixes = [f.fix for f in findings if f.fix is not None]
    if not fixes:
        return []
    new_text, applied = apply(original, fixes)
    if applied and new_text != original:
        atomic_write(path, new_text)
    return applied
