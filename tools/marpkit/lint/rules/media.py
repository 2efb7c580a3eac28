"""MK7xx: images, as the audience (and the build) will get them."""

from __future__ import annotations

from marpkit.lint.context import DeckContext
from marpkit.lint.registry import rule
from marpkit.model.assets import description


def _is_background(alt: str) -> bool:
    return any(word.lower() == "bg" for word in alt.split())


def _is_colour(src: str) -> bool:
    # `![](red)` / `![bg](#fff)`: Marp's colour shorthand, not a picture (MK108).
    return src.startswith("#") or ("/" not in src and "." not in src)


@rule("MK701")
def image_without_alt(ctx: DeckContext):
    for image in ctx.deck.images:
        if _is_background(image.alt) or _is_colour(image.src) or description(image.alt):
            continue
        yield ctx.finding("MK701", image.line, image.column,
                          f"image {image.src!r} has no alt text describing it")


@rule("MK702")
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


@rule("MK703")
def remote_resource(ctx: DeckContext):
    from marpkit.model.assets import remote_resources

    for url, line, column in remote_resources(ctx.deck):
        yield ctx.finding("MK703", line, column,
                          f"{url!r} is on the network: offline builds show nothing there and every "
                          "viewer of the HTML requests it; save the file beside the deck")
