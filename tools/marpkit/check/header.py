"""The per-snippet options header: a YAML block in the snippet's leading comment.

    # /// marpkit
    # timeout: 30
    # memory: 4 GiB
    # processes: 1024
    # disk: 1 GiB
    # exit: 0
    # skip: "needs a GPU"
    # run: true
    # requires: [torch]
    # expect:
    #   config: {learning_rate: 0.001}
    #   summary: {"train/loss": {approx: 0.1, tol: 0.05}}
    #   history: [train/loss]
    #   min_steps: 5
    #   media: [table, image]
    #   files: [model.pt]
    #   run_exit: 3
    # ///

The block must sit in the file's leading comment: only blank lines, a shebang,
other `#` comments or (for Python) a module docstring may precede it. Every
line between the markers starts with `#` and one optional space, which are
removed before the YAML is parsed. Unknown keys are errors, never ignored: a
typo must not turn a claim off silently. See docs/check.md for every key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from marpkit.check.limits import HEADER_KEYS, Limits, above_ceiling
from marpkit.config import parse_size
from marpkit.text import split_lines

__all__ = ["Expect", "Header", "HeaderError", "parse_header", "parse_size"]

OPEN = re.compile(r"^\s*#\s*///\s*marpkit\s*$")
CLOSE = re.compile(r"^\s*#\s*///\s*$")

MEDIA_KINDS = ("table", "image", "histogram", "html", "video", "audio", "plotly", "object3d",
               "molecule", "bokeh", "graph")


class HeaderError(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


@dataclass
class Expect:
    config: dict = field(default_factory=dict)  # key -> value (or matcher)
    config_keys: list[str] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    summary_keys: list[str] = field(default_factory=list)
    history: list[str] = field(default_factory=list)
    min_steps: int | None = None
    media: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    run_exit: int | None = None  # the exit code runs finish with (`run.finish(exit_code=N)`)


@dataclass
class Header:
    line: int = 0  # line of the opening marker, 0 when absent
    timeout: float | None = None
    # Limits (check/limits.py): None is the default; never above the project's ceiling.
    memory: int | None = None  # bytes, all its processes together
    processes: int | None = None  # processes and threads at once
    disk: int | None = None  # bytes the snippet may write in all
    exit: int = 0
    skip: str | None = None
    run: bool = False
    requires: list[str] = field(default_factory=list)
    expect: Expect = field(default_factory=Expect)
    raw: dict = field(default_factory=dict)


def _leading_lines(lines: list[str]) -> int:
    """How many lines form the leading comment area (where a header may appear)."""
    in_doc: str | None = None
    for index, line in enumerate(lines):
        stripped = line.strip()
        if in_doc:
            if in_doc in stripped:
                in_doc = None
            continue
        if not stripped or stripped.startswith("#"):
            continue
        for quote in ('"""', "'''"):
            prefixed = stripped[0] in "rRuU" and stripped[1:].startswith(quote)
            if stripped.startswith(quote) or prefixed:
                body = stripped.split(quote, 1)[1]
                if quote not in body:
                    in_doc = quote
                break
        else:
            return index
    return len(lines)


def parse_header(text: str, ceiling: Limits | None = None) -> Header:
    """The header of a snippet's text; `ceiling`, the project's, refuses a limit above it."""
    lines = split_lines(text)
    limit = _leading_lines(lines)
    start = next((i for i in range(limit) if OPEN.match(lines[i])), None)
    if start is None:
        return Header()
    end = next((i for i in range(start + 1, len(lines)) if CLOSE.match(lines[i])), None)
    if end is None:
        raise HeaderError(start + 1, "`# /// marpkit` header is never closed with `# ///`")
    body = []
    for number in range(start + 1, end):
        line = lines[number]
        if not line.lstrip().startswith("#"):
            raise HeaderError(number + 1, "header line does not start with `#`")
        content = line.lstrip()[1:]
        body.append(content[1:] if content.startswith(" ") else content)
    try:
        data = yaml.safe_load("\n".join(body)) if body else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = start + 2 + (mark.line if mark else 0)
        problem = getattr(exc, "problem", None) or split_lines(str(exc))[0]
        raise HeaderError(line, f"header is not valid YAML: {problem}") from None
    data = data or {}
    if not isinstance(data, dict):
        raise HeaderError(start + 2, "header must be a YAML mapping")
    return _validate(data, start + 1, body, ceiling)


