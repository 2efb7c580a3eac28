"""The Markdown parser Marp itself uses, with the block rules Marp adds.

Marp CLI parses with markdown-it plus three block-level plugins that decide
where slides begin and end: YAML front matter, Marpit's HTML-comment blocks and
marp-core's ``$$`` math blocks. markdown-it-py is a faithful port of
markdown-it, so registering the same rules with the same semantics gives the
same token stream, and therefore the same slide boundaries, as Marp.
"""

from __future__ import annotations

import re
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline

_COMMENT_OPEN = re.compile(r"^<!--")
_COMMENT_CLOSE = re.compile(r"-->")
COMMENT_BODY = re.compile(r"<!--+\s*([\s\S]*?)\s*--+>")


def _front_matter(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    # Same contract as markdown-it-front-matter: only at the very first byte,
    # closed by a line of at least as many dashes, or auto-closed at the end.
    if start_line != 0 or not state.src.startswith("-"):
        return False
    start = state.bMarks[0] + state.tShift[0]
    maximum = state.eMarks[0]
    pos = start + 1
    start_content = None
    while pos <= maximum:
        if pos >= len(state.src) or state.src[pos] != "-":
            start_content = pos + 1
            break
        pos += 1
    marker_count = pos - start
    if marker_count < 3:
        return False
    if silent:
        return True

    next_line = start_line
    auto_closed = False
    while True:
        next_line += 1
        if next_line >= end_line:
            break
        if state.src[start:maximum] == "...":
            break
        start = state.bMarks[next_line] + state.tShift[next_line]
        maximum = state.eMarks[next_line]
        if start < maximum and state.sCount[next_line] < state.blkIndent:
            break
        if start >= len(state.src) or state.src[start] != "-":
            continue
        if state.sCount[next_line] - state.blkIndent >= 4:
            continue
        pos = start + 1
        while pos <= maximum and pos < len(state.src) and state.src[pos] == "-":
            pos += 1
        if pos - start < marker_count:
            continue
        pos = state.skipSpaces(pos)
        if pos < maximum:
            continue
        auto_closed = True
        break

    old_parent, old_line_max = state.parentType, state.lineMax
    state.parentType = "container"
    state.lineMax = next_line
    token = state.push("front_matter", "", 0)
    token.hidden = True
    token.block = True
    token.map = [start_line, next_line + (1 if auto_closed else 0)]
    token.content = state.src[start_content:start - 1] if start_content is not None else ""
    state.parentType, state.lineMax = old_parent, old_line_max
    state.line = next_line + (1 if auto_closed else 0)
    return True


def _comment_block(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    pos = state.bMarks[start_line] + state.tShift[start_line]
    if not state.src.startswith("<", pos):
        return False
    line = state.src[pos:state.eMarks[start_line]]
    if not _COMMENT_OPEN.search(line):
        return False
    if silent:
        return True
    next_line = start_line + 1
    if not _COMMENT_CLOSE.search(line):
        while next_line < end_line:
            if state.sCount[next_line] < state.blkIndent:
                break
            pos = state.bMarks[next_line] + state.tShift[next_line]
            line = state.src[pos:state.eMarks[next_line]]
            next_line += 1
            if _COMMENT_CLOSE.search(line):
                break
    state.line = next_line
    token = state.push("marpit_comment", "", 0)
    token.map = [start_line, next_line]
    token.markup = state.getLines(start_line, next_line, state.blkIndent, True)
    token.hidden = True
    match = COMMENT_BODY.search(token.markup)
    token.content = match.group(1).strip() if match else ""
    return True


def _comment_inline(state: StateInline, silent: bool) -> bool:
    if state.pos + 2 >= state.posMax or not state.src.startswith("<!", state.pos):
        return False
    match = COMMENT_BODY.match(state.src, state.pos)
    if match is None:
        return False
    if not silent:
        token = state.push("marpit_comment", "", 0)
        token.hidden = True
        token.markup = match.group(0)
        token.content = match.group(1).strip()
    state.pos = match.end()
    return True


def _math_block(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    # marp-core's rule: `$$` opens at any indent the block allows; the block
    # runs to the first line ending in `$$`, an outdented line, or the end.
    begin = state.bMarks[start_line] + state.tShift[start_line]
    end = state.eMarks[start_line]
    if begin + 2 > end or state.src[begin:begin + 2] != "$$":
        return False
    if silent:
        return True
    first = state.src[begin + 2:end]
    closed = first.strip()[-2:] == "$$"
    line = start_line
    while not closed:
        line += 1
        if line >= end_line:
            break
        begin = state.bMarks[line] + state.tShift[line]
        end = state.eMarks[line]
        if begin < end and state.tShift[line] < state.blkIndent:
            break
        if state.src[begin:end].strip()[-2:] == "$$":
            closed = True
    state.line = line + 1
    token = state.push("marp_math_block", "math", 0)
    token.block = True
    token.map = [start_line, state.line]
    token.markup = "$$"
    token.content = state.getLines(start_line + 1, line, state.tShift[start_line], True)
    return True


@lru_cache(maxsize=1)
def markdown() -> MarkdownIt:
    """The parser, configured like marp-core's (built once per process)."""
    md = MarkdownIt("commonmark", {"html": True, "breaks": True}).enable(["table", "strikethrough"])
    alt = ["paragraph", "reference", "blockquote", "list"]
    md.block.ruler.before("table", "front_matter", _front_matter, {"alt": alt})
    md.block.ruler.before("html_block", "marpit_comment", _comment_block)
    md.block.ruler.after("blockquote", "marp_math_block", _math_block, {"alt": alt})
    md.inline.ruler.before("html_inline", "marpit_inline_comment", _comment_inline)
    return md
