"""Findings as protocol diagnostics: code, severity, the rule's documentation,
and where the code a fence shows comes from."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from lsprotocol import types

from marpkit.codes import CODES
from marpkit.findings import Finding
from marpkit.fsutil import real
from marpkit.lsp.analysis import Analysis
from marpkit.lsp.checkstatus import CheckStatus
from marpkit.lsp.positions import Text

SOURCE = "marpkit"
CHECK_SOURCE = "marpkit check"
SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
}
# A passing check is worth seeing, not worth a squiggle.
CHECK_SEVERITY = {
    "passed": types.DiagnosticSeverity.Hint,
    "stale": types.DiagnosticSeverity.Information,
    "failed": types.DiagnosticSeverity.Warning,
}


@lru_cache(maxsize=1)
def rules_doc() -> Path | None:
    """docs/rules.md beside the marpkit sources (an editable or source install)."""
    candidate = Path(__file__).resolve().parents[3] / "docs" / "rules.md"
    return candidate if candidate.is_file() else None


def doc_href(code: str, project_root: Path | None = None) -> str | None:
    rule = CODES.get(code)
    if rule is None:
        return None
    doc = rules_doc()
    if doc is None and project_root is not None and (project_root / "docs" / "rules.md").is_file():
        doc = project_root / "docs" / "rules.md"
    if doc is None:
        return None
    # The anchor a Markdown renderer gives "### MK201 `mojibake`".
    anchor = re.sub(r"[^a-z0-9 -]", "", f"{code} {rule.name}".lower()).replace(" ", "-")
    return f"{doc.as_uri()}#{anchor}"


def finding_range(f: Finding, text: Text) -> types.Range:
    start = text.position(f.line, f.column)
    if f.fix is not None:
        fix_range = text.range(f.fix.start, f.fix.end)
        last = (f.end_line or f.line) - 1
        if fix_range.start.line >= f.line - 1 and fix_range.end.line <= last \
                and fix_range.end != fix_range.start:
            return types.Range(start if fix_range.start.line == start.line and
                               fix_range.start.character < start.character else fix_range.start,
                               fix_range.end)
    end = text.line_end(f.end_line or f.line)
    if end.line == start.line and end.character <= start.character:
        end = types.Position(start.line, start.character + 1)
    return types.Range(start, end)


def to_diagnostic(f: Finding, analysis: Analysis | None, text: Text,
                  project_root: Path | None = None) -> types.Diagnostic:
    href = doc_href(f.code, project_root)
    related = []
    if analysis is not None:
        for res in analysis.resolutions:
            block = res.block
            if res.file is not None and block.line <= f.line <= max(block.end_line, block.line):
                line = res.file.regions[res.region].start if res.region in res.file.regions else 1
                related.append(types.DiagnosticRelatedInformation(
                    types.Location(real(res.file.path).as_uri(),
                                   types.Range(types.Position(line - 1, 0), types.Position(line - 1, 0))),
                    f"the code comes from {res.ref}"))
    message = f.message
    if f.slide is not None:
        message += f' (slide {f.slide}{f" “{f.slide_title}”" if f.slide_title else ""})'
    return types.Diagnostic(
        range=finding_range(f, text),
        message=message,
        severity=SEVERITY.get(f.severity, types.DiagnosticSeverity.Error),
        code=f.code,
        code_description=types.CodeDescription(href=href) if href else None,
        source=SOURCE,
        related_information=related or None,
        data={"fix": [f.fix.start, f.fix.end, f.fix.replacement, f.fix.description]}
        if f.fix is not None else None,
    )


def check_diagnostic(analysis: Analysis, res, status: CheckStatus) -> types.Diagnostic | None:
    severity = CHECK_SEVERITY.get(status.state)
    if severity is None:
        return None
    text = analysis.text
    start = text.position(res.block.line, res.block.column)
    return types.Diagnostic(
        range=types.Range(start, text.line_end(res.block.line)),
        message=f"{res.ref}: {status.label}",
        severity=severity,
        source=CHECK_SOURCE,
    )
