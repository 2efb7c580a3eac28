"""marpkit extract: inline code to snippet files."""

from __future__ import annotations

from pathlib import Path

import click

from marpkit.config import load_project
from marpkit.findings import Exit, print_findings
from marpkit.fsutil import atomic_write
from marpkit.model.load import Unreadable, open_deck, save_deck
from marpkit.snippets.extract import extract_deck


@click.command("extract")
@click.argument("deck", type=click.Path(exists=True, dir_okay=False))
@click.option("--to", "destination", type=click.Path(dir_okay=False),
              help="Write the migrated deck here instead of rewriting DECK in place.")
def extract_cmd(deck, destination):
    """Move DECK's inline code blocks into snippet files and reference them."""
    project = load_project()
    try:
        model = open_deck(project, Path(deck))
    except Unreadable as exc:
        print_findings([exc.finding])
        return Exit.FINDINGS
    text, files = extract_deck(model, project.snippets_dir)
    for path, content in files.items():
        if not path.exists():
            atomic_write(path, content)
            click.echo(f"created {project.rel(path)}")
    target = Path(destination) if destination else Path(deck)
    if text != model.text or destination:
        save_deck(target, text)
        click.echo(f"{project.rel(target)}: {len(files)} fence(s) now reference snippets")
    else:
        click.echo(f"{model.display_path}: nothing to extract")
    return Exit.OK
