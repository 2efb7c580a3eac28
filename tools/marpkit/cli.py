"""Command-line entry point.

Subcommands live in their own modules and are imported only when invoked, so
that `marpkit inspect`, `sync` and static `lint` start without loading wandb
or rich (tests/project/test_layout.py also keeps playwright out).
"""

from __future__ import annotations

import importlib
import sys

import click

from marpkit import __version__
from marpkit.findings import Exit, UsageError

# name -> "module:attribute" of a click.Command
COMMANDS = {
    "inspect": "marpkit.commands.inspect:inspect_cmd",
    "sync": "marpkit.commands.sync:sync_cmd",
    "extract": "marpkit.commands.extract:extract_cmd",
    "build": "marpkit.commands.build:build_cmd",
    "check": "marpkit.commands.check:check_cmd",
    "lint": "marpkit.commands.lint:lint_cmd",
    "rule": "marpkit.commands.rule:rule_cmd",
    "serve": "marpkit.commands.serve:serve_cmd",
    "new": "marpkit.commands.new:new_cmd",
    "lsp": "marpkit.commands.lsp:lsp_cmd",
    "diff": "marpkit.commands.diff:diff_cmd",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="marpkit")
def cli():
    """Keep Marp course decks honest: lint, check, sync and build them."""


def main(argv: list[str] | None = None) -> None:
    from marpkit.fsutil import shown
    from marpkit.procs import command_scope

    try:
        # Whatever marpkit, Node or wandb-core put in TMPDIR goes when the
        # command ends, and so does every child still running, even if
        # marpkit itself is killed.
        with command_scope():
            code = cli.main(args=argv, prog_name="marpkit", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(Exit.USAGE)
    except UsageError as exc:
        click.echo(f"marpkit: error: {exc}", err=True)
        sys.exit(Exit.USAGE)
    except OSError as exc:  # a disk or folder problem, not a bug to trace
        where = f"{shown(exc.filename)}: " if exc.filename else ""
        click.echo(f"marpkit: error: {where}{exc.strerror or exc}", err=True)
        sys.exit(Exit.USAGE)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(int(code or 0))
