"""Where text breaks into lines: the one decision, for decks, snippets, the
editor protocol and process output alike. No domain imports.

A line ends at CRLF, a lone CR or LF, and nowhere else: that is how Marp
(markdown-it), editors, the language server protocol and Python's own
tokenizer count lines. `str.splitlines()` also breaks at form feed, vertical
tab, \\x1c-\\x1e, NEL and U+2028/2029, so a snippet holding one of them would
show, and number, different lines than the file has; it is not used anywhere
else in marpkit (a test holds that).
"""

from __future__ import annotations

import re
from bisect import bisect_right

LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str, keepends: bool = False) -> list[str]:
    """`text`'s lines, as `str.splitlines` gives them (no empty line after a
    final break, none at all for ""), breaking only at CRLF, CR and LF."""
    if not text:
        return []
    starts = line_starts(text)
    ends = [*starts[1:], len(text)]
    return [text[a:b] if keepends else strip_break(text[a:b]) for a, b in zip(starts, ends, strict=True)]


def strip_break(line: str) -> str:
    """A line without the break that ends it, if any."""
    if line.endswith("\r\n"):
        return line[:-2]
    return line[:-1] if line.endswith(("\r", "\n")) else line


def line_starts(text: str) -> list[int]:
    """Offset of each line's first character (always at least [0]); a final
    break does not open another line."""
    starts = [0]
    starts += [m.end() for m in LINE_BREAK.finditer(text)]
    if len(starts) > 1 and starts[-1] == len(text):
        starts.pop()
    return starts


def line_at(text: str, starts: list[int], index: int) -> str:
    """Line `index` (0-based) of `text` without its break, by its `line_starts`."""
    end = starts[index + 1] if index + 1 < len(starts) else len(text)
    return strip_break(text[starts[index]:end])


def line_of(starts: list[int], offset: int) -> int:
    """The 0-based line holding character `offset` (0 for offsets before the text)."""
    return max(bisect_right(starts, offset) - 1, 0)


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of character `offset` of `text`,
    an offset at the very end included."""
    starts = line_starts(text[:offset] + "?")  # "?" holds the offset's place on its line
    return len(starts), offset - starts[-1] + 1


def first_break(text: str, default: str = "\n") -> str:
    """The line break `text` uses first (what an edit should write), else `default`."""
    match = LINE_BREAK.search(text)
    return match.group(0) if match else default
