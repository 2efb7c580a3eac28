"""Output formats: text (like ruff), json, sarif (GitHub code scanning), github annotations."""

from __future__ import annotations

import json
from urllib.parse import quote

from marpkit import __version__
from marpkit.findings import Finding
from marpkit.lint.registry import REGISTRY

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


def to_github(findings: list[Finding]) -> str:
    out = []
    for f in findings:
        level = "error" if f.severity == "error" else "warning"
        props = (f"file={_escape_property(f.path)},line={f.line},col={f.column},"
                 f"endLine={f.end_line or f.line},title={_escape_property(f.code)}")
        message = f.message + (f" (slide {f.slide})" if f.slide else "")
        out.append(f"::{level} {props}::{_escape_data(message)}")
    return "\n".join(out)


def _uri(path: str) -> str:
    return quote(path.replace("\\", "/"), safe="/._-~")


def to_sarif(findings: list[Finding]) -> str:
    codes = sorted(REGISTRY)
    index = {code: i for i, code in enumerate(codes)}
    rules = []
    for code in codes:
        r = REGISTRY[code]
        rules.append({
            "id": code,
            "name": r.name,
            "shortDescription": {"text": r.summary},
            "fullDescription": {"text": r.rationale},
            "help": {"text": f"{r.rationale}\n\nExample:\n{r.example}"},
            "defaultConfiguration": {"level": "error" if r.severity == "error" else "warning"},
        })
    results = []
    for f in findings:
        region = {"startLine": f.line, "startColumn": f.column, "endLine": f.end_line or f.line}
        result = {
            "ruleId": f.code,
            "level": "error" if f.severity == "error" else "warning",
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


def rules_markdown() -> str:
    """docs/rules.md, generated from the registry so the two cannot drift."""
    from marpkit.lint.settings import DEFAULT_THRESHOLDS

    families = {"MK1": "Front matter and directives", "MK2": "Text and encoding",
                "MK3": "Snippets", "MK4": "Static layout (no browser)",
                "MK5": "Rendered (Marp's engine in Chromium)", "MK6": "Course consistency",
                "MK7": "Images"}
    intros = {"MK4": [
        "Static layout rules estimate from the Markdown what the slide will look like. When "
        "`lint` renders (a browser is available and an MK5 rule is selected), an estimate is "
        "reported only on a slide where the render measured the problem (MK501 content cut "
        "off, MK502 code shrunk too far), so no estimate contradicts what the audience sees; "
        "without a render they are the fallback, and each says `(estimated without "
        "rendering)`.", ""],
              "MK5": [
        "Rendered rules measure the slides in Chromium (Debian's `chromium-headless-shell` when "
        "installed, else `chromium`, or `CHROME_PATH`), driven by Playwright. The browser loads "
        "Marp's engine (the marp-core copy Marp CLI converts with, bundled once by esbuild into "
        "`.marpkit-cache/`) and renders each deck the way Marp CLI's HTML conversion does, with "
        "the build's options, themes and snippet code; `tests/test_lint_parity.py` holds the "
        "slide markup and CSS byte-identical to Marp CLI's on every corpus deck. Remote "
        "requests fail at once (the check runs offline, like the build). `--no-render` skips "
        "these rules.", ""]}
    out = ["# marpkit lint rules", "",
           "Generated from `tools/marpkit/lint` (`.venv/bin/python -m marpkit.lint.formats > "
           "docs/rules.md`); `marpkit rule CODE` prints the same text.", "",
           "Select and ignore rules with `--select` / `--ignore` or in `pyproject.toml`:", "",
           "```toml", "[tool.marpkit.lint]",
           'select = ["ALL"]          # codes or prefixes: "MK2", "MK401"',
           'ignore = ["MK405"]', "", "[tool.marpkit.lint.per-file-ignores]",
           '"slides/00-*.md" = ["MK6"]', "", "[tool.marpkit.lint.thresholds]"]
    for key, value in DEFAULT_THRESHOLDS.items():
        if value is None:
            value = ("(off: the table's width is estimated instead)" if key == "max_table_columns"
                     else "(derived from the deck's size and theme)")
        out.append(f"# {key} = {value}")
    out += ["```", "",
            "A comment `<!-- marpkit-disable MK401 MK402 -->` silences those rules on its slide "
            "(no codes: every rule); `<!-- marpkit-disable-file MK315 -->` for the whole deck.",
            "MK301-MK307 are reserved for `marpkit check`.", ""]
    current = None
    for code in sorted(REGISTRY):
        r = REGISTRY[code]
        if code[:3] != current:
            current = code[:3]
            out += [f"## {current}xx: {families.get(current, '')}", "", *intros.get(current, [])]
        fix = "safe fix (`--fix`)" if r.fixable else "no automatic fix"
        out += [f"### {code} `{r.name}`", "",
                f"*{r.severity}*, {fix}{', needs rendering' if r.scope == 'rendered' else ''}. "
                f"{r.summary}", "", r.rationale.replace("\n", " "), "", "```markdown", r.example,
                "```", ""]
    return "\n".join(out)


if __name__ == "__main__":
    from marpkit.lint.registry import load_rules

    load_rules()
    print(rules_markdown(), end="")
