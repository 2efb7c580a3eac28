"""MK5xx: checks on the HTML Marp produced, measured in Chromium.

The rules here only turn measurements (lint/render.py) into findings; this
module imports nothing heavy, so `marpkit rule MK501` stays fast.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlparse

from marpkit.findings import Finding
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


def block_line(ctx: DeckContext, slide_no: int, line: int) -> int:
    """The line of the top-level block that holds Markdown line `line`: what
    element_line gives for an element rendered from that block."""
    slide = ctx.deck.slides[slide_no - 1]
    starts = [start for _, start in top_blocks(slide) if start <= line]
    return starts[-1] if starts else line


def element_line(ctx: DeckContext, slide_no: int, item: dict) -> int:
    """The Markdown line of a rendered element: match the n-th top-level element of
    the section to the n-th top-level block of the same kind; fall back to the
    slide's first heading."""
    slide = ctx.deck.slides[slide_no - 1]
    fallback = slide.headings[0].line if slide.headings else slide.start_line
    if item.get("chrome") == "pagination":
        return fallback  # drawn by the theme's CSS: no Markdown block of its own
    tag = item.get("top_tag") or ""
    tag = "pre" if tag == "marp-pre" else tag
    if tag in ("header", "footer"):
        return _directive_line(ctx, slide_no, tag) or fallback
    blocks = top_blocks(slide)
    if item.get("block_tag") and tag not in {t for t, _ in blocks}:
        # Inside a raw-HTML wrapper: the Markdown block it holds, by kind and order.
        block = "pre" if item["block_tag"] == "marp-pre" else item["block_tag"]
        same = [line for t, line in blocks if t == block]
        if 0 <= item["nth_block"] < len(same):
            return same[item["nth_block"]]
    index = item.get("top", -1)
    if index is None or index < 0:
        return fallback
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
    if item.get("chrome") == "pagination":
        return f'page number "{item.get("text") or ""}"'
    tag = "code block" if item["tag"] in ("marp-pre", "pre") else f"<{item['tag']}>"
    text = item.get("text") or ""
    return f'{tag} "{text[:40]}"' if text and tag != "code block" else tag


def _slide_ok(ctx: DeckContext, slide: dict) -> bool:
    return ctx.deck is not None and 1 <= slide["index"] <= len(ctx.deck.slides)


_SIDES = {"right": "right edge", "below": "bottom edge", "left": "left edge",
          "above": "top edge"}


def _cut_groups(items: list[dict]) -> list[tuple[dict, int]]:
    """One slide's cut-off items, one per run of adjacent top-level elements
    cut the same way (the blocks of one overflowing list or paragraph run):
    its first item, with the largest amount, and how many follow it."""
    groups: list[list[dict]] = []
    for item in sorted(items, key=lambda i: i.get("top", -1)):
        how = (item["reason"], item.get("side"), item.get("under"))
        last = groups[-1][-1] if groups else None
        if (last is not None and item.get("top", -1) >= 0 and last.get("top", -1) >= 0
                and item["top"] - last["top"] == 1
                and (last["reason"], last.get("side"), last.get("under")) == how
                and how[0] in ("edge", "chrome")):
            groups[-1].append(item)
        else:
            groups.append([item])
    return [({**g[0], "amount": max(i["amount"] for i in g)}, len(g) - 1) for g in groups]


@rule("MK501")
def cut_off(ctx: DeckContext, rendered):
    for slide in rendered.slides:
        if not _slide_ok(ctx, slide):
            continue
        for item, more in _cut_groups([i for i in slide["items"] if i["kind"] == "cut"]):
            line = element_line(ctx, slide["index"], item)
            amount = item["amount"]
            what = _describe(item)
            if more:
                what += f" and the {more} blocks after it" if more > 1 else " and the block after it"
            run = "run" if more else "runs"
            if item["reason"] == "edge":
                message = f"{what} {run} {amount:.0f}px past the slide's {_SIDES[item['side']]}"
            elif item["reason"] == "chrome":
                message = f"{what} {run} under the {item['under']} ({amount:.0f}px)"
            elif item["reason"] == "overlap":
                message = f"{_describe(item['over'])} is drawn over the text of {_describe(item)}"
            elif item.get("hidden_columns"):
                cols = ", ".join(f'"{h}"' for h in item["hidden_columns"])
                message = (f"table scrolls sideways: {len(item['hidden_columns'])} of "
                           f"{item['columns']} columns not visible ({cols})")
            else:
                how = "scrolls" if item.get("scrolls") else "hides its overflow"
                message = (f"{_describe(item)}: {amount:.0f}px of its content is clipped "
                           f"(<{item['container']}> {how})")
            yield ctx.finding("MK501", line, 1, message, slide=slide["index"])


