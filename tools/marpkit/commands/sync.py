"""marpkit sync: fence bodies from snippet files, charts from checked runs."""

from __future__ import annotations

import click

from marpkit.check.output_fences import output_reader
from marpkit.commands import EachDeck
from marpkit.config import load_project
from marpkit.edits import apply_fixes
from marpkit.findings import Exit, print_findings
from marpkit.fsutil import atomic_write
from marpkit.model.load import deck_paths, save_deck
from marpkit.snippets.expand import DRIFT, sync_deck
from marpkit.snippets.store import SnippetStore


@click.command("sync")
@click.argument("decks", nargs=-1, type=click.Path())
@click.option("--check", is_flag=True,
              help="Change nothing; exit 1 if any fence has drifted or any chart is stale.")
def sync_cmd(decks, check):
    """Rewrite snippet fence bodies in DECKS from the snippet files, fill `output=`
    fences and draw `chart:` images from the last `marpkit check`."""
    from marpkit.charts.state import judge_deck
    from marpkit.check.output_fences import checked_runs

    project = load_project()
    store = SnippetStore(project.snippets_dir, project.cache_dir)
    checked = checked_runs(project)
    status = Exit.OK
    in_sync = 0
    paths = deck_paths(project, decks)
    readable = EachDeck(project, paths)
    for path, deck in readable:
        errors, drifted, _ = sync_deck(deck, store, output_reader(project, store))
        charts = judge_deck(project, deck, store, checked)
        # A chart that cannot be drawn (or is wrongly referenced) is an error like
        # an unresolved fence; one that can be redrawn is drift.
        errors += [j.finding for j in charts if j.finding is not None and j.drawn is None]
        redraw = [j for j in charts if j.drawn is not None]
        drifted += [(j.finding, j.finding.fix) for j in redraw]
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
            for judged in redraw:  # a write that fails is a WriteError: one line, exit 2
                atomic_write(judged.chart.image, judged.drawn.svg)
            if redraw:
                click.echo(f"{deck.display_path}: drew {len(redraw)} chart(s)")
            fences = [f for f in fixed if f.code == DRIFT]
            if fixed:
                text, _ = apply_fixes(deck.text, [fix for _, fix in drifted if fix is not None])
                save_deck(path, text)
                if fences:
                    click.echo(f"{deck.display_path}: synced {len(fences)} fence(s)")
            # An unclosed fence (its end would be a guess); a chart whose alt text
            # spans lines still gets its file, the alt is the presenter's to mend.
            stuck = [f for f in stuck if f.code == DRIFT]
            if stuck:
                print_findings(stuck)
                status = Exit.FINDINGS
        in_sync += not errors and not drifted
    if readable.failed:
        status = Exit.FINDINGS
    if in_sync == len(paths):  # nothing to do: say so rather than print nothing
        click.echo(f"{in_sync} deck{'s' if in_sync != 1 else ''} in sync")
    return status
