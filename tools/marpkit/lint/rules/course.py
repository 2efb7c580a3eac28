"""MK6xx: a course is a numbered series of decks (`05-topic.md` is Module 5).

These rules only look at decks inside the project's slides folder; a deck
linted from elsewhere has no course to be consistent with.
"""

from __future__ import annotations

import re

from marpkit.fsutil import real
from marpkit.lint.context import DeckContext, ProjectContext
from marpkit.lint.registry import rule
from marpkit.model import course

_MODULE_OF = re.compile(r"\bModule\s+(\d+)\s+of\s+(\d+)\b", re.IGNORECASE)
_NEXT_INLINE = re.compile(r"\bNext\b\W{0,20}(?:\w+\W+){0,3}?Module\s+(\d+)", re.IGNORECASE)
_MODULE = re.compile(r"\bModule\s+(\d+)\b", re.IGNORECASE)


def course_modules(ctx: DeckContext) -> tuple[set[int], set[int]]:
    """(modules with a deck in slides/, modules declared planned in config)."""
    return set(course.present_modules(ctx.project)), course.planned_modules(ctx.project)


@rule("MK601")
def module_numbering(ctx: DeckContext):
    if not ctx.in_slides_dir:
        return
    own = course.module_number(ctx.path)
    present, planned = course_modules(ctx)
    total = len(present | planned)
    for number in range(1, ctx.deck.line_count + 1):
        for match in _MODULE_OF.finditer(ctx.deck.line_text(number)):
            n, m = int(match.group(1)), int(match.group(2))
            problems = []
            if own is not None and n != own:
                problems.append(f"the file is module {own}")
            if m != total:
                problems.append(f"the course has {total} module(s) "
                                f"({len(present)} deck(s), {len(planned - present)} planned)")
            if problems:
                yield ctx.finding("MK601", number, match.start() + 1,
                                  f'"{match.group(0)}" but {" and ".join(problems)}')


def _next_references(ctx: DeckContext):
    """(line, column, module) for "Next: Module N" and for modules named under a Next heading."""
    deck = ctx.deck
    under_next = set()
    for slide in deck.slides:
        for i, heading in enumerate(slide.headings):
            if re.search(r"\bnext\b", heading.text, re.IGNORECASE):
                following = slide.headings[i + 1:]
                end = following[0].line if following else slide.end_line + 1
                under_next.update(range(heading.line + 1, end))
    for number in range(1, deck.line_count + 1):
        line = deck.line_text(number)
        match = _NEXT_INLINE.search(line)
        if match is None and number in under_next:
            match = _MODULE.search(line)
        if match:
            yield number, match.start(1) + 1, int(match.group(1))


@rule("MK602")
def next_module(ctx: DeckContext):
    if not ctx.in_slides_dir:
        return
    present, planned = course_modules(ctx)
    for line, column, module in _next_references(ctx):
        if module not in present and module not in planned:
            yield ctx.finding("MK602", line, column,
                              f"refers to Module {module}, which has no deck in "
                              f"{ctx.project.rel(ctx.project.slides_dir)}/ and is not planned")


def _consistency(pctx: ProjectContext, key: str, code: str):
    wanted = pctx.project.section("course").get(key)
    if wanted is None:
        return
    for ctx in pctx.decks:
        if ctx.deck is None or not ctx.in_slides_dir:
            continue
        if key == "footer":  # a template: each module's own footer, as `marpkit new` writes it
            number = course.module_number(ctx.path)
            wanted = course.footer(pctx.project, number, course.module_title(
                pctx.project, number, course.deck_title(ctx.deck))) or ""
        value = ctx.deck.global_directives.get(key) if key == "theme" else None
        if key == "footer":
            uses = [u for u in ctx.deck.directive_uses if u.key == "footer"]
            value = uses[0].value if uses else None
        else:
            uses = [u for u in ctx.deck.directive_uses if u.key == "theme"]
        # A deck without `theme` gets Marp's default theme: that is its theme.
        implied = "default" if key == "theme" else ""
        if (value or implied) != wanted:
            line = uses[0].line if uses else 1
            have = f"`{value}`" if value else ("not set (so `default`)" if implied else "not set")
            yield ctx.finding(code, line, 1,
                              f"{key} is {have}; the course uses `{wanted}`", slide=1)


@rule("MK603")
def footer_consistent(pctx: ProjectContext):
    yield from _consistency(pctx, "footer", "MK603")


@rule("MK604")
def theme_consistent(pctx: ProjectContext):
    yield from _consistency(pctx, "theme", "MK604")


@rule("MK605")
def deck_named_index(ctx: DeckContext):
    if real(ctx.path).parent != ctx.project.slides_dir:
        return  # the build (and its index) only takes the slides folder's own decks
    if message := course.index_collision(ctx.project, ctx.path):
        yield ctx.finding("MK605", 1, 1, message, slide=1)
