"""Text edits on a deck: every fix (sync, build, lint --fix) is applied here."""

from __future__ import annotations

from marpkit.findings import Fix


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
