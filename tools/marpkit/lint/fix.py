"""Safe fixes: apply them (marpkit.edits) and write the file (marpkit.fsutil)."""

from __future__ import annotations

from pathlib import Path

from marpkit.edits import apply_fixes as apply
from marpkit.findings import Finding, Fix
from marpkit.fsutil import atomic_write


def fix_file(path: Path, original: str, findings: list[Finding]) -> list[Fix]:
    """Apply every fix among `findings` to `path` (whose text was `original`)."""
    fixes = [f.fix for f in findings if f.fix is not None]
    if not fixes:
        return []
    new_text, applied = apply(original, fixes)
    if applied and new_text != original:
        atomic_write(path, new_text)  # temp file beside it, then os.replace
    return applied