@rule("MK502")
def code_shrunk(ctx: DeckContext, rendered):
    limit = ctx.settings.thresholds["min_code_font_px"]
    for slide, item in _items(rendered, {"shrink"}):
        if _slide_ok(ctx, slide):
            yield ctx.finding("MK502", element_line(ctx, slide["index"], item), 1,
                              f"code block shrunk to {item['px']:.1f}px "
                              f"({item['shrink'] * 100:.0f}% of its size); "
                              f"below the readable {limit:g}px", slide=slide["index"])


@rule("MK503")
def low_contrast(ctx: DeckContext, rendered):
    # Header and footer colours come from the theme, not from the slide: one
    # warning per theme and colour pair, where the user can change it (the
    # theme's CSS file, or for a built-in theme the deck's header/footer
    # directive), with the CSS that fixes it. engine.py keeps one per run.
    chrome: dict[tuple, tuple[int, dict]] = {}
    repeated: dict[tuple, list[tuple[int, dict]]] = {}
    # The page number's usual colour is the theme's; a slide that colours its
    # own (a scoped style, a class) has a problem of its own.
    page_colours = Counter(s["page_fg"] for s in rendered.slides if s.get("page_fg"))
    theme_page = page_colours.most_common(1)[0][0] if page_colours else None
    for slide, item in _items(rendered, {"contrast"}):
        if not _slide_ok(ctx, slide):
            continue
        tag = item.get("chrome") or (item.get("top_tag") if item.get("top_tag") in ("header", "footer")
                                      else None)
        if tag == "pagination" and theme_page and item.get("declared") != theme_page:
            tag = None
        if tag:
            _, tags = chrome.setdefault((item["fg"], item["bg"]), ((slide["index"], item), []))
            if tag not in tags:
                tags.append(tag)
        else:
            # The same colours failing on many slides are one problem (a theme
            # or style colour): reported at the first, naming the others.
            key = (item["fg"], item["bg"], item["large"], item["tag"])
            repeated.setdefault(key, []).append((slide["index"], item))
    for places in repeated.values():
        slide_no, item = places[0]
        also = _ranges(sorted({n for n, _ in places[1:] if n != slide_no}))
        yield _contrast_finding(ctx, slide_no, item, f" (same on slides {also})" if also else "")
    for (slide_no, item), tags in chrome.values():
        yield _chrome_finding(ctx, sorted(tags, reverse=True), slide_no, item)


CHROME_MARK = " theme draws the "
_CHROME_KEY = re.compile(r"the (\S+) theme draws the .*? in (#\w+) on (#\w+)")


def theme_chrome_once(findings: list[Finding]) -> list[Finding]:
    """A theme file's header/footer colour is one problem, however many decks
    show it. A built-in theme's is each deck's own: its fix goes in that
    deck's `style` directive, so every deck that shows it is told."""
    seen, out = set(), []
    for f in findings:
        match = _CHROME_KEY.match(f.message) if f.code == "MK503" and f.slide is None else None
        if match:
            key = match.groups()
            if key in seen:
                continue
            seen.add(key)
        out.append(f)
    return out


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(v: float) -> float:
        v /= 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def readable_colour(fg: str, bg: str, need: float) -> str:
    """The colour nearest `fg` (towards black or white, whichever the background
    allows) that reaches `need`:1 on `bg`."""
    from marpkit.model.themes import hex_rgb

    # The measuring script reports #rrggbb; anything else is read as black on white.
    back = _luminance(hex_rgb(bg) or (255, 255, 255))
    target = (0.0, 0.0, 0.0) if back > 0.18 else (255.0, 255.0, 255.0)
    start = hex_rgb(fg) or (0, 0, 0)
    for step in range(0, 101):
        t = step / 100
        colour = tuple(round(a + (b - a) * t) for a, b in zip(start, target, strict=True))
        lum = _luminance(colour)
        if (max(lum, back) + 0.05) / (min(lum, back) + 0.05) >= need:
            return "#" + "".join(f"{v:02x}" for v in colour)
    return "#000000" if back > 0.18 else "#ffffff"


