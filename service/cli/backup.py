"""`tthc-monitor backup FILE` and `tthc-monitor restore FILE`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from service import backup as backups
from service.cli.context import AppContext, pass_app
from service.health import scheduler_state


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def backup(app: AppContext, file: Path) -> None:
    """Copy the whole database to FILE while the services keep running."""
    try:
        click.echo(backups.backup(app.config.database_url, file))
    except (backups.BackupError, OSError) as exc:
        raise click.ClickException(str(exc)) from None


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
@click.option("--force", is_flag=True, help="Restore even while a scheduler holds the lease.")
@pass_app
def restore(app: AppContext, file: Path, yes: bool, force: bool) -> None:
    """Replace the whole database with FILE (made by `backup`); stop the services first."""
    runtime = app.runtime
    lease = dt.timedelta(seconds=app.config.scheduler.lease_seconds)
    with runtime.sessions() as session:
        try:
            running = scheduler_state(session, runtime.now(), lease).state == "ok"
        except Exception:  # noqa: BLE001 - an empty or foreign database has no lease table
            running = False
    if running and not force:
        raise click.ClickException("a scheduler is running on this database: stop the "
                                   "services first (or pass --force)")
    if not yes:
        click.confirm(f"Replace everything in the database with {file}?", abort=True)
    runtime.engine.dispose()
    try:
        click.echo(backups.restore(app.config.database_url, file))
    except (backups.BackupError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
