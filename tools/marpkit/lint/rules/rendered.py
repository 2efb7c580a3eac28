"""MK5xx: checks on the HTML Marp produced, measured in Chromium.

The rules here only turn measurements (lint/render.py) into findings; this
module imports nothing heavy, so `marpkit rule MK501` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from marpkit.lint.context import DeckContext
from marpkit.lint.registry import rule

_BLOCK_TAGS = {
    "paragraph_open": "p", "bullet_list_open": "ul", "ordered_list_open": "ol",
    "blockquote_open": "blockquote", "table_open": "table", "fence": "pre", "code_block": "pre",
    "hr": "hr", "marp_math_block": "p",
}


def top_blocks(slide) -> list[tuple[str, int]]:
    """(html tag, Markdown line) of a slide's top-level blocks, in render order."""
    out = []
    for token in slide.tokens:
        if token.level != 0 or not token.map or token.nesting == -1:
            continue
        if token.type == "heading_open":
            out.append((token.tag, token.map[0] + 1))
        elif token.type in _BLOCK_TAGS:
            out.append((_BLOCK_TAGS[token.type], token.map[0] + 1))
        elif token.type == "html_block":
            out.append(("html", token.map[0] + 1))
    return out


def element_line(ctx: DeckContext, slide_no: int, item: dict) -> int:
    """The Markdown line of a rendered element: match the n-th top-level element of
    the section to the n-th top-level block of the same kind; fall back to the
    slide's first heading."""
    slide = ctx.deck.slides[slide_no - 1]
    fallback = slide.headings[0].line if slide.headings else slide.start_line
    tag = item.get("top_tag") or ""
    tag = "pre" if tag == "marp-pre" else tag
    if tag in ("header", "footer"):
        return _directive_line(ctx, slide_no, tag) or fallback
    index = item.get("top", -1)
    if index is None or index < 0:
        return fallback
    blocks = top_blocks(slide)
    # Count how many earlier rendered siblings share the tag: elements
    # are matched by kind, which survives raw-HTML blocks in between.
    nth = item.get("nth_of_tag")
    same = [line for t, line in blocks if t == tag]
    if nth is None:
        nth = sum(1 for t, _ in blocks[:index] if t == tag) if index <= len(blocks) else 0
    if nth < len(same):
        return same[nth]
    return same[-1] if same else fallback


def _directive_line(ctx: DeckContext, slide_no: int, name: str) -> int | None:
    """Where the header/footer a slide shows was set: its spot directive, else the
    last local one on or before the slide."""
    uses = [u for u in ctx.deck.directive_uses
            if u.slide <= slide_no and u.key in (name, "_" + name)]
    spot = [u for u in uses if u.key.startswith("_") and u.slide == slide_no]
    chosen = spot or [u for u in uses if not u.key.startswith("_")]
    return chosen[-1].line if chosen else None


def _items(rendered, kinds):
    for slide in rendered.slides:
        for item in slide["items"]:
            if item["kind"] in kinds:
                yield slide, item


def _describe(item: dict) -> str:
    tag = "code block" if item["tag"] in ("marp-pre", "pre") else f"<{item['tag']}>"
    text = item.get("text") or ""
    return f'{tag} "{text[:40]}"' if text and tag != "code block" else tag


def _slide_ok(ctx: DeckContext, slide: dict) -> bool:
    return ctx.deck is not None and 1 <= slide["index"] <= len(ctx.deck.slides)


@rule("MK501", "content-cut-off", scope="rendered",
      summary="Rendered content runs past the slide or is clipped inside a scrolling element.",
      rationale="""A slide cannot scroll. Marp's default theme gives a wide table a
horizontal scrollbar, so its last columns silently disappear; a long slide
runs under the footer and off the bottom. Measured in Chromium on Marp's HTML.""",
      example="""## Comparison
| A | B | C | D | E | F |   (six wide columns: F is not visible)""")
def cut_off(ctx: DeckContext, rendered):
    for slide, item in _items(rendered, {"overflow", "clip"}):
        if not _slide_ok(ctx, slide):
            continue
        line = element_line(ctx, slide["index"], item)
        if item["kind"] == "overflow":
            parts = []
            if item["below"] > 0.5:
                parts.append(f"{item['below']:.0f}px below the content area")
            if item["right"] > 0.5:
                parts.append(f"{item['right']:.0f}px past the right edge")
            message = f"{_describe(item)} runs {' and '.join(parts)}"
            if item.get("bottom_edge", 0) > 0.5:
                message += f" ({item['bottom_edge']:.0f}px off the slide)"
        else:
            hidden = item.get("hidden_columns") or []
            if hidden:
                cols = ", ".join(f'"{h}"' for h in hidden)
                message = (f"table scrolls sideways: {len(hidden)} of {item['columns']} columns "
                           f"not visible ({cols})")
            else:
                amount = max(item["hidden_x"], item["hidden_y"])
                message = f"{_describe(item)} clips {amount:.0f}px of its content (it scrolls)"
        yield ctx.finding("MK501", line, 1, message, slide=slide["index"])


