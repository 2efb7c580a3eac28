"""marpkit rule: what a code means, for every code marpkit can print."""

from __future__ import annotations

import click

from marpkit.findings import Exit, UsageError


@click.command("rule")
@click.argument("code", required=False)
def rule_cmd(code):
    """Explain a code (lint, check or build), or list them all."""
    from marpkit.codes import all_codes

    codes = all_codes()
    if code is None:
        for c in codes.values():
            click.echo(f"{c.code}  {c.name:<32} {c.severity:<8} {c.stage:<6} {c.summary}")
        return int(Exit.OK)
    found = codes.get(code.upper())
    if found is None:
        raise UsageError(f"unknown code {code!r} (see `marpkit rule` for the list)")
    click.echo(found.describe())
    return int(Exit.OK)
