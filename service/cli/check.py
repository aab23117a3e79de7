"""`tthc-monitor check`: the preflight an operator runs before going live."""

from __future__ import annotations

import os

import click

from service.cli.context import AppContext, pass_app
from service.cli.preflight import run_checks


@click.command()
@pass_app
def check(app: AppContext) -> None:
    """Check configuration, database, secrets, e-mail, connectors, portal and clock."""
    runtime = app.runtime
    checks = run_checks(runtime, os.environ, runtime.now())
    for item in checks:
        click.echo(item.line())
    failed = [item.name for item in checks if item.level == "fail"]
    if failed:
        click.echo(f"{len(failed)} check(s) failed: {', '.join(failed)}", err=True)
        raise click.exceptions.Exit(1)
