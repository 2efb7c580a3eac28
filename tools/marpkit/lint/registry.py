"""The rule registry: one small function per lint code, attached by a decorator.

Modelled on ruff: every rule has a stable code, a kebab-case name, a severity,
a one-line summary and a rationale with an example (shown by `marpkit rule`).
Those are declared in marpkit/codes.py with every other code; `@rule(CODE)`
attaches the function that finds them. `marpkit.lint.rules.load_rules()`
imports the rule modules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from marpkit.codes import CODES, Code
from marpkit.findings import Finding


@dataclass(frozen=True)
class Rule:
    info: Code
    func: Callable[..., Iterable[Finding]]

    @property
    def code(self) -> str:
        return self.info.code

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def severity(self) -> str:
        return self.info.severity

    @property
    def scope(self) -> str:
        return self.info.scope

    @property
    def fixable(self) -> bool:
        return self.info.fixable

    def describe(self) -> str:
        return self.info.describe()


REGISTRY: dict[str, Rule] = {}


def rule(code: str):
    info = CODES.get(code)
    if info is None or info.stage != "lint":
        raise ValueError(f"{code} is not a lint code declared in marpkit/codes.py")

    def register(func):
        if code in REGISTRY:
            raise ValueError(f"rule {code} registered twice")
        REGISTRY[code] = Rule(info, func)
        return func

    return register


def matches(code: str, patterns: Iterable[str]) -> bool:
    """`MK4` selects every MK4xx code, like ruff's prefix selectors; `ALL` selects everything."""
    return any(p == "ALL" or code.startswith(p) for p in patterns)
