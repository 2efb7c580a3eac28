"""Marp's directive vocabulary and its YAML dialect.

Names come from Marpit (built-in globals and locals), marp-core (`size`,
`math`) and Marp CLI (metadata globals). Values are parsed the way Marpit does:
YAML failsafe schema (every scalar is a string), after "loose YAML" quoting so
that `backgroundColor: #fff` keeps its `#`.
"""

from __future__ import annotations

import re

import yaml

from marpkit.text import split_lines

MARPIT_GLOBALS = ("headingDivider", "style", "theme", "lang")
MARPIT_LOCALS = (
    "backgroundColor",
    "backgroundImage",
    "backgroundPosition",
    "backgroundRepeat",
    "backgroundSize",
    "class",
    "color",
    "footer",
    "header",
    "paginate",
)
CUSTOM_GLOBALS = ("size", "math", "author", "description", "image", "keywords", "title", "url")
CUSTOM_LOCALS = ("transition",)
# Read by editors and Marp CLI to opt a file in; harmless to Marpit itself.
META_GLOBALS = ("marp",)

GLOBALS = frozenset(MARPIT_GLOBALS + CUSTOM_GLOBALS + META_GLOBALS)
LOCALS = frozenset(MARPIT_LOCALS + CUSTOM_LOCALS)
ALL = GLOBALS | LOCALS

_YAML_SPECIAL = "[\"'{|>~&*"


def _loose_pattern(keys: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = []
    for key in keys:
        k = "_?" + re.escape(key)
        alternatives += [k, f'"{k}"', f"'{k}'"]
    return re.compile(rf"^((?:{'|'.join(alternatives)})\s*:)(.+)$")


_LOOSE_COMMENT = _loose_pattern(MARPIT_GLOBALS + MARPIT_LOCALS)
_LOOSE_FRONT_MATTER = _loose_pattern(MARPIT_GLOBALS + MARPIT_LOCALS + CUSTOM_GLOBALS + CUSTOM_LOCALS)


def _quote_loose(text: str, pattern: re.Pattern[str]) -> str:
    out = []
    for line in split_lines(text):
        match = pattern.match(line)
        if match:
            prop, value = match.groups()
            trimmed = value.strip()
            if trimmed and trimmed[0] not in _YAML_SPECIAL:
                spaces = value[: len(value) - len(value.lstrip())]
                line = prop + spaces + '"' + trimmed.replace('"', '\\"') + '"'
        out.append(line)
    return "\n".join(out).strip()


class YamlError(ValueError):
    def __init__(self, message: str, line: int | None, column: int | None):
        super().__init__(message)
        self.line = line  # 0-based within the YAML text
        self.column = column


def parse_yaml(text: str, *, front_matter: bool) -> dict | None:
    """Parse directive YAML as Marpit does; None where it is not a mapping.

    Raises YamlError (with position) on a syntax error, so a linter can say
    where; Marpit itself silently ignores such a block.
    """
    loose = _quote_loose(text, _LOOSE_FRONT_MATTER if front_matter else _LOOSE_COMMENT)
    try:
        data = yaml.load(loose, Loader=yaml.BaseLoader)  # noqa: S506 - BaseLoader builds no objects
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise YamlError(problem, mark.line if mark else None, mark.column if mark else None) from None
    except (ValueError, RecursionError) as exc:  # pathological input: treat as not-a-mapping
        raise YamlError(str(exc), None, None) from None
    return data if isinstance(data, dict) else None


def is_known(key: str) -> bool:
    return key in ALL or (key.startswith("_") and key[1:] in LOCALS)


def heading_divider_levels(value) -> list[int]:
    """Levels that start a slide, from a `headingDivider` value (Marpit's rules)."""
    def to_int(v):
        # JavaScript's parseInt: leading digits count, the rest is ignored.
        match = re.match(r"\s*([+-]?\d+)", str(v))
        return int(match.group(1)) if match else None

    if isinstance(value, list):
        wanted = {to_int(v) for v in value}
        return [n for n in range(1, 7) if n in wanted]
    number = to_int(value)
    if number is not None and 1 <= number <= 6:
        return list(range(1, number + 1))
    return []
