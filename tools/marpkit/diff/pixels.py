"""Where two renders of a slide differ, with a tolerance for anti-aliasing."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageChops

# Channel difference (0-255) below which a pixel counts as the same: text
# edges anti-aliased a shade differently are not a change.
TOLERANCE = 40
# Where a page number sits: the bottom band of the slide, a small area.
PAGE_BAND = 0.15
PAGE_AREA = 0.03

Box = tuple[int, int, int, int]  # left, top, right, bottom (pixels, right/bottom exclusive)


def size_of(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        return image.size


def difference(before: Path, after: Path, renumbered: bool = False) -> Box | None:
    """The box holding every pixel that differs beyond the tolerance, or None.
    `renumbered`: the slide's page number changed, which is no change of the
    slide: a difference the size and place of a page number is left out."""
    with Image.open(before) as a, Image.open(after) as b:
        a, b = a.convert("RGB"), b.convert("RGB")
        if a.size != b.size:
            return (0, 0, *b.size)
        # The largest channel difference of each pixel, beyond the tolerance.
        channels = ImageChops.difference(a, b).split()
        worst = ImageChops.lighter(ImageChops.lighter(channels[0], channels[1]), channels[2])
        mask = worst.point(lambda v: 255 if v > TOLERANCE else 0)
    if renumbered:
        width, height = mask.size
        top = int(height * (1 - PAGE_BAND))
        band = mask.crop((0, top, width, height)).getbbox()
        if band is not None and (band[2] - band[0]) * (band[3] - band[1]) <= width * height * PAGE_AREA:
            mask.paste(0, (band[0], top + band[1], band[2], top + band[3]))
    return mask.getbbox()
