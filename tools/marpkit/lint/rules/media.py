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
      summary="A local image outside the deck's folder: the build cannot publish it.",
      rationale="""`marpkit build` copies the images a deck uses from the deck's folder
into build/; a file elsewhere (`../figures/x.png`) works in the editor's preview
but is missing from the published course (the build says so as MK902).""",
      example="""![Loss curve](../figures/loss.png)   (move it beside the deck)""")
def image_not_published(ctx: DeckContext):
    # The build's own decision (model/assets.py): a file outside the deck's
    # folder cannot be published at its place in build/.
    from marpkit.model.assets import deck_assets

    where = ctx.project.rel(ctx.path.parent)
    for asset in deck_assets(ctx.deck, ctx.path.parent):
        if asset.published is None:
            yield ctx.finding("MK702", asset.line, asset.column,
                              f"{asset.src!r} lies outside {where}/: the build cannot publish "
                              "it; move it under that folder")


@rule("MK703", "remote-resource", severity="warning",
      summary="An image, background or stylesheet fetched from the network.",
      rationale="""marpkit builds and lints offline: a remote image, `url()` or `@import`
is never fetched, so the PDF and the rendered checks show nothing in its place,
while every viewer of the published HTML asks that host for it (a tracking
pixel, a leak of who is reading, and a slide that changes when the host does).
Code blocks are text and are not looked at.""",
      example="""![bg](https://example.org/photo.jpg)   ->   ![bg](img/photo.jpg)   (the file beside the deck)""")
def remote_resource(ctx: DeckContext):
    from marpkit.model.assets import remote_resources

    for url, line, column in remote_resources(ctx.deck):
        yield ctx.finding("MK703", line, column,
                          f"{url!r} is on the network: offline builds show nothing there and every "
                          "viewer of the HTML requests it; save the file beside the deck")
