"""`tthc-monitor prune`: apply [retention] now, as the nightly job does."""

from __future__ import annotations

import click

from service.cli.context import AppContext, pass_app
from service.retention import RetentionOptions, apply_retention


@click.command("prune")
@click.option("--dry-run", is_flag=True, help="Count what would go, change nothing.")
@pass_app
def prune(app: AppContext, dry_run: bool) -> None:
    """Prune old runs, outbox rows and alerts; mask applicants of long-finished dossiers."""
    runtime = app.runtime
    with runtime.sessions() as session:
        report = apply_retention(session, runtime.now(),
                                 RetentionOptions.from_settings(app.config))
        if dry_run:
            session.rollback()
        else:
            session.commit()
    click.echo(("would be " if dry_run else "") + report.describe())