@rule("MK502", "code-shrunk", scope="rendered",
      summary="Marp auto-shrank a code block below a readable size.",
      rationale="""Marp scales a code block down until it fits; the result can be far
too small to read from the back of a room. Default limit: 16px effective on a
1280×720 slide (configurable as min_code_font_px).""",
      example="""## Step 2
```python
# 35 lines, some of them 80 characters wide
```""")
def code_shrunk(ctx: DeckContext, rendered):
    limit = ctx.settings.thresholds["min_code_font_px"]
    for slide, item in _items(rendered, {"shrink"}):
        if _slide_ok(ctx, slide):
            yield ctx.finding("MK502", element_line(ctx, slide["index"], item), 1,
                              f"code block shrunk to {item['px']:.1f}px "
                              f"({item['shrink'] * 100:.0f}% of its size); "
                              f"below the readable {limit:g}px", slide=slide["index"])


@rule("MK503", "low-contrast", scope="rendered",
      summary="Text contrast below WCAG AA (4.5:1, or 3:1 for large text).",
      rationale="""Projectors wash colours out; text below AA contrast is unreadable
for part of any audience. Colours are the rendered ones, including the
section background set by `backgroundColor`.""",
      example="""<!-- _backgroundColor: #0d1117 -->
# Dark slide, default dark text""")
def low_contrast(ctx: DeckContext, rendered):
    # Header and footer repeat on every slide: one finding, at the first slide
    # where they look the same, names the others. They are a warning: secondary
    # text whose colour usually comes from the theme (Marp's default theme
    # itself draws them at 3.35:1), not from the author.
    repeated: dict[tuple, list[tuple[int, dict]]] = {}
    for slide, item in _items(rendered, {"contrast"}):
        if not _slide_ok(ctx, slide):
            continue
        if item.get("top_tag") in ("header", "footer"):
            key = (item["top_tag"], item["fg"], item["bg"], item["large"])
            repeated.setdefault(key, []).append((slide["index"], item))
        else:
            yield _contrast_finding(ctx, slide["index"], item)
    for places in repeated.values():
        slide_no, item = places[0]
        also = _ranges([n for n, _ in places[1:]])
        yield _contrast_finding(ctx, slide_no, item, f" (same on slides {also})" if also else "",
                                severity="warning")


def _ranges(numbers: list[int]) -> str:
    parts, start = [], None
    for i, n in enumerate(numbers):
        if start is None:
            start = n
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            parts.append(str(start) if start == n else f"{start}-{n}")
            start = None
    return ", ".join(parts)


def _contrast_finding(ctx: DeckContext, slide_no: int, item: dict, extra: str = "",
                      severity: str | None = None):
    size = "large " if item["large"] else ""
    return ctx.finding("MK503", element_line(ctx, slide_no, item), 1,
                       f"{_describe(item)}: contrast {item['ratio']:.2f}:1 "
                       f"({item['fg']} on {item['bg']}); {size}text needs "
                       f"{item['need']:g}:1{extra}", slide=slide_no, severity=severity)


@rule("MK504", "image-not-loaded", scope="rendered",
      summary="A local image does not load.",
      rationale="""A missing or misnamed image file leaves an empty box (or no
background) on the slide; Marp does not complain.""",
      example="""![w:400](img/chart.png)   (img/chart.png does not exist)""")
def image_missing(ctx: DeckContext, rendered):
    for slide, item in _items(rendered, {"image", "bg-image"}):
        if not _slide_ok(ctx, slide):
            continue
        src = item["src"]
        if item["kind"] == "bg-image":
            url = urlparse(src)
            if url.scheme != "file" or Path(unquote(url.path)).exists():
                continue
            src = _source_of(ctx, slide["index"], unquote(url.path))
        yield ctx.finding("MK504", _image_line(ctx, slide["index"], src), 1,
                          f"image {src!r} does not load", slide=slide["index"])


def _source_of(ctx: DeckContext, slide_no: int, path: str) -> str:
    for image in ctx.deck.slides[slide_no - 1].images:
        if path.endswith(image.src.lstrip("./")):
            return image.src
    return path


def _image_line(ctx: DeckContext, slide_no: int, src: str) -> int:
    slide = ctx.deck.slides[slide_no - 1]
    for image in slide.images:
        if image.src == src or src.endswith(image.src.lstrip("./")):
            return image.line
    return slide.headings[0].line if slide.headings else slide.start_line
