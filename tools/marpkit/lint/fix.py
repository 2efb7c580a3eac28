"""Safe fixes: apply them (marpkit.edits) and save the deck (marpkit.model.load)."""

from __future__ import annotations

from pathlib import Path

from marpkit.edits import apply_fixes as apply
from marpkit.findings import Finding, Fix
from marpkit.model.load import save_deck


def fix_file(path: Path, original: str, findings: list[Finding]) -> list[Fix]:
    """Apply every fix among `findings` to `path` (whose text was `original`)."""
    fixes = [f.fix for f in findings if f.fix is not None]
    if not fixes:
        return []
    new_text, applied = apply(original, fixes)
    if applied and new_text != original:
        save_deck(path, new_text)
    return applied
