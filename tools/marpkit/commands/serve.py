"""marpkit serve: live preview that follows slides, snippets and themes."""

from __future__ import annotations

import click

from marpkit.config import load_project
from marpkit.findings import UsageError
from marpkit.serve.preview import DEFAULT_HOST, DEFAULT_PORT, serve


@click.command("serve")
@click.option("--port", type=click.IntRange(1, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port for the preview server.")
@click.option("--host", default=DEFAULT_HOST, show_default=True,
              help="Address to listen on; 0.0.0.0 shows the preview to your whole network.")
def serve_cmd(port, host):
    """Live preview: serve expanded decks and reload open pages when slides or snippets change."""
    project = load_project()
    if not project.slides_dir.is_dir():
        raise UsageError("no slides/ folder here: run marpkit from a course project")
    return serve(project, port, host)
