"""marpkit build: expand references, convert with the pinned Marp CLI."""

from __future__ import annotations

import click

from marpkit.build.pipeline import build
from marpkit.config import load_project
from marpkit.findings import UsageError
from marpkit.marp.converter import CHOOSABLE


@click.command("build")
@click.argument("decks", nargs=-1, type=click.Path())
@click.option("--format", "formats", multiple=True,
              type=click.Choice(CHOOSABLE),
              help="Output formats (repeatable). Default: [tool.marpkit.build] formats, "
                   "else html and pdf.")
@click.option("--force", is_flag=True, help="Rebuild everything, even what is up to date.")
def build_cmd(decks, formats, force):
    """Expand snippet references and build DECKS (default: all of slides/) with Marp CLI."""
    project = load_project()
    if not project.slides_dir.is_dir() and not decks:
        raise UsageError("no slides/ folder here: run marpkit from a course project")
    return build(project, decks, list(formats) or None, force)
