"""MK4xx: static layout estimates (no browser).

Numbers come from Marp's built-in themes as Chromium renders them (measured
with marp-cli 4.5.1): the default theme sets 29 px text, 78.75 px padding,
code at 0.85 em with a 1.15 line height inside 16 px of padding, and shrinks a
code block that does not fit the content box until it does. Custom themes are
estimated with the default theme's metrics. Every limit can be overridden in
[tool.marpkit.lint.thresholds].
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from marpkit.lint.context import DeckContext
from marpkit.lint.registry import rule
from marpkit.model.deck import inline_text
from marpkit.text import split_lines


@dataclass(frozen=True)
class Metrics:
    font: float  # section font-size, px
    pad_x: float
    pad_y: float
    code_em: float = 0.85
    code_line: float = 1.15  # code line-height, in code ems
    code_pad: float = 16.0  # pre padding on each side
    mono_em: float = 0.6  # advance of one monospace character
    text_em: float = 0.5  # average advance of proportional text
    line: float = 1.5  # text line-height, in ems
    cell_pad_x: float = 26.0  # table cell padding, both sides together

    @property
    def code_font(self) -> float:
        return self.font * self.code_em


THEMES = {
    "default": Metrics(29, 78.75, 78.75),
    "gaia": Metrics(35, 80, 70),
    "uncover": Metrics(40, 70, 70),
}


@dataclass(frozen=True)
class Box:
    width: float
    height: float
    metrics: Metrics

    @property
    def code_line_px(self) -> float:
        return self.metrics.code_font * self.metrics.code_line

    @property
    def heading_px(self) -> float:
        return self.metrics.font * 1.5 * 1.25  # an h2 with its margin


def box(ctx: DeckContext) -> Box:
    width, height = ctx.size
    metrics = THEMES.get(ctx.theme_name, THEMES["default"])
    return Box(width - 2 * metrics.pad_x, height - 2 * metrics.pad_y, metrics)


def threshold(ctx: DeckContext, key: str, derived: float) -> float:
    value = ctx.settings.thresholds.get(key)
    return float(value) if value is not None else derived


def max_code_lines(ctx: DeckContext) -> int:
    b = box(ctx)
    fit = (b.height - b.heading_px - 2 * b.metrics.code_pad) / b.code_line_px
    return int(threshold(ctx, "max_code_lines", max(math.floor(fit), 1)))


def max_code_columns(ctx: DeckContext) -> int:
    b = box(ctx)
    fit = (b.width - 2 * b.metrics.code_pad) / (b.metrics.code_font * b.metrics.mono_em)
    return int(threshold(ctx, "max_code_columns", max(math.floor(fit), 1)))


def shrunk_font(ctx: DeckContext, lines: int, columns: int) -> float:
    """The code font Marp's auto-scaling ends at, scaled to a 1280-wide slide."""
    b = box(ctx)
    m = b.metrics
    natural_w = columns * m.code_font * m.mono_em + 2 * m.code_pad
    natural_h = lines * b.code_line_px + 2 * m.code_pad
    scale = min(1.0, b.width / natural_w if natural_w else 1.0, b.height / natural_h)
    return m.code_font * scale * (1280 / ctx.size[0])


def _code_size(body: str) -> tuple[int, int]:
    lines = split_lines(body)
    return len(lines), max((len(line.expandtabs(4)) for line in lines), default=0)


def _size_name(ctx: DeckContext) -> str:
    w, h = ctx.size
    return f"{int(w)}×{int(h)}"


def _code_blocks_over(ctx: DeckContext, lines_limit: float, columns_limit: float):
    """(block, lines, columns, font Marp would shrink it to) of each code block
    taller or wider than the limits."""
    for block in ctx.deck.code_blocks:
        lines, columns = _code_size(block.body)
        if lines > lines_limit or columns > columns_limit:
            yield block, lines, columns, shrunk_font(ctx, lines, columns)


@rule("MK401")
def code_too_tall(ctx: DeckContext):
    limit = max_code_lines(ctx)
    for block, lines, _, font in _code_blocks_over(ctx, limit, math.inf):
        yield ctx.finding("MK401", block.line, block.column,
                          f"code block has {lines} lines; {limit} fit on a {_size_name(ctx)} "
                          f"slide (Marp would shrink it to about {font:.0f}px or cut it off)",
                          end_line=block.end_line, slide=block.slide)


