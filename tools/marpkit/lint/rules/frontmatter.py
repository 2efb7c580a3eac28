"""MK1xx: front matter and directives."""

from __future__ import annotations

import difflib
import re

from marpkit.lint.context import DeckContext
from marpkit.lint.registry import rule
from marpkit.model import directives as dirs
from marpkit.text import split_lines

_SPOT_OR_DOLLAR = re.compile(r"^[_$]")
# A comment that starts like `key: value` (optionally `_key`/`$key`) was meant as directives.
_DIRECTIVE_LIKE = re.compile(r"^\s*(?P<key>[_$]?[A-Za-z][\w-]*)\s*:(\s|$)")
_INLINE_MATH = re.compile(r"(?<![\\$\w])\$(?=[^\s$])([^$\n]*?[^\s\\$])\$(?![\d$])")
# CSS named colours plus hex/functional notation: Marp's deprecated colour shorthand.
_CSS_COLOR_FUNC = re.compile(
    r"^(#[0-9a-fA-F]{3,8}|(rgb|rgba|hsl|hsla|hwb|lab|lch|oklab|oklch)\(.*\))$")
CSS_NAMED_COLORS = frozenset("""
aliceblue antiquewhite aqua aquamarine azure beige bisque black blanchedalmond blue blueviolet
brown burlywood cadetblue chartreuse chocolate coral cornflowerblue cornsilk crimson cyan darkblue
darkcyan darkgoldenrod darkgray darkgreen darkgrey darkkhaki darkmagenta darkolivegreen darkorange
darkorchid darkred darksalmon darkseagreen darkslateblue darkslategray darkslategrey darkturquoise
darkviolet deeppink deepskyblue dimgray dimgrey dodgerblue firebrick floralwhite forestgreen fuchsia
gainsboro ghostwhite gold goldenrod gray green greenyellow grey honeydew hotpink indianred indigo
ivory khaki lavender lavenderblush lawngreen lemonchiffon lightblue lightcoral lightcyan
lightgoldenrodyellow lightgray lightgreen lightgrey lightpink lightsalmon lightseagreen lightskyblue
lightslategray lightslategrey lightsteelblue lightyellow lime limegreen linen magenta maroon
mediumaquamarine mediumblue mediumorchid mediumpurple mediumseagreen mediumslateblue
mediumspringgreen mediumturquoise mediumvioletred midnightblue mintcream mistyrose moccasin
navajowhite navy oldlace olive olivedrab orange orangered orchid palegoldenrod palegreen
paleturquoise palevioletred papayawhip peachpuff peru pink plum powderblue purple rebeccapurple red
rosybrown royalblue saddlebrown salmon sandybrown seagreen seashell sienna silver skyblue slateblue
slategray slategrey snow springgreen steelblue tan teal thistle tomato turquoise violet wheat white
whitesmoke yellow yellowgreen transparent currentcolor
""".split())


def _known_names() -> list[str]:
    return sorted(dirs.ALL | {"_" + k for k in dirs.LOCALS})


def _suggest(key: str) -> str | None:
    names = _known_names()
    exact = {n.lower(): n for n in names}
    if key.lower() in exact:
        return exact[key.lower()]
    hits = difflib.get_close_matches(key, names, n=1, cutoff=0.75)
    return hits[0] if hits else None


def _meant_as_directive(content: str) -> bool:
    """A speaker note like `TODO: check: numbers` is not broken YAML, it is prose;
    only a comment that starts with a directive name (or a near miss) was meant as one."""
    match = _DIRECTIVE_LIKE.match(content)
    if not match:
        return False
    key = match.group("key").lstrip("$")
    return dirs.is_known(key) or _suggest(key) is not None


@rule("MK101")
def yaml_syntax(ctx: DeckContext):
    deck = ctx.deck
    fm = deck.front_matter
    if fm and fm.error is not None:
        line = fm.line + 1 + (fm.error.line or 0)
        column = (fm.error.column or 0) + 1
        yield ctx.finding("MK101", line, column, f"front matter is not valid YAML: {fm.error}",
                          slide=1)
    for slide in deck.slides:
        for comment in slide.comments:
            if comment.yaml_error is not None and _meant_as_directive(comment.content):
                err = comment.yaml_error
                yield ctx.finding("MK101", comment.line + (err.line or 0), 1,
                                  f"directive comment is not valid YAML: {err}", slide=slide.index)


