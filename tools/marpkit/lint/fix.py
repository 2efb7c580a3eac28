"""Safe fixes: build them, apply them, write files atomically (via marpkit.edits)."""

from __future__ import annotations

from pathlib import Path

from marpkit import edits
from marpkit.deck import CodeBlock, Deck
from marpkit.findings import Finding, Fix


def body_fix(deck: Deck, block: CodeBlock, code: str, description: str) -> Fix | None:
    """Replace a fence's body with `code`: the same edit `marpkit sync` makes, from the
    same function, so lint's fix and sync can never disagree."""
    return edits.body_fix(deck, block, code, description)


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


def fix_file(path: Path, original: str, findings: list[Finding]) -> list[Fix]:
    """Apply every fix among `findings` to `path` (whose text was `original`)."""
    fixes = [f.fix for f in findings if f.fix is not None]
    if not fixes:
        return []
    new_text, applied = apply(original, fixes)
    if applied and new_text != original:
        edits.atomic_write(path, new_text)  # temp file beside it, then os.replace
    return applied
