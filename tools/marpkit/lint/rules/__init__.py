"""Rule families, one module each: MK1 front matter, MK2 text, MK3 snippets,
MK4 static layout, MK5 rendered, MK6 course, MK7 images."""

from __future__ import annotations


def load_rules():
    """Import every rule module (static and rendered definitions; neither starts a browser).

    Returns the registry, now holding a function for every lint code.
    """
    from marpkit.lint.registry import REGISTRY
    from marpkit.lint.rules import (  # noqa: F401 - imported for registration
        course,
        frontmatter,
        layout,
        media,
        rendered,
        snippets,
        text,
    )
    return REGISTRY