@rule("MK102")
def marp_missing(ctx: DeckContext):
    if ctx.deck.front_matter and ctx.deck.front_matter.error is not None:
        return  # MK101 says why the front matter (and its `marp: true`) is lost
    if not ctx.deck.is_marp:
        fm = ctx.deck.front_matter
        if fm and fm.data is None and fm.text.strip():
            # A list (`- marp: true`) or a bare value parses as YAML, but Marp
            # reads directives only from a mapping and ignores all of it.
            yield ctx.finding("MK102", fm.line + 1, 1, "front matter must be a mapping of `key: value` "
                              "lines (not a list or a value): Marp ignores it, `marp: true` included",
                              slide=1)
            return
        where = "front matter has no `marp: true`" if fm else "no front matter with `marp: true`"
        yield ctx.finding("MK102", fm.line if fm else 1, 1, where, slide=1)


def _directive_keys(ctx: DeckContext):
    """(key, line, slide, in_directive_block) for every key in front matter and comments."""
    deck = ctx.deck
    fm = deck.front_matter
    seen_lines = set()
    for use in deck.directive_uses:
        seen_lines.add((use.line, use.key))
        yield use.key, use.line, use.slide, True, use.source
    if fm and fm.data:
        pass  # every front-matter key is already a DirectiveUse
    for slide in deck.slides:
        for comment in slide.comments:
            if comment.directives and not comment.is_directive:
                for key in comment.directives:
                    yield key, comment.line + _key_offset(comment.content, key), slide.index, \
                        False, "comment"


def _key_offset(text: str, key: str) -> int:
    for number, line in enumerate(split_lines(text)):
        if re.match(rf"^\s*['\"]?{re.escape(key)}['\"]?\s*:", line):
            return number
    return 0


@rule("MK103")
def unknown_directive(ctx: DeckContext):
    for key, line, slide, in_block, source in _directive_keys(ctx):
        if not isinstance(key, str) or dirs.is_known(key) or key.startswith("$"):
            continue
        if key.startswith("_") and key[1:] in dirs.GLOBALS:
            continue  # MK104 says more
        suggestion = _suggest(key)
        if suggestion is None and (source != "front-matter" and not in_block):
            continue  # a note that happens to look like `Speaker: Alice` is not a directive
        if suggestion is None and source == "front-matter":
            # Other tools keep their own metadata in front matter; only flag near misses.
            continue
        message = f"unknown directive `{key}`"
        if suggestion:
            message += f"; did you mean `{suggestion}`?"
        column = ctx.column_of(line, key)
        yield ctx.finding("MK103", line, column, message, slide=slide)


@rule("MK104")
def global_as_local(ctx: DeckContext):
    for key, line, slide, _in_block, _source in _directive_keys(ctx):
        if isinstance(key, str) and key.startswith("_") and key[1:] in dirs.GLOBALS:
            column = ctx.column_of(line, key)
            yield ctx.finding("MK104", line, column,
                              f"`{key}` has no effect: `{key[1:]}` is a global directive "
                              "and cannot be set for one slide", slide=slide)


def _global_use(ctx: DeckContext, name: str):
    uses = [u for u in ctx.deck.directive_uses if u.key == name]
    return uses[-1] if uses else None


@rule("MK105")
def unknown_theme(ctx: DeckContext):
    # Every place a theme is named, not only the one that wins: a typo that a
    # later directive overrides is still a typo where it is written.
    for use in ctx.deck.directive_uses:
        if use.key not in ("theme", "$theme") or not isinstance(use.value, str):
            continue
        name = use.value.strip()
        if not name or name in ctx.themes:
            continue
        known = ", ".join(sorted(ctx.themes))
        hint = difflib.get_close_matches(name, list(ctx.themes), n=1, cutoff=0.75)
        message = f"unknown theme `{name}` (known: {known})"
        if hint:
            message += f"; did you mean `{hint[0]}`?"
        yield ctx.finding("MK105", use.line, ctx.column_of(use.line, name), message,
                          slide=use.slide)