_CSS_RULE = re.compile(r"(?m)^[^{}/]*(?:\b(header|footer)\b|\bsection[^\s,{]*?(::?after))[^{}]*\{")
# What the measuring script calls the theme's chrome, the CSS that styles it,
# the directive that turns it on, and the rule in a theme's CSS that draws it.
_CHROME_SELECTOR = {"header": "section > header", "footer": "section > footer",
                    "pagination": "section::after"}
_CHROME_NAME = {"header": "header", "footer": "footer", "pagination": "page number"}
_CHROME_DIRECTIVE = {"header": "header", "footer": "footer", "pagination": "paginate"}
_CHROME_OF_RULE = {"header": "header", "footer": "footer", ":after": "pagination", "::after": "pagination"}


def _chrome_finding(ctx: DeckContext, tags: list[str], slide_no: int, item: dict) -> Finding:
    # An unknown theme renders as Marp's default (MK105 says so): the colour is the default's.
    name = ctx.theme_name if ctx.theme_name in ctx.themes else "default"
    theme = ctx.themes[name]
    fix = readable_colour(item["fg"], item["bg"], item["need"])
    override = f"{', '.join(_CHROME_SELECTOR[t] for t in tags)} {{ color: {fix} }}"
    head = (f"the {name}{CHROME_MARK}{' and '.join(_CHROME_NAME[t] for t in tags)} in {item['fg']} on "
            f"{item['bg']} ({item['ratio']:.2f}:1; text needs {item['need']:g}:1)")
    if theme is not None and theme.path is not None:
        text = theme.text
        rules = [m for m in _CSS_RULE.finditer(text) if _CHROME_OF_RULE[m.group(1) or m.group(2)] in tags]
        line = text.count("\n", 0, rules[0].start()) + 1 if rules else 1
        return Finding(ctx.project.rel(theme.path), line, 1, "MK503",
                       f"{head}: override it in the theme with `{override}`", "warning")
    line = min((n for t in tags if (n := _directive_line(ctx, slide_no, _CHROME_DIRECTIVE[t]))),
               default=1)
    return ctx.finding("MK503", line, 1,
                       f"{head}: override it with `{override}` in the deck's `style` "
                       f"directive or your theme", slide=slide_no, severity="warning")


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
    where = ", the worst part of the background image behind it" if item.get("over_image") else ""
    return ctx.finding("MK503", element_line(ctx, slide_no, item), 1,
                       f"{_describe(item)}: contrast {item['ratio']:.2f}:1 "
                       f"({item['fg']} on {item['bg']}{where}); {size}text needs "
                       f"{item['need']:g}:1{extra}", slide=slide_no, severity=severity)


@rule("MK504")
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
    """A background image as the deck names it; one the deck does not name
    (a theme's, a directive's) relative to the project, never absolute."""
    for image in ctx.deck.slides[slide_no - 1].images:
        if path.endswith(unquote(image.src).lstrip("./")):
            return image.src
    return ctx.project.rel(Path(path))


def _image_line(ctx: DeckContext, slide_no: int, src: str) -> int:
    slide = ctx.deck.slides[slide_no - 1]
    for image in slide.images:
        if image.src == src or src.endswith(image.src.lstrip("./")):
            return image.line
    return slide.headings[0].line if slide.headings else slide.start_line



@rule("MK505")
def math_error(ctx: DeckContext, rendered):
    for slide, item in _items(rendered, {"math-error"}):
        if not _slide_ok(ctx, slide):
            continue
        line = _source_line(ctx, slide["index"], item.get("source") or "") \
            or element_line(ctx, slide["index"], item)
        message = (item.get("message") or "").strip() or "the math engine reported an error"
        yield ctx.finding("MK505", line, 1, f"math does not render: {message[:160]}",
                          slide=slide["index"])


def _source_line(ctx: DeckContext, slide_no: int, source: str) -> int | None:
    """The line of the slide whose text holds the start of the formula."""
    probe = source.strip()[:30]
    if not probe:
        return None
    slide = ctx.deck.slides[slide_no - 1]
    for number in range(slide.start_line, slide.end_line + 1):
        if probe in ctx.deck.line_text(number):
            return number
    return None
