"""`tthc-monitor procedures import` and `tthc-monitor dossier show`."""

from __future__ import annotations

import json
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from service.cli.context import AppContext, pass_app
from service.dossiers.views import dossier_summary
from service.models import Dossier
from service.procedures import CatalogueError, read_catalogue
from service.procedures.store import upsert_catalogue


@click.group()
def procedures() -> None:
    """Manage the procedure catalogue."""


@procedures.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_app
def import_procedures(app: AppContext, file: Path) -> None:
    """Import or update procedures from a CSV or XLSX file with the catalogue's columns."""
    try:
        specs = read_catalogue(file)
    except CatalogueError as exc:
        raise click.ClickException(str(exc)) from None
    with app.runtime.sessions.begin() as session:
        created, updated = upsert_catalogue(session, specs)
    click.echo(f"{len(specs)} procedure(s) read: {created} created, {updated} updated.")


@click.group()
def dossier() -> None:
    """Inspect dossiers."""


@dossier.command("show")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@pass_app
def show(app: AppContext, code: str, as_json: bool) -> None:
    """Show one dossier, its deadline and its history."""
    with app.runtime.sessions() as session:
        row = session.scalar(select(Dossier).where(Dossier.code == code).options(
            selectinload(Dossier.events), selectinload(Dossier.procedure),
            selectinload(Dossier.unit)))
        if row is None:
            raise click.ClickException(f"no dossier with code {code}")
        summary = dossier_summary(row, app.config.timezone, app.runtime.now())
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    for key, value in summary.items():
        if key != "history":
            click.echo(f"{key}: {value}")
    click.echo("history:")
    for line in summary["history"]:
        click.echo(f"  {line['at']}  {line['status']}  {line['note'] or ''}")
