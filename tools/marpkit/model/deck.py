"""The deck model: a Marp deck parsed once, with source positions.

Every later stage (snippet resolution, sync, lint, check, build) reads this
model; none of them parses Markdown again. Lines and columns are 1-based;
lines break where marpkit.text says (CRLF, CR, LF), as Marp does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from marpkit.fsutil import DECK_LIMIT, read_input
from marpkit.model import directives as dirs
from marpkit.model.mdparse import markdown
from marpkit.text import first_break, line_at, line_of, line_starts, position, split_lines

_MAGIC_COMMENTS = (
    re.compile(r"^prettier-ignore(-(start|end))?$"),
    re.compile(r"^markdownlint-((disable|enable).*|capture|restore)$"),
    re.compile(r"^lint (disable|enable|ignore).*$"),
    re.compile(r"^marpkit-(disable|enable)\b.*$"),
)
_INFO_ATTR = re.compile(r"""(?P<key>[A-Za-z_][\w-]*)=(?P<value>"[^"]*"|'[^']*'|\S+)""")


class DeckError(Exception):
    """The file cannot be read as a deck at all (e.g. not UTF-8)."""

    def __init__(self, path: str, message: str, line: int = 1, column: int = 1):
        super().__init__(message)
        self.path, self.line, self.column = path, line, column


@dataclass
class DirectiveUse:
    key: str  # as written, including a `_` or `$` prefix
    value: object
    line: int
    column: int
    source: str  # "front-matter" | "comment"
    slide: int  # 1-based; front matter counts as slide 1


@dataclass
class Comment:
    content: str
    line: int
    end_line: int
    slide: int
    directives: dict | None  # parsed YAML mapping, if it is one
    is_directive: bool
    yaml_error: dirs.YamlError | None = None


@dataclass
class Heading:
    level: int
    text: str
    line: int


@dataclass
class Image:
    src: str
    alt: str
    line: int
    column: int  # of its `![`
    title: str = ""  # `![alt](src "title")`


@dataclass
class Table:
    line: int
    end_line: int
    columns: int
    rows: int  # body rows, header excluded


@dataclass
class CodeBlock:
    """A fenced code block. `line` is the opening fence; body lines follow."""

    line: int
    end_line: int  # closing fence line (or last line if unclosed)
    lang: str
    info: str
    attrs: dict[str, str]
    body: str
    body_line: int  # first body line
    body_end_line: int  # one past the last body line
    indent: str  # what precedes the fence marker on each line; None-like "" at top level
    fence: str
    closed: bool
    slide: int = 0

    @property
    def snippet(self) -> str | None:
        return self.attrs.get("snippet")

    @property
    def output(self) -> str | None:
        return self.attrs.get("output")

    @property
    def column(self) -> int:
        return len(self.indent) + 1


@dataclass
class Slide:
    index: int  # 1-based, as Marp numbers pages
    start_line: int
    end_line: int
    title: str | None = None
    headings: list[Heading] = field(default_factory=list)
    code_blocks: list[CodeBlock] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    directives: dict = field(default_factory=dict)  # effective, as Marpit applies them
    tokens: list = field(default_factory=list, repr=False)

    @property
    def notes(self) -> list[str]:
        return [c.content for c in self.comments if not c.is_directive and c.content]


@dataclass
class FrontMatter:
    text: str
    line: int  # opening fence line
    end_line: int  # closing fence line
    closed: bool
    data: dict | None
    error: dirs.YamlError | None


@dataclass
class Deck:
    path: Path
    display_path: str
    text: str
    line_starts: list[int]
    front_matter: FrontMatter | None
    global_directives: dict
    directive_uses: list[DirectiveUse]
    slides: list[Slide]
    newline: str

    @property
    def is_marp(self) -> bool:
        fm = self.front_matter
        return bool(fm and fm.data and str(fm.data.get("marp", "")).strip().lower() == "true")

    @property
    def code_blocks(self) -> list[CodeBlock]:
        return [block for slide in self.slides for block in slide.code_blocks]

    @property
    def images(self) -> list[Image]:
        return [image for slide in self.slides for image in slide.images]

    @property
    def heading_divider(self) -> list[int]:
        return dirs.heading_divider_levels(self.global_directives.get("headingDivider"))

    @property
    def line_count(self) -> int:
        return len(self.line_starts)

    def line_text(self, line: int) -> str:
        return line_at(self.text, self.line_starts, line - 1)

    def offset(self, line: int, column: int = 1) -> int:
        return self.line_starts[line - 1] + column - 1

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        index = line_of(self.line_starts, offset)
        return index + 1, offset - self.line_starts[index] + 1

    def slide_at(self, line: int) -> Slide:
        for slide in self.slides:
            if line <= slide.end_line:
                return slide
        return self.slides[-1]


BOM = "\ufeff"


def read_text(path: Path, display: str) -> str:
    data = read_input(path, DECK_LIMIT)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[:exc.start].decode("utf-8").removeprefix("\ufeff")
        line, column = position(before, len(before))
        raise DeckError(display, f"not UTF-8: byte 0x{data[exc.start]:02x} cannot be decoded",
                        line, column) from None
    return text.removeprefix(BOM)  # model/load.py's save_deck puts it back


