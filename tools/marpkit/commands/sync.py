"""marpkit sync: fence bodies from snippet files."""

from __future__ import annotations

import click

from marpkit.check.output_fences import output_reader
from marpkit.commands import EachDeck
from marpkit.config import load_project
from marpkit.findings import Exit, print_findings
from marpkit.model.load import deck_paths, save_deck
from marpkit.snippets.expand import sync_deck
from marpkit.snippets.store import SnippetStore


@click.command("sync")
@click.argument("decks", nargs=-1, type=click.Path())
@click.option("--check", is_flag=True, help="Change nothing; exit 1 if any fence has drifted.")
def sync_cmd(decks, check):
    """Rewrite snippet fence bodies in DECKS from the snippet files."""
    project = load_project()
    store = SnippetStore(project.snippets_dir, project.cache_dir)
    status = Exit.OK
    in_sync = 0
    paths = deck_paths(project, decks)
    readable = EachDeck(project, paths)
    for path, deck in readable:
        errors, drifted, text = sync_deck(deck, store, output_reader(project, store))
        print_findings(errors)
        if errors:
            status = Exit.FINDINGS
        if check:
            print_findings([finding for finding, _ in drifted])
            if drifted:
                status = Exit.FINDINGS
        elif drifted:
            fixed = [finding for finding, fix in drifted if fix is not None]
            stuck = [finding for finding, fix in drifted if fix is None]
            if fixed:
                save_deck(path, text)
                click.echo(f"{deck.display_path}: synced {len(fixed)} fence(s)")
            if stuck:  # an unclosed fence: its end would be a guess
                print_findings(stuck)
                status = Exit.FINDINGS
        in_sync += not errors and not drifted
    if readable.failed:
        status = Exit.FINDINGS
    if in_sync == len(paths):  # nothing to do: say so rather than print nothing
        click.echo(f"{in_sync} deck{'s' if in_sync != 1 else ''} in sync")
    return status
