"""`marpkit lint` (a click command, loaded lazily by marpkit.cli)."""

from __future__ import annotations

from contextlib import ExitStack

import click

from marpkit.findings import exit_code
from marpkit.outputs.formats import FORMATS


@click.command("lint")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--fix", is_flag=True, help="Apply safe fixes in place (atomically).")
@click.option("--render/--no-render", default=None,
              help="--no-render: static rules only, no Marp, no browser. --render: rendered rules "
                   "are required, exit 2 if this machine cannot render (for CI). Default: render "
                   "when a browser and Marp's engine are installed.")
@click.option("--select", help="Comma-separated codes or prefixes to enable (e.g. MK2,MK401).")
@click.option("--ignore", help="Comma-separated codes or prefixes to disable.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
def lint_cmd(paths, fix, render, select, ignore, fmt):
    """Lint Marp decks (default: every deck in the slides folder)."""
    from marpkit.config import load_project
    from marpkit.lint.settings import load_settings
    from marpkit.model.load import deck_paths

    project = load_project()
    settings = load_settings(project.section("lint"), select, ignore)
    targets = deck_paths(project, list(paths))
    rendered = render is not False
    with ExitStack() as stack:
        session = False
        if rendered and targets:
            from marpkit.lint import render as rendering

            # The browser starts (and loads Marp's engine) before the parser is
            # even imported: its start-up overlaps all of marpkit's own work.
            if rendering.wants_render(settings):
                try:
                    session = stack.enter_context(rendering.start(project, settings, targets))
                except rendering.RenderUnavailable as exc:
                    if render:  # asked for explicitly (CI): a machine that cannot render fails
                        raise
                    # As the build does without a browser: the static verdict,
                    # and one line saying what was left out and how to get it.
                    click.echo(f"marpkit: rendered rules (MK5xx) skipped: {exc.reason} "
                               "(--render makes this an error)", err=True)
                    rendered = False
        from marpkit.lint import engine
        from marpkit.lint.fix import fix_file
        from marpkit.outputs.formats import render as render_findings

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
            result = engine.run(project, settings, targets, render=rendered)
    click.echo(render_findings(result.findings, fmt))
    if rendered:  # the index shows the full verdict, not a static-only one
        from marpkit.outputs import status

        status.record_run(project, "lint", result.findings, whole_course=not paths)
    return int(exit_code(result.findings))
