"""MK7xx: images, as the audience (and the build) will get them."""

from __future__ import annotations

import re

from marpkit.lint.context import DeckContext
from marpkit.lint.registry import rule

# Marp's image keywords live in the alt text; what is left is the description.
_KEYWORD = re.compile(
    r"^(?:bg|left|right|contain|cover|fit|auto|vertical|horizontal|"
    r"(?:left|right):\d+(?:\.\d+)?%|\d+(?:\.\d+)?%|"
    r"(?:w|h|width|height):\S+|"
    r"(?:blur|brightness|contrast|drop-shadow|grayscale|hue-rotate|invert|opacity|saturate|sepia)"
    r"(?::\S+)?)$", re.IGNORECASE)


def description(alt: str) -> str:
    """The alt text with Marp's keywords (`w:200`, `bg`, `left`…) taken out."""
    return " ".join(word for word in alt.split() if not _KEYWORD.match(word))


def _is_background(alt: str) -> bool:
    return any(word.lower() == "bg" for word in alt.split())


def _is_colour(src: str) -> bool:
    # `![](red)` / `![bg](#fff)`: Marp's colour shorthand, not a picture (MK108).
    return src.startswith("#") or ("/" not in src and "." not in src)


@rule("MK701", "image-without-alt", severity="warning",
      summary="An image with no description (alt text) besides Marp's keywords.",
      rationale="""Screen readers, the exported PDF's accessibility tree and anyone whose
image fails to load get the alt text, nothing else. Marp's sizing and filter
keywords (`w:200`, `left`, `sepia`) live in the same brackets but describe
nothing. Background images (`bg`) are decoration and need none.""",
      example="""![w:400](img/loss-curve.png)   ->   ![w:400 Loss falls from 2.3 to 0.4](img/loss-curve.png)""")
def image_without_alt(ctx: DeckContext):
    for image in ctx.deck.images:
        if _is_background(image.alt) or _is_colour(image.src) or description(image.alt):
            continue
        yield ctx.finding("MK701", image.line, image.column,
                          f"image {image.src!r} has no alt text describing it")


@rule("MK702", "image-not-published",
      summary="A local image outside the slides folder: the build cannot publish it.",
      rationale="""`marpkit build` copies the images a deck uses from the slides folder
into build/; a file elsewhere (`../figures/x.png`) works in the editor's preview
but is missing from the published course, and the build stops with MK902.""",
      example="""![Loss curve](../figures/loss.png)   (move it under slides/)""")
def image_not_published(ctx: DeckContext):
    # The build's own list of a deck's local files (images and url()s in
    # directives), so lint and build agree on what gets published.
    from marpkit.build import local_assets  # noqa: PLC0415 - the one definition

    slides_dir = ctx.project.slides_dir.resolve()
    source_dir = ctx.path.resolve().parent
    seen = set()
    for src, line, column in local_assets(ctx.deck):
        rel = src.split("#", 1)[0].split("?", 1)[0]
        if rel in seen:
            continue
        seen.add(rel)
        target = (source_dir / rel).resolve()
        try:
            target.relative_to(slides_dir)
        except ValueError:
            yield ctx.finding("MK702", line, column,
                              f"{src!r} lies outside {ctx.project.rel(ctx.project.slides_dir)}/: "
                              "the build cannot publish it; move it under the slides folder")
