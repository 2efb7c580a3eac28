"""Findings: the one shape every stage reports problems in.

Lint rules, snippet resolution, checks and the build all produce `Finding`s so
that the text, JSON, SARIF and GitHub formats are written in one place.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import IntEnum


class Exit(IntEnum):
    OK = 0
    FINDINGS = 1
    USAGE = 2


class UsageError(Exception):
    """A mistake in how marpkit was called or configured (exit 2, no traceback)."""


# Characters that end a line for some reader of the text format (Python's
# splitlines, editors, terminals): shown escaped, as Python would write them.
_BREAKS = {c: repr(c)[1:-1] for c in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"}
_BREAK_TABLE = str.maketrans(_BREAKS)


def one_line(text: str) -> str:
    """`text` with its line breaks escaped (a file named `a\nb.md` is `a\\nb.md`)."""
    return text.translate(_BREAK_TABLE)


@dataclass(frozen=True)
class Fix:
    """A safe, mechanical edit: replace [start, end) character offsets of `path`."""

    description: str
    start: int
    end: int
    replacement: str


@dataclass
class Finding:
    path: str
    line: int
    column: int
    code: str
    message: str
    severity: str = "error"  # "error" | "warning" | "info"
    slide: int | None = None
    slide_title: str | None = None
    end_line: int | None = None
    fix: Fix | None = field(default=None, compare=False)

    def format(self) -> str:
        """One line, `path:line:col: CODE message (slide N "title")`: what editors'
        problem matchers parse, so no part of it may break the line."""
        text = f"{one_line(self.path)}:{self.line}:{self.column}: {self.code} {one_line(self.message)}"
        if self.fix is not None:
            text += " [fix available]"
        if self.slide is not None:
            text += f" (slide {self.slide}"
            if self.slide_title:
                text += f' "{one_line(self.slide_title)}"'
            text += ")"
        return text

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("slide_title")
        data["end_line"] = self.end_line or self.line
        data["fix"] = self.fix.description if self.fix else None
        return data


def exit_code(findings: list[Finding]) -> Exit:
    return Exit.FINDINGS if any(f.severity == "error" for f in findings) else Exit.OK


def print_findings(findings: list[Finding]) -> None:
    """The text format, one finding a line on stdout (what editors' matchers read)."""
    import click

    for finding in findings:
        click.echo(finding.format())
