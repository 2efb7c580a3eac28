"""The one Jinja2 set-up for every page marpkit writes (course index, handouts,
the diff report, the check report): templates in marpkit/assets, HTML
autoescaped. jinja2 is imported on the first page, never by light commands."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

ASSETS = Path(__file__).resolve().parent / "assets"


@lru_cache(maxsize=2)
def _environment(trim: bool):
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(ASSETS), autoescape=True,
                              trim_blocks=trim, lstrip_blocks=trim)


def render_page(template: str, *, trim: bool = True, **context) -> str:
    """`template` (a file in assets/) rendered with `context`; `trim` drops the
    blank lines block tags leave."""
    return _environment(trim).get_template(template).render(**context)
