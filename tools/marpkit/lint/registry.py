"""The rule registry: one small function per rule, registered by a decorator.

Modelled on ruff: every rule has a stable code, a kebab-case name, a severity,
a one-line summary and a rationale with an example (shown by `marpkit rule`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from marpkit import codes
from marpkit.findings import Finding

# Which context a rule's function receives:
#   "deck"     -> DeckContext, once per deck (static)
#   "project"  -> ProjectContext, once per run (rules across decks or files)
#   "rendered" -> (DeckContext, RenderedDeck), once per deck after rendering
SCOPES = ("deck", "project", "rendered")


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: str
    summary: str
    rationale: str
    example: str
    scope: str
    fixable: bool
    func: Callable[..., Iterable[Finding]]

    def describe(self) -> str:
        return codes.CODES[self.code].describe()


REGISTRY: dict[str, Rule] = {}


def rule(code: str, name: str, *, summary: str, rationale: str, example: str,
         severity: str = "error", scope: str = "deck", fixable: bool = False):
    if scope not in SCOPES or severity not in ("error", "warning"):
        raise ValueError(f"{code}: bad scope or severity")

    def register(func):
        if code in REGISTRY:
            raise ValueError(f"rule {code} registered twice")
        REGISTRY[code] = Rule(code, name, severity, summary, rationale.strip(),
                              example.strip("\n"), scope, fixable, func)
        codes.register(codes.Code(code, name, severity, summary, rationale.strip(),
                                  example.strip("\n"), "lint", fixable))
        return func

    return register


def load_rules() -> dict[str, Rule]:
    """Import every rule module (static and rendered definitions; neither starts a browser)."""
    from marpkit.lint.rules import (  # noqa: F401 - imported for registration
        course,
        frontmatter,
        layout,
        media,
        rendered,
        snippets,
        text,
    )
    return REGISTRY


def matches(code: str, patterns: Iterable[str]) -> bool:
    """`MK4` selects every MK4xx code, like ruff's prefix selectors; `ALL` selects everything."""
    return any(p == "ALL" or code.startswith(p) for p in patterns)
