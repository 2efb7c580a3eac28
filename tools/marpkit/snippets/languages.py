"""Language knowledge, from pygments: fence language <-> file extension <->
comment syntax. The only module that imports pygments.

Region markers are comments in the snippet's own language, found by lexing
the file: `# region` in Python or shell, `-- region` in SQL, `<!-- region -->`
in HTML, `/* region */` in CSS, `// region` in C-like languages. A marker-like
text inside a string literal is not a comment token, so it is not a marker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePath

from marpkit.text import line_at, line_of, line_starts, split_lines

# Bumped when marker finding changes, so cached markers (store.MarkerCache) are redone.
VERSION = "2"
# How a file runs under `marpkit check`, by pygments lexer name.
_KINDS = {"Python": "python", "Python 2.x": "python", "Bash": "shell",
          "Bash Session": "shell", "Shell Session": "shell"}
# A marker comment, once its delimiters are known: `region NAME` or `endregion [NAME]`.
_OPENERS = ("#", "//", "--", ";", "%", "/*", "<!--", "{-", "(*", "'", "REM", "rem")
_CLOSERS = ("*/", "-->", "-}", "*)")
_MARKER = re.compile(r"^(?P<kind>region|endregion)\b\s*(?P<name>\S*)", re.IGNORECASE)
# Files pygments does not lex (plain text): the markers of the languages
# marpkit knew before pygments, at the start of a line.
_PLAIN_MARKER = re.compile(r"^\s*(?:#|//)\s*(?P<kind>region|endregion)\b\s*(?P<name>\S*)")


@dataclass(frozen=True)
class Marker:
    line: int  # 1-based
    kind: str  # "region" | "endregion"
    name: str


@dataclass(frozen=True)
class _LexerInfo:
    name: str
    filenames: tuple[str, ...]


@lru_cache(maxsize=1)
def _alias_index() -> dict[str, _LexerInfo]:
    """Fence language (a pygments alias) -> lexer name and file patterns, from
    pygments' static table: knowing a language must not build its lexer
    (that compiles its whole grammar, 0.1 s for some)."""
    from pygments.lexers._mapping import LEXERS

    index: dict[str, _LexerInfo] = {}
    for _module, name, aliases, patterns, _mimes in LEXERS.values():
        for alias in aliases:
            index.setdefault(alias, _LexerInfo(name, tuple(patterns)))
    return index


@lru_cache(maxsize=256)
def _lexer_for_name(lang: str) -> _LexerInfo | None:
    found = _alias_index().get(lang)
    if found is not None:
        return found
    # Not built in: a lexer from an installed pygments plugin, if any.
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_by_name(lang)
    except ClassNotFound:
        return None
    return _LexerInfo(lexer.name, tuple(lexer.filenames))


@lru_cache(maxsize=1)
def _filename_index() -> tuple[dict[str, list[str]], dict[str, list[str]], list[tuple[str, str]]]:
    """pygments' static table of file names, indexed: `*.ext` patterns by
    extension, plain names by name, and the few other patterns as they are.
    Values are lexer names. (Asking pygments itself scans every installed plugin
    and instantiates each candidate lexer: 0.1-0.3 s a run.)"""
    from pygments.lexers._mapping import LEXERS

    by_ext: dict[str, list[str]] = {}
    by_name: dict[str, list[str]] = {}
    others: list[tuple[str, str]] = []
    for _module, name, _aliases, patterns, _mimes in LEXERS.values():
        for pattern in patterns:
            if pattern.startswith("*.") and not any(c in pattern[2:] for c in "*?["):
                by_ext.setdefault(pattern[2:], []).append(name)
            elif not any(c in pattern for c in "*?["):
                by_name.setdefault(pattern, []).append(name)
            else:
                others.append((pattern, name))
    return by_ext, by_name, others


def _static_matches(name: str) -> set[str]:
    """Names of the lexers whose file patterns match `name`, from the static table."""
    from fnmatch import fnmatch

    by_ext, by_name, others = _filename_index()
    suffix = name.rsplit(".", 1)[1] if "." in name else None
    found = set(by_name.get(name, [])) | set(by_ext.get(suffix, []) if suffix else [])
    return found | {lexer for pattern, lexer in others if fnmatch(name, pattern)}


@lru_cache(maxsize=256)
def _lexer_name_for_file(name: str) -> str | None:
    """The name of the lexer pygments would pick for a file name, without
    instantiating one when the table is unambiguous; None for none."""
    found = _static_matches(name)
    if len(found) == 1:
        return found.pop()
    lexer = _lexer_for_file(name) if found else None  # several: pygments decides by content
    return lexer.name if lexer is not None else None


@lru_cache(maxsize=256)
def _lexer_for_file(name: str):
    """The lexer for a file name (instantiating it compiles its grammar)."""
    from pygments.lexers import find_lexer_class, get_lexer_for_filename
    from pygments.util import ClassNotFound

    found = _static_matches(name)
    if len(found) == 1 and (cls := find_lexer_class(found.pop())) is not None:
        return cls(stripnl=False, ensurenl=False)
    try:  # none or several: pygments decides (by content, by plugins)
        return get_lexer_for_filename(name, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


def _ext_of(pattern: str) -> str | None:
    # pygments names files by glob: "*.py", "*.[ch]" (a character class is no extension).
    match = re.fullmatch(r"\*\.([A-Za-z0-9_+-]+)", pattern)
    return match.group(1) if match else None


def extension_for(lang: str) -> str:
    """The file extension for code fenced as `lang` (without the dot)."""
    lang = lang.strip().lower()
    if lang in ("", "text", "plain", "txt"):
        return "txt"
    lexer = _lexer_for_name(lang)
    if lexer is None:
        return re.sub(r"[^a-z0-9]+", "", lang) or "txt"
    if kind_of_lexer(lexer) == "shell":
        return "sh"  # a console session is still a shell script to run
    extensions = [ext for pattern in lexer.filenames if (ext := _ext_of(pattern))]
    # The extension spelled like the language wins (`r` -> .R, not .S).
    for ext in extensions:
        if ext.lower() == lang:
            return ext
    if extensions:
        return extensions[0]
    return re.sub(r"[^a-z0-9]+", "", lang) or "txt"


def kind_of_lexer(lexer) -> str | None:
    return _KINDS.get(lexer.name) if lexer is not None else None


def _kind_of_name(lexer_name: str | None) -> str | None:
    return _KINDS.get(lexer_name) if lexer_name is not None else None


def run_kind(path: PurePath, fence_langs: set[str] = frozenset()) -> str | None:
    """How `marpkit check` runs a file ("python" | "shell"), by its name, else by
    the languages of the fences that show it; None if it is not runnable."""
    kind = _kind_of_name(_lexer_name_for_file(path.name))
    if kind is None and path.suffix in ("", ".txt"):
        for lang in sorted(fence_langs):
            if kind := kind_of_lexer(_lexer_for_name(lang.lower())):
                break
    return kind


def is_runnable_lang(lang: str) -> bool:
    """Whether code fenced as `lang` is a language `marpkit check` can run."""
    return kind_of_lexer(_lexer_for_name(lang.strip().lower())) is not None if lang.strip() else False


def _marker_text(comment: str) -> re.Match | None:
    text = comment.strip()
    for opener in sorted(_OPENERS, key=len, reverse=True):
        if text.startswith(opener):
            text = text[len(opener):]
            break
    else:
        return None
    text = text.lstrip("#/-;% ").strip()
    for closer in _CLOSERS:
        if text.endswith(closer):
            text = text[: -len(closer)].strip()
    return _MARKER.match(text)


def markers(path: PurePath | None, text: str) -> list[Marker]:
    """Every region marker of a snippet file: a comment alone on its line."""
    lexer = _lexer_for_file(path.name) if path is not None else None
    if lexer is None or lexer.name == "Text only":
        found = []
        for number, line in enumerate(split_lines(text), start=1):
            if m := _PLAIN_MARKER.match(line):
                found.append(Marker(number, m.group("kind").lower(), m.group("name") or ""))
        return found
    from pygments.token import Comment

    starts = line_starts(text)
    found: list[Marker] = []
    for index, token, value in lexer.get_tokens_unprocessed(text):
        if token not in Comment or "region" not in value.lower():
            continue
        line_index = line_of(starts, index)
        line = line_at(text, starts, line_index)
        column = index - starts[line_index]
        # A marker owns its line: code before or after it makes it a remark.
        if line[:column].strip() or line[column + len(value.rstrip("\r\n")):].strip():
            continue
        if m := _marker_text(value):
            found.append(Marker(line_index + 1, m.group("kind").lower(), m.group("name") or ""))
    return found
