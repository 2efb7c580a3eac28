"""The generated parts of docs/: rules.md whole, and the code table of check.md.

`.venv/bin/python -m marpkit.outputs.docs` rewrites both; a test fails when
either differs from the registry.
"""

from __future__ import annotations

import re
from pathlib import Path

from marpkit.codes import all_codes
from marpkit.fsutil import atomic_write

CHECK_TABLE = re.compile(r"(<!-- codes: generated -->\n).*?(<!-- /codes -->)", re.DOTALL)


def codes_table(stages: tuple[str, ...]) -> str:
    rows = ["| code | name | severity | reported by | meaning |", "|---|---|---|---|---|"]
    for code, c in all_codes().items():
        if c.stage in stages:
            summary = c.summary.replace("|", "\\|")
            rows.append(f"| {code} | `{c.name}` | {c.severity} | `marpkit {c.stage}` | {summary} |")
    return "\n".join(rows)


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
        "off, MK502 code shrunk too far), and a too-wide code block or table (MK402, MK403) "
        "only when that block itself was shrunk below the floor or cut off at the side, so "
        "no estimate contradicts what the audience sees; "
        "without a render they are the fallback, and each says `(estimated without "
        "rendering)`.", ""],
              "MK5": [
        "Rendered rules measure the slides in Chromium (Debian's `chromium-headless-shell` when "
        "installed, else `chromium`, or `CHROME_PATH`), driven over its DevTools pipe. The "
        "browser loads Marp's engine (the marp-core copy Marp CLI converts with, bundled once by "
        "esbuild into `.marpkit-cache/`, and a second time without MathJax, which it loads "
        "first: a deck with MathJax math is rendered by the whole engine) and renders each deck "
        "the way Marp CLI's HTML conversion does, with the build's options, themes and snippet "
        "code, in one page, or for a course with much Markdown one page per CPU core; "
        "`tests/lint/test_lint_parity.py` holds the "
        "slide markup and CSS byte-identical to Marp CLI's on every corpus deck. Remote "
        "requests fail at once (the check runs offline, like the build). `--no-render` skips "
        "these rules.", ""]}
    out = ["# marpkit lint rules", "",
           "Generated from the code registry (`.venv/bin/python -m marpkit.outputs.docs`); "
           "`marpkit rule CODE` prints the same text, for these and for the codes of "
           "`marpkit check` and `marpkit build` (listed at the end).", "",
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
            ""]
    current = None
    registry = all_codes()
    for code, r in registry.items():
        if r.stage != "lint":
            continue
        if code[:3] != current:
            current = code[:3]
            out += [f"## {current}xx: {families.get(current, '')}", "", *intros.get(current, [])]
        fix = "safe fix (`--fix`)" if r.fixable else "no automatic fix"
        out += [f"### {code} `{r.name}`", "",
                f"*{r.severity}*, {fix}{', needs rendering' if r.scope == 'rendered' else ''}. "
                f"{r.summary}", "", r.rationale.replace("\n", " "), "", "```markdown", r.example,
                "```", ""]
    out += ["## Codes of `marpkit check` and `marpkit build`", "",
            "Not lint rules (`--select` does not apply), but explained by `marpkit rule CODE` too.",
            "", codes_table(("check", "build")), ""]
    for code, r in registry.items():
        if r.stage == "lint":
            continue
        out += [f"### {code} `{r.name}`", "", f"*{r.severity}*, reported by `marpkit {r.stage}`. "
                f"{r.summary}", "", r.rationale.replace("\n", " "), "", "```text", r.example,
                "```", ""]
    return "\n".join(out)


def check_doc(text: str) -> str:
    """docs/check.md with its code table regenerated."""
    table = codes_table(("check",))
    return CHECK_TABLE.sub(lambda m: m.group(1) + table + "\n" + m.group(2), text)


def main() -> None:
    docs = Path(__file__).resolve().parents[3] / "docs"
    atomic_write(docs / "rules.md", rules_markdown())
    check = docs / "check.md"
    atomic_write(check, check_doc(check.read_text(encoding="utf-8")))


if __name__ == "__main__":
    main()