@rule("MK106")
def unknown_size(ctx: DeckContext):
    use = _global_use(ctx, "size")
    theme = ctx.themes.get(ctx.theme_name)
    if use is None or theme is None or not isinstance(use.value, str):
        return
    if use.value.strip() not in theme.sizes:
        known = ", ".join(theme.sizes) or "none"
        yield ctx.finding("MK106", use.line, 1,
                          f"theme `{theme.name}` has no size `{use.value.strip()}` "
                          f"(sizes: {known})", slide=use.slide)


@rule("MK107")
def dollar_directive(ctx: DeckContext):
    for key, line, slide, in_block, _source in _directive_keys(ctx):
        if isinstance(key, str) and key.startswith("$") and (in_block or dirs.is_known(key[1:])):
            column = ctx.column_of(line, key)
            yield ctx.finding("MK107", line, column,
                              f"`{key}` is deprecated Marp syntax and is ignored; "
                              f"write `{key[1:]}`", slide=slide)


def is_css_color(src: str) -> bool:
    src = src.strip()
    return src.lower() in CSS_NAMED_COLORS or bool(_CSS_COLOR_FUNC.match(src))


@rule("MK108")
def color_shorthand(ctx: DeckContext):
    for slide in ctx.deck.slides:
        for image in slide.images:
            if is_css_color(image.src):
                directive = "_backgroundColor" if "bg" in image.alt.split() else "_color"
                yield ctx.finding("MK108", image.line, image.column,
                                  f"colour shorthand image `{image.src}` is deprecated; "
                                  f"use `<!-- {directive}: {image.src} -->`", slide=slide.index)


@rule("MK109")
def global_twice(ctx: DeckContext):
    seen: dict[str, int] = {}
    for use in ctx.deck.directive_uses:
        if use.key in dirs.GLOBALS and use.key != "marp":
            if use.key in seen:
                yield ctx.finding("MK109", use.line, 1,
                                  f"global directive `{use.key}` is already set on line "
                                  f"{seen[use.key]}; only the last value applies",
                                  slide=use.slide)
            else:
                seen[use.key] = use.line


@rule("MK110")
def math_without_directive(ctx: DeckContext):
    if "math" in ctx.deck.global_directives:
        return
    for slide in ctx.deck.slides:
        for token in slide.tokens:
            if token.type == "marp_math_block" and token.map:
                yield ctx.finding("MK110", token.map[0] + 1, 1,
                                  "math block `$$` without a `math` directive", slide=slide.index)
                return
            if token.type == "inline" and token.map:
                for child in token.children or []:
                    if child.type == "text" and _INLINE_MATH.search(child.content):
                        line, col = _locate(ctx, token.map, child.content)
                        yield ctx.finding("MK110", line, col,
                                          "inline math `$...$` without a `math` directive",
                                          slide=slide.index)
                        return


def _locate(ctx: DeckContext, span, text: str) -> tuple[int, int]:
    match = _INLINE_MATH.search(text)
    needle = match.group(0) if match else text
    for line in range(span[0] + 1, min(span[1], ctx.deck.line_count) + 1):
        col = ctx.deck.line_text(line).find(needle)
        if col >= 0:
            return line, col + 1
    return span[0] + 1, 1


_COMMENTED_KEY = re.compile(r"^#+\s*[\w.-]+\s*:")  # `# size: 4:3` is a disabled directive


@rule("MK111")
def front_matter_swallows(ctx: DeckContext):
    fm = ctx.deck.front_matter
    if fm is None or fm.error is not None:
        return
    lines = split_lines(fm.text)
    for i, line in enumerate(lines):
        # `## Heading` is not how anyone writes a YAML comment; `# Title` is,
        # so a level-1 heading only counts when a heading-like line follows it.
        if _COMMENTED_KEY.match(line):
            continue
        deeper = re.match(r"^#{2,6}\s+\S", line)
        title = re.match(r"^#\s+\S", line) and i + 1 < len(lines) and \
            re.match(r"^#{1,6}\s+\S", lines[i + 1]) and not _COMMENTED_KEY.match(lines[i + 1])
        if deeper or title:
            yield ctx.finding("MK111", fm.line + 1 + i, 1,
                              f"front matter (closed on line {fm.end_line}) contains "
                              f"Markdown `{line.strip()[:40]}`: is its closing `---` missing?",
                              slide=1)
            return
