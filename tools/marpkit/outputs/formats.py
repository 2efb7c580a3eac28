"""Output formats: text (like ruff), json, sarif (GitHub code scanning), github annotations."""

from __future__ import annotations

import json
from urllib.parse import quote

from marpkit import __version__
from marpkit.codes import CODES
from marpkit.findings import Finding

FORMATS = ("text", "json", "sarif", "github")


def summary(findings: list[Finding]) -> str:
    if not findings:
        return "All checks passed."
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    fixable = sum(f.fix is not None for f in findings)
    text = f"Found {len(findings)} problem{'s' * (len(findings) != 1)} " \
           f"({errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)})."
    if fixable:
        text += f"\n[*] {fixable} fixable with `marpkit lint --fix`."
    return text


def to_text(findings: list[Finding]) -> str:
    lines = [f.format() for f in findings]
    return "\n".join([*lines, summary(findings)])


def to_json(findings: list[Finding]) -> str:
    return json.dumps([f.to_json() for f in findings], indent=2, ensure_ascii=False)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _level(severity: str, info: str) -> str:
    """GitHub and SARIF say error and warning as marpkit does; info is GitHub's
    `notice` and SARIF's `note` (as a warning it would fail a strict CI)."""
    return severity if severity in ("error", "warning") else info


def to_github(findings: list[Finding]) -> str:
    out = []
    for f in findings:
        level = _level(f.severity, "notice")
        props = (f"file={_escape_property(f.path)},line={f.line},col={f.column},"
                 f"endLine={f.end_line or f.line},title={_escape_property(f.code)}")
        message = f.message + (f" (slide {f.slide})" if f.slide else "")
        out.append(f"::{level} {props}::{_escape_data(message)}")
    return "\n".join(out)


def _uri(path: str) -> str:
    return quote(path.replace("\\", "/"), safe="/._-~")


def to_sarif(findings: list[Finding]) -> str:
    codes = sorted(CODES)
    index = {code: i for i, code in enumerate(codes)}
    rules = []
    for code in codes:
        r = CODES[code]
        rules.append({
            "id": code,
            "name": r.name,
            "shortDescription": {"text": r.summary},
            "fullDescription": {"text": r.rationale},
            "help": {"text": f"{r.rationale}\n\nExample:\n{r.example}"},
            "defaultConfiguration": {"level": _level(r.severity, "note")},
        })
    results = []
    for f in findings:
        region = {"startLine": f.line, "startColumn": f.column, "endLine": f.end_line or f.line}
        result = {
            "ruleId": f.code,
            "level": _level(f.severity, "note"),
            "message": {"text": f.message + (f" (slide {f.slide})" if f.slide else "")},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": _uri(f.path)}, "region": region}}],
        }
        if f.code in index:
            result["ruleIndex"] = index[f.code]
        results.append(result)
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "marpkit", "version": __version__,
                                "informationUri": "https://github.com/marp-team/marp",
                                "rules": rules}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=False)


def render(findings: list[Finding], fmt: str) -> str:
    return {"text": to_text, "json": to_json, "sarif": to_sarif, "github": to_github}[fmt](findings)