def load_deck(path: Path | str, display: str | None = None, text: str | None = None) -> Deck:
    path = Path(path)
    display = display or str(path)
    if text is None:
        text = read_text(path, display)
    return parse_deck(text, path, display)


def inline_text(token, *, line_break: str = " ", images: bool = True) -> str:
    """What an inline token shows, its Markdown markup dropped: a heading's
    title (line breaks as spaces, an image by its alt text), or a table
    cell's lines (`line_break="\n"`, `images=False`)."""
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(line_break)
        elif child.type == "image" and images:
            parts.append(child.content)
    return "".join(parts)


def _parse_info(info: str) -> tuple[str, str, dict[str, str]]:
    info = info.strip()
    lang, _, rest = info.partition(" ")
    attrs = {}
    for match in _INFO_ATTR.finditer(rest):
        value = match.group("value")
        if value[:1] in "\"'" and value[-1:] == value[:1]:
            value = value[1:-1]
        attrs[match.group("key")] = value
    return lang, rest.strip(), attrs


def _split(tokens, levels: list[int]) -> list[list]:
    """Marpit's split: at top-level `hr`, and before divider headings."""
    if levels:
        tags = {f"h{n}" for n in levels}
        with_dividers, seen_visible = [], False
        for token in tokens:
            if token.type == "heading_open" and token.tag in tags and seen_visible:
                with_dividers.append(None)  # a hidden hr, as Marpit inserts
            with_dividers.append(token)
            if not token.hidden:
                seen_visible = True
        tokens = with_dividers
    slides: list[list] = [[]]
    for token in tokens:
        if token is None or (token.type == "hr" and token.level == 0):
            slides.append([token])
        else:
            slides[-1].append(token)
    return slides


def parse_deck(text: str, path: Path, display: str) -> Deck:
    offsets = line_starts(text)
    newline = first_break(text)
    tokens = markdown().parse(text)

    # Front matter and global directives are read over the whole document
    # first: `headingDivider` may be set anywhere and changes where slides split.
    front_matter = None
    global_directives: dict = {}
    if tokens and tokens[0].type == "front_matter":
        token = tokens[0]
        begin, end = token.map
        closed = end > begin + 1 and _is_fence_close(text, offsets, end - 1)
        data = error = None
        try:
            data = dirs.parse_yaml(token.content, front_matter=True)
        except dirs.YamlError as exc:
            error = exc
        front_matter = FrontMatter(token.content, begin + 1, end, closed, data, error)
        for key, value in (data or {}).items():
            if key in dirs.GLOBALS:
                global_directives[key] = value

    comments_by_token = {}
    for token in tokens:
        for tok in [token, *(token.children or [])]:
            if tok.type == "marpit_comment":
                parsed, error = None, None
                try:
                    parsed = dirs.parse_yaml(tok.content, front_matter=False)
                except dirs.YamlError as exc:
                    error = exc
                comments_by_token[id(tok)] = (parsed, error)
                for key, value in (parsed or {}).items():
                    if key in dirs.GLOBALS and not _is_magic(tok.content):
                        global_directives[key] = value

    levels = dirs.heading_divider_levels(global_directives.get("headingDivider"))
    groups = _split(tokens, levels)

    deck = Deck(path, display, text, offsets, front_matter, global_directives, [], [], newline)
    local: dict = {}
    if front_matter and front_matter.data:
        for key, value in front_matter.data.items():
            deck.directive_uses.append(DirectiveUse(key, value, front_matter.line + 1 + _key_line(
                front_matter.text, key), 1, "front-matter", 1))
            if key in dirs.LOCALS:
                local[key] = value
    spot_from_front: dict = {}
    if front_matter and front_matter.data:
        for key, value in front_matter.data.items():
            if key.startswith("_") and key[1:] in dirs.LOCALS:
                spot_from_front[key[1:]] = value

    total_lines = len(offsets)
    for index, group in enumerate(groups, start=1):
        divider = group[0] if group and (group[0] is None or group[0].type == "hr") else None
        body = [t for t in group if t is not None and t is not divider]
        slide = Slide(index=index, start_line=0, end_line=0, tokens=body)
        spot = dict(spot_from_front) if index == 1 else {}
        _fill_slide(deck, slide, body, comments_by_token, local, spot)
        slide.directives = {**local, **spot, **global_directives}
        deck.slides.append(slide)

    # Line ranges: a slide runs from just after its separator to just before
    # the next one; the first starts after the front matter.
    starts = []
    for index, group in enumerate(groups):
        if index == 0:
            starts.append(front_matter.end_line + 1 if front_matter else 1)
            continue
        head = group[0]
        if head is None:  # heading divider: the slide starts at the heading
            starts.append(group[1].map[0] + 1)
        else:
            starts.append(head.map[1] + 1)
    for i, slide in enumerate(deck.slides):
        slide.start_line = min(starts[i], max(total_lines, 1))
        if i + 1 < len(deck.slides):
            nxt = groups[i + 1][0]
            sep_line = (groups[i + 1][1].map[0] + 1) if nxt is None else nxt.map[0] + 1
            slide.end_line = max(slide.start_line, sep_line - 1 if nxt is not None else sep_line - 1)
        else:
            slide.end_line = max(total_lines, slide.start_line)
    return deck


