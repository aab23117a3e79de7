"""`tthc-monitor ingest [CONNECTOR]`: one ingest cycle, with its counts."""

from __future__ import annotations

import click

from connectors.base import ConnectorError
from jobs.watch_folder import drain_folder, watched_connectors
from service.cli.context import AppContext, pass_app
from service.db import error_line
from service.ingest.runs import describe_run, run_connector


@click.command()
@click.argument("connector", required=False)
@pass_app
def ingest(app: AppContext, connector: str | None) -> None:
    """Run one ingest cycle for CONNECTOR (default: every configured connector)."""
    configured = app.config.connectors
    names = [connector] if connector else sorted(configured)
    if connector and connector not in configured:
        raise click.ClickException(
            f"no connector {connector!r} in the configuration; configured: "
            f"{', '.join(sorted(configured)) or 'none'}")
    failed = False
    runtime = app.runtime
    watched = watched_connectors(runtime)
    for name in names:
        try:
            if name in watched:
                # As the scheduler's job does: a bad file goes to failed/ with its reason
                # file and the files behind it are still imported.
                runs = drain_folder(runtime, name, runtime.now(), strict=True)
            else:
                runs = [run_connector(runtime.sessions, runtime.connector(name),
                                      runtime.derive, runtime.now())]
        except (ConnectorError, Exception) as exc:  # noqa: BLE001 - reported, then exit 1
            click.echo(f"{name}: failed: {error_line(exc)}", err=True)
            failed = True
            continue
        for run in runs:
            click.echo(describe_run(run))
    if failed:
        raise click.exceptions.Exit(1)
