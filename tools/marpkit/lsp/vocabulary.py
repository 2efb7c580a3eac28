"""What each Marp directive means, for hover and completion (names from
marpkit.model.directives; the wording is marpkit's)."""

from __future__ import annotations

from marpkit.model import directives as dirs

MEANINGS = {
    "marp": "Turns Marp on for this file in editors and Marp CLI (`marp: true`).",
    "theme": "The theme every slide uses: a built-in (`default`, `gaia`, `uncover`) or one "
             "declared with `@theme` in the themes folder.",
    "style": "Extra CSS for this deck, applied on top of the theme.",
    "headingDivider": "Starts a new slide before every heading of these levels "
                      "(`2` means h1 and h2), as if a `---` were there.",
    "lang": "The `lang` attribute of the rendered HTML (hyphenation, screen readers).",
    "size": "Slide size preset defined by the theme with `@size` (`16:9`, `4:3`, ...).",
    "math": "Math typesetting library: `katex` or `mathjax`.",
    "title": "Title of the built HTML/PDF (metadata).",
    "author": "Author of the built HTML/PDF (metadata).",
    "description": "Description of the built HTML (metadata).",
    "image": "Open Graph image URL of the built HTML (metadata).",
    "keywords": "Comma-separated keywords of the built HTML/PDF (metadata).",
    "url": "Canonical URL of the built HTML (metadata).",
    "paginate": "Shows the page number on this slide and the following ones (`true`/`false`).",
    "header": "Text in the header of this slide and the following ones.",
    "footer": "Text in the footer of this slide and the following ones.",
    "class": "HTML class of this slide's `<section>` and the following ones; themes style "
             "variants by class (`lead`, `invert`, ...).",
    "backgroundColor": "Background colour of this slide and the following ones.",
    "backgroundImage": "Background image (CSS `background-image`) of this slide and the following ones.",
    "backgroundPosition": "CSS `background-position` of this slide and the following ones.",
    "backgroundRepeat": "CSS `background-repeat` of this slide and the following ones.",
    "backgroundSize": "CSS `background-size` of this slide and the following ones.",
    "color": "Text colour of this slide and the following ones.",
    "transition": "Slide transition in Marp CLI's bespoke HTML (`fade`, `slide`, ...).",
}


def meaning(key: str) -> str | None:
    name = key.lstrip("$")
    spot = name.startswith("_") and name[1:] in dirs.LOCALS
    base = name[1:] if spot else name
    text = MEANINGS.get(base)
    if text is None or not dirs.is_known(name):
        return None
    kind = "global (whole deck)" if base in dirs.GLOBALS else "local (this slide and the following)"
    if spot:
        text = text.replace(" and the following ones", "").replace("this slide and the following",
                                                                   "this slide")
        kind = "local, this slide only (`_` prefix)"
    return f"**{name}**: {kind} directive\n\n{text}"
