"""marpkit extract: inline code to snippet files."""

from __future__ import annotations

from pathlib import Path

import click

from marpkit.commands import EachDeck
from marpkit.config import load_project
from marpkit.findings import Exit, UsageError
from marpkit.fsutil import atomic_write
from marpkit.model.load import deck_paths, save_deck
from marpkit.snippets.extract import extract_deck


@click.command("extract")
@click.argument("decks", nargs=-1, type=click.Path())
@click.option("--to", "destination", type=click.Path(dir_okay=False),
              help="Write the migrated deck here instead of rewriting DECK in place (one deck only).")
def extract_cmd(decks, destination):
    """Move the inline code blocks of DECKS (default: every deck in the slides folder)
    into snippet files and reference them."""
    project = load_project()
    paths = deck_paths(project, decks)
    if destination and len(paths) != 1:
        raise UsageError(f"--to {destination}: names one deck's new file, but "
                         f"{len(paths)} decks were given")
    readable = EachDeck(project, paths)
    for path, model in readable:
        text, files = extract_deck(model, project.snippets_dir)
        for snippet, content in files.items():
            if not snippet.exists():
                atomic_write(snippet, content)
                click.echo(f"created {project.rel(snippet)}")
        target = Path(destination) if destination else path
        if text != model.text or destination:
            save_deck(target, text)
            click.echo(f"{project.rel(target)}: {len(files)} fence(s) now reference snippets")
        else:
            click.echo(f"{model.display_path}: nothing to extract")
    return Exit.FINDINGS if readable.failed else Exit.OK
