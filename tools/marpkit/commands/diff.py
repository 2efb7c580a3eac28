"""marpkit diff: which slides a change changed, and how they look before and after."""

from __future__ import annotations

from pathlib import Path

import click

from marpkit.config import load_project
from marpkit.findings import Exit, print_findings


@click.command("diff")
@click.argument("rev", required=False)
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "md", "json"]), default="text",
              show_default=True, help="The summary on stdout (md: for $GITHUB_STEP_SUMMARY).")
@click.option("--exit-code", is_flag=True, help="Exit 1 when any slide changed, like `git diff --exit-code`.")
def diff_cmd(rev, paths, fmt, exit_code):
    """Compare the slides at REV (default: the merge base with the default
    branch) with the working tree's, slide by slide; write build/diff/index.html."""
    from marpkit.diff import report
    from marpkit.diff.pipeline import run_diff, scratch_dir

    project = load_project()
    if rev is not None and _is_path(rev):
        rev, paths = None, (rev, *paths)
    with scratch_dir() as scratch:
        result = run_diff(project, rev, tuple(paths), Path(scratch))
        target = project.build_dir / "diff" / "index.html"
        report.html(result, target)
    if fmt != "json":  # JSON carries them itself
        print_findings(result.findings)
    out = {"text": report.text, "md": report.markdown, "json": report.as_json}[fmt](result)
    click.echo(out)
    if fmt == "text":
        click.echo(f"report: {project.rel(target)}")
    if result.findings:
        return Exit.FINDINGS
    return Exit.FINDINGS if exit_code and result.changed else Exit.OK


def _is_path(arg: str) -> bool:
    """`marpkit diff slides/x.md`: a deck, not a revision (as `git diff FILE` reads it)."""
    return Path(arg).exists()
