"""`[tool.marpkit.lint]` settings merged with command-line options."""

from __future__ import annotations

import difflib
import fnmatch
import re
from dataclasses import dataclass, field

from marpkit.findings import UsageError

_CODE = re.compile(r"^(ALL|MK\d{0,3})$")

# Static layout and render thresholds. Values of None are derived from the
# deck's size and theme (see lint/rules/layout.py); a number overrides that.
DEFAULT_THRESHOLDS: dict[str, float | None] = {
    "max_code_lines": None,
    "max_code_columns": None,
    "max_table_columns": None,
    "max_table_rows": None,
    "max_slide_lines": None,
    "min_code_font_px": 16.0,  # effective size on a 1280-wide slide
    "min_contrast": 4.5,  # WCAG AA, normal text
    "min_contrast_large": 3.0,  # WCAG AA, large text
    "overflow_tolerance_px": 1.0,
}


@dataclass
class LintSettings:
    select: list[str] = field(default_factory=lambda: ["ALL"])
    ignore: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    thresholds: dict[str, float | None] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))

    def enabled(self, code: str, path: str | None = None) -> bool:
        from marpkit.lint.registry import matches

        if not matches(code, self.select) or matches(code, self.ignore):
            return False
        if path is not None:
            for pattern, codes in self.per_file_ignores.items():
                if _path_matches(path, pattern) and matches(code, codes):
                    return False
        return True


def _path_matches(path: str, pattern: str) -> bool:
    path = path.replace("\\", "/")
    return fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path.rsplit("/", 1)[-1], pattern)


def _codes(value, where: str) -> list[str]:
    if isinstance(value, str):
        value = [v for v in re.split(r"[,\s]+", value) if v]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{where} must be a list of rule codes")
    out = [v.strip().upper() for v in value]
    for code in out:
        _known(code, where)
    return out


def _known(code: str, where: str) -> None:
    """A code or prefix that selects nothing is a typo: silently linting with
    fewer (or no) rules would say "All checks passed" about rules never run."""
    from marpkit.codes import all_codes

    known = all_codes()
    if _CODE.match(code) and (code == "ALL" or any(c.startswith(code) for c in known)):
        return
    close = difflib.get_close_matches(code, known, n=1)
    hint = f"did you mean {close[0]}?" if close else "e.g. MK401, or MK4 for all MK4xx"
    raise UsageError(f"{where}: {code!r} is not a rule code or prefix ({hint})")


def load_settings(section: dict, select: str | None = None, ignore: str | None = None,
                  extend_ignore: list[str] | None = None) -> LintSettings:
    """Settings from pyproject's [tool.marpkit.lint], then CLI flags (which win)."""
    settings = LintSettings()
    if "select" in section:
        settings.select = _codes(section["select"], "[tool.marpkit.lint] select")
    if "ignore" in section:
        settings.ignore = _codes(section["ignore"], "[tool.marpkit.lint] ignore")
    pfi = section.get("per-file-ignores", section.get("per_file_ignores", {}))
    if not isinstance(pfi, dict):
        raise UsageError("[tool.marpkit.lint] per-file-ignores must be a table")
    settings.per_file_ignores = {k: _codes(v, f"per-file-ignores {k!r}") for k, v in pfi.items()}
    thresholds = section.get("thresholds", {})
    if not isinstance(thresholds, dict):
        raise UsageError("[tool.marpkit.lint] thresholds must be a table")
    for key, value in thresholds.items():
        key = key.replace("-", "_")
        if key not in DEFAULT_THRESHOLDS:
            known = ", ".join(DEFAULT_THRESHOLDS)
            raise UsageError(f"[tool.marpkit.lint.thresholds] unknown key {key!r} (known: {known})")
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise UsageError(f"[tool.marpkit.lint.thresholds] {key} must be a positive number")
        settings.thresholds[key] = float(value)
    if select:
        settings.select = _codes(select, "--select")
    if ignore:
        settings.ignore = settings.ignore + _codes(ignore, "--ignore")
    return settings