@rule("MK402")
def code_too_wide(ctx: DeckContext):
    limit = max_code_columns(ctx)
    for block, lines, columns, font in _code_blocks_over(ctx, math.inf, limit):
        body = split_lines(block.body)
        widest = max(range(lines), key=lambda i: len(body[i].expandtabs(4)))
        readable = font >= ctx.settings.thresholds["min_code_font_px"]
        # Slightly too wide only costs a little size: worth knowing, not failing.
        yield ctx.finding("MK402", block.body_line + widest, 1,
                          f"code line is {columns} characters wide; {limit} fit on a "
                          f"{_size_name(ctx)} slide (Marp shrinks the block to about "
                          f"{font:.0f}px)", slide=block.slide,
                          severity=None if not readable else "warning")


def _table_cells(slide, table) -> list[list[str]]:
    """Cell texts of one table, rows in order (header first), from the slide's tokens."""
    rows: list[list[str]] = []
    inside = False
    for token in slide.tokens:
        if token.type == "table_open" and token.map and token.map[0] + 1 == table.line:
            inside = True
        elif token.type == "table_close" and inside:
            break
        elif inside and token.type == "tr_open":
            rows.append([])
        elif inside and token.type == "inline" and rows:
            rows[-1].append(inline_text(token, line_break="\n", images=False))
    return rows


@rule("MK403")
def table_too_wide(ctx: DeckContext):
    b = box(ctx)
    m = b.metrics
    max_columns = ctx.settings.thresholds.get("max_table_columns")
    for slide in ctx.deck.slides:
        for table in slide.tables:
            rows = _table_cells(slide, table)
            columns = max((len(r) for r in rows), default=table.columns)
            words = [0.0] * columns
            for r, row in enumerate(rows):
                em = m.text_em * (1.1 if r == 0 else 1.0)  # the header row is bold
                for i, cell in enumerate(row[:columns]):
                    longest = max((len(w) for w in cell.split()), default=0)
                    words[i] = max(words[i], longest * em * m.font)
            px = sum(w + m.cell_pad_x for w in words)
            if max_columns is not None and columns > max_columns:
                message = f"table has {columns} columns; at most {int(max_columns)} allowed"
            elif px > b.width:
                message = (f"table cannot be narrower than about {px:.0f}px ({columns} columns, "
                           f"longest words); {b.width:.0f}px fit, so the last columns are cut off")
            else:
                continue
            yield ctx.finding("MK403", table.line, 1, message, end_line=table.end_line,
                              slide=slide.index)


@rule("MK404")
def table_too_tall(ctx: DeckContext):
    b = box(ctx)
    row_px = b.metrics.font * b.metrics.line + 13  # line plus cell padding and border
    derived = max(math.floor((b.height - b.heading_px) / row_px) - 1, 1)
    limit = int(threshold(ctx, "max_table_rows", derived))
    for slide in ctx.deck.slides:
        for table in slide.tables:
            if table.rows > limit:
                yield ctx.finding("MK404", table.line, 1,
                                  f"table has {table.rows} rows; about {limit} fit on a "
                                  f"{_size_name(ctx)} slide", end_line=table.end_line,
                                  slide=slide.index)


def text_lines(ctx: DeckContext, slide) -> float:
    """Estimated visual lines of prose on a slide (headings count extra, text wraps)."""
    b = box(ctx)
    chars_per_line = max(int(b.width / (b.metrics.font * b.metrics.text_em)), 10)
    lines = 0.0
    heading = None
    for token in slide.tokens:
        if token.type == "heading_open":
            heading = int(token.tag[1])
        elif token.type == "inline":
            if heading is not None:
                lines += {1: 2.0, 2: 1.6, 3: 1.4}.get(heading, 1.2)
                heading = None
                continue
            for part in inline_text(token, line_break="\n", images=False).split("\n"):
                lines += max(1, math.ceil(len(part) / chars_per_line))
        elif token.type in ("paragraph_close", "bullet_list_close", "ordered_list_close") \
                and token.level == 0:
            lines += 0.5  # block margin
    return lines


@rule("MK405")
def slide_too_long(ctx: DeckContext):
    b = box(ctx)
    derived = math.floor(b.height / (b.metrics.font * b.metrics.line))
    limit = threshold(ctx, "max_slide_lines", derived)
    for slide in ctx.deck.slides:
        if slide.code_blocks or slide.tables:
            continue  # MK401-MK404 judge slides with code or tables
        lines = text_lines(ctx, slide)
        if round(lines) > limit:  # the estimate is rough: only whole extra lines count
            line = slide.headings[0].line if slide.headings else slide.start_line
            yield ctx.finding("MK405", line, 1,
                              f"slide has about {lines:.0f} lines of text; about {limit:.0f} "
                              f"fit on a {_size_name(ctx)} slide", slide=slide.index)
