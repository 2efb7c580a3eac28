"""marpkit inspect: how Marp splits a deck into slides."""

from __future__ import annotations

import json

import click

from marpkit.config import load_project
from marpkit.findings import Exit, print_findings
from marpkit.model.deck import Deck
from marpkit.model.load import Unreadable, deck_paths, open_deck


def deck_summary(deck: Deck) -> dict:
    return {
        "path": deck.display_path,
        "marp": deck.is_marp,
        "global_directives": deck.global_directives,
        "heading_divider": deck.heading_divider,
        "slides": [
            {
                "index": slide.index,
                "start_line": slide.start_line,
                "end_line": slide.end_line,
                "title": slide.title,
                "directives": slide.directives,
                "headings": [{"level": h.level, "text": h.text, "line": h.line}
                             for h in slide.headings],
                "code_blocks": [
                    {"line": b.line, "lang": b.lang or None, "info": b.info or None,
                     "snippet": b.snippet, "output": b.output}
                    for b in slide.code_blocks
                ],
                "images": [{"src": i.src, "alt": i.alt, "line": i.line} for i in slide.images],
                "notes": slide.notes,
            }
            for slide in deck.slides
        ],
    }


@click.command("inspect")
@click.argument("decks", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def inspect_cmd(decks, fmt):
    """Show how Marp splits DECKS (default: every deck in the slides folder) into slides,
    with directives and code blocks."""
    project = load_project()
    summaries, unreadable = [], []
    for path in deck_paths(project, decks):
        try:
            summaries.append(deck_summary(open_deck(project, path)))
        except Unreadable as exc:  # said, and the other decks are still shown
            unreadable.append(exc.finding)
    status = Exit.FINDINGS if unreadable else Exit.OK
    if fmt == "json":
        # stdout stays one JSON document; what could not be read goes to stderr.
        for finding in unreadable:
            click.echo(finding.format(), err=True)
        if summaries:
            click.echo(json.dumps(summaries[0] if len(summaries) == 1 else summaries,
                                  indent=2, ensure_ascii=False))
        return status
    print_findings(unreadable)
    for summary in summaries:
        click.echo(f"{summary['path']}: {len(summary['slides'])} slides")
        for slide in summary["slides"]:
            title = slide["title"] or "(untitled)"
            click.echo(f"  {slide['index']:>3}  lines {slide['start_line']}-{slide['end_line']}"
                       f"  {title}")
            for block in slide["code_blocks"]:
                ref = f"  -> {block['snippet']}" if block["snippet"] else ""
                click.echo(f"         line {block['line']}: ```{block['lang'] or ''}{ref}")
    return status