def _is_fence_close(text: str, starts: list[int], line0: int) -> bool:
    return line0 < len(starts) and line_at(text, starts, line0).strip().startswith("---")


def _key_line(yaml_text: str, key: str) -> int:
    """0-based line of `key:` in a YAML block (best effort, for positions)."""
    pattern = re.compile(rf"^\s*['\"]?{re.escape(key)}['\"]?\s*:")
    for number, line in enumerate(split_lines(yaml_text)):
        if pattern.match(line):
            return number
    return 0


def _is_magic(content: str) -> bool:
    return any(p.match(content.strip()) for p in _MAGIC_COMMENTS)


def _fill_slide(deck: Deck, slide: Slide, tokens, comments_by_token, local: dict, spot: dict):
    pending_heading = None
    table = None
    for token in tokens:
        # marp-core's fitting header takes `<!--fit-->` in a heading as its own
        # (marpitCommentParsed): not a note, not a directive.
        fitting = token.type == "inline" and pending_heading is not None
        if token.type == "heading_open":
            pending_heading = (int(token.tag[1]), token.map[0] + 1)
        elif token.type == "inline" and pending_heading:
            level, line = pending_heading
            slide.headings.append(Heading(level, inline_text(token).strip(), line))
            pending_heading = None
        elif token.type == "fence":
            slide.code_blocks.append(_code_block(deck, token, slide.index))
        elif token.type == "table_open":
            table = Table(token.map[0] + 1, token.map[1], 0, 0)
        elif table is not None and token.type == "th_open":
            table.columns += 1
        elif table is not None and token.type == "tbody_open":
            table.rows = -1  # the next tr_open is the first body row
        elif table is not None and token.type == "tr_open" and table.rows != 0:
            table.rows = max(table.rows, 0) + 1
        elif token.type == "table_close" and table is not None:
            slide.tables.append(table)
            table = None
        if token.type == "marpit_comment":
            _add_comment(deck, slide, token, token.map, True, comments_by_token, local, spot)
        for child in token.children or []:
            if child.type == "marpit_comment":
                _add_comment(deck, slide, child, token.map, False, comments_by_token, local, spot,
                             fit=fitting and child.content.strip() == "fit")
            elif child.type == "image":
                src = str(child.attrGet("src") or "")
                line, column = _find_in_lines(deck, token.map, f"]({src}")
                bang = deck.line_text(line).rfind("![", 0, column)
                slide.images.append(Image(src, child.content, line, bang + 1 if bang >= 0 else column,
                                          str(child.attrGet("title") or "")))
    if slide.headings:
        slide.title = slide.headings[0].text


def _find_in_lines(deck: Deck, span, needle: str) -> tuple[int, int]:
    first, last = (span[0] + 1, span[1]) if span else (1, 1)
    for line in range(first, max(last, first) + 1):
        if line > deck.line_count:
            break
        col = deck.line_text(line).find(needle)
        if col >= 0:
            return line, col + 1
    return first, 1


def _add_comment(deck, slide, token, span, block, comments_by_token, local, spot,
                 fit: bool = False):
    parsed, error = comments_by_token.get(id(token), (None, None))
    if block:
        line, end_line = span[0] + 1, span[1]
    else:
        line, _ = _find_in_lines(deck, span, token.markup.split("\n", 1)[0])
        end_line = line + token.markup.count("\n")
    recognized = False
    magic = fit or _is_magic(token.content)
    if parsed and not magic:
        for key, value in parsed.items():
            known = dirs.is_known(key)
            recognized = recognized or known
            if key in dirs.LOCALS:
                local[key] = value
            elif key.startswith("_") and key[1:] in dirs.LOCALS:
                spot[key[1:]] = value
        if recognized:
            for key, value in parsed.items():
                deck.directive_uses.append(DirectiveUse(
                    key, value, line + _key_line(token.content, key), 1, "comment", slide.index))
    slide.comments.append(Comment(token.content, line, end_line, slide.index, parsed,
                                  recognized or magic, error))


def _code_block(deck: Deck, token, slide_index: int) -> CodeBlock:
    begin, end = token.map  # 0-based, end exclusive
    open_line = deck.line_text(begin + 1)
    marker_at = len(open_line) - len(open_line.lstrip(" >\t"))
    indent = open_line[:marker_at]
    last = min(end, deck.line_count)
    closed = False
    if last > begin + 1:
        tail = deck.line_text(last).strip(" >\t")
        closed = tail.startswith(token.markup) and set(tail) <= set(token.markup[0])
    body_end = last if closed else last + 1
    lang, info_rest, attrs = _parse_info(token.info)
    return CodeBlock(
        line=begin + 1,
        end_line=last,
        lang=lang,
        info=info_rest,
        attrs=attrs,
        body=token.content,
        body_line=begin + 2,
        body_end_line=body_end,
        indent=indent,
        fence=token.markup,
        closed=closed,
        slide=slide_index,
    )
