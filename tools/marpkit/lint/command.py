"""`marpkit lint` and `marpkit rule` (click commands, loaded lazily by marpkit.cli)."""

from __future__ import annotations

from contextlib import ExitStack

import click

from marpkit.findings import exit_code
from marpkit.outputs.formats import FORMATS


@click.command("lint")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--fix", is_flag=True, help="Apply safe fixes in place (atomically).")
@click.option("--no-render", is_flag=True, help="Static rules only: no Marp, no browser.")
@click.option("--select", help="Comma-separated codes or prefixes to enable (e.g. MK2,MK401).")
@click.option("--ignore", help="Comma-separated codes or prefixes to disable.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
def lint_cmd(paths, fix, no_render, select, ignore, fmt):
    """Lint Marp decks (default: every deck in the slides folder)."""
    from marpkit.config import load_project
    from marpkit.lint.settings import load_settings
    from marpkit.model.load import deck_paths

    project = load_project()
    settings = load_settings(project.section("lint"), select, ignore)
    targets = deck_paths(project, list(paths))
    with ExitStack() as stack:
        session = False
        if not no_render and targets:
            from marpkit.lint import render as rendering

            # The browser starts (and loads Marp's engine) before the parser is
            # even imported: its start-up overlaps all of marpkit's own work.
            if rendering.wants_render(settings):
                session = stack.enter_context(rendering.start(project, settings))
        from marpkit.lint import engine
        from marpkit.lint.fix import fix_file
        from marpkit.outputs.formats import render

        result = engine.run(project, settings, targets, render=session)
    if fix:
        changed = []
        for ctx in result.decks:
            text = result.texts.get(ctx.path)
            mine = [f for f in result.findings if f.path == ctx.display]
            if text is not None and (applied := fix_file(ctx.path, text, mine)):
                changed.append((ctx.display, applied))
        for display, applied in changed:
            click.echo(f"Fixed {len(applied)} issue(s) in {display}:", err=True)
            for f in applied:
                click.echo(f"  - {f.description}", err=True)
        if changed:
            result = engine.run(project, settings, targets, render=not no_render)
    click.echo(render(result.findings, fmt))
    if not no_render:  # the index shows the full verdict, not a static-only one
        from marpkit.outputs import status

        status.record_run(project, "lint", result.findings, whole_course=not paths)
    return int(exit_code(result.findings))