def _key_line(first: int, body: list[str], key: str) -> int:
    pattern = re.compile(rf"^\s*['\"]?{re.escape(key)}['\"]?\s*:")
    for offset, line in enumerate(body, start=1):
        if pattern.match(line):
            return first + offset
    return first


def _validate(data: dict, first: int, body: list[str], ceiling: Limits | None) -> Header:
    header = Header(line=first, raw=data)

    def fail(key: str, message: str):
        raise HeaderError(_key_line(first, body, key), message)

    known = {"timeout", "memory", "processes", "disk", "exit", "skip", "run", "requires",
             "expect"}
    for key in data:
        if key not in known:
            fail(str(key), f"unknown header key {key!r} (known: {', '.join(sorted(known))})")
    if "timeout" in data:
        value = data["timeout"]
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            fail("timeout", "timeout must be a positive number of seconds")
        header.timeout = float(value)
    for key in ("memory", "disk"):
        if key in data:
            size = parse_size(data[key])
            if size is None:
                fail(key, f"{key} must be a size such as 512 MiB or 2 GiB")
            setattr(header, key, size)
    if "processes" in data:
        value = data["processes"]
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            fail("processes", "processes must be a positive whole number")
        header.processes = value
    for key in HEADER_KEYS:
        value = getattr(header, key)
        refused = above_ceiling(key, value, ceiling) if value and ceiling else None
        if refused:
            fail(key, refused)
    if "exit" in data:
        if isinstance(data["exit"], bool) or not isinstance(data["exit"], int):
            fail("exit", "exit must be an integer exit code")
        header.exit = data["exit"]
    if "skip" in data:
        if not isinstance(data["skip"], str) or not data["skip"].strip():
            fail("skip", "skip must be a non-empty reason string")
        header.skip = data["skip"].strip()
    if "run" in data:
        if not isinstance(data["run"], bool):
            fail("run", "run must be true or false")
        header.run = data["run"]
    if "requires" in data:
        value = data["requires"]
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            fail("requires", "requires must be a list of importable package names")
        header.requires = value
    if "expect" in data:
        header.expect = _expect(data["expect"], lambda m: fail("expect", m))
    return header


def _keys_or_map(value, name: str, fail) -> tuple[dict, list[str]]:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return {}, value
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        for key, expected in value.items():
            if isinstance(expected, dict):
                if "approx" not in expected or set(expected) - {"approx", "tol"}:
                    fail(f"expect.{name}.{key}: a matcher is {{approx: NUMBER, tol: NUMBER}}")
                for part in expected.values():
                    if isinstance(part, bool) or not isinstance(part, int | float):
                        fail(f"expect.{name}.{key}: approx and tol must be numbers")
        return value, []
    fail(f"expect.{name} must be a list of keys or a mapping of key: value")
    return {}, []


def _expect(value, fail) -> Expect:
    if not isinstance(value, dict):
        fail("expect must be a mapping")
    known = {"config", "summary", "history", "min_steps", "media", "files", "run_exit"}
    for key in value:
        if key not in known:
            fail(f"unknown expect key {key!r} (known: {', '.join(sorted(known))})")
    exp = Expect()
    if "config" in value:
        exp.config, exp.config_keys = _keys_or_map(value["config"], "config", fail)
    if "summary" in value:
        exp.summary, exp.summary_keys = _keys_or_map(value["summary"], "summary", fail)
    for name in ("history", "media", "files"):
        if name in value:
            items = value[name]
            if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
                fail(f"expect.{name} must be a list of strings")
            setattr(exp, name, items)
    for kind in exp.media:
        if kind not in MEDIA_KINDS:
            fail(f"expect.media: unknown kind {kind!r} (known: {', '.join(MEDIA_KINDS)})")
    if "min_steps" in value:
        steps = value["min_steps"]
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            fail("expect.min_steps must be a non-negative integer")
        exp.min_steps = steps
    if "run_exit" in value:
        code = value["run_exit"]
        if isinstance(code, bool) or not isinstance(code, int):
            fail("expect.run_exit must be an integer exit code")
        exp.run_exit = code
    return exp
