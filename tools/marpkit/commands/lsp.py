"""`marpkit lsp` (a click command, loaded lazily by marpkit.cli)."""

from __future__ import annotations

import click


@click.command("lsp")
@click.option("--stdio", is_flag=True, help="Talk over stdin/stdout (the default and only transport).")
def lsp_cmd(stdio):
    """Run the marpkit language server (diagnostics, fixes, navigation) for an editor."""
    import logging

    from marpkit.lsp.app import create_server

    # stdout carries the protocol: anything logged goes to stderr.
    logging.basicConfig(level=logging.WARNING, format="marpkit lsp: %(message)s")
    create_server().start_io()
    return 0
