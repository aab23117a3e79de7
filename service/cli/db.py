"""`tthc-monitor db …`: schema migrations and reference data."""

from __future__ import annotations

import click
from sqlalchemy import select

from migrations import upgrade
from service.cli.context import AppContext, pass_app
from service.dossiers.backfill import Backfilled, backfill
from service.models import Unit
from service.procedures import builtin_catalogue
from service.procedures.store import upsert_catalogue
from service.runtime import Runtime


@click.group("db")
def group() -> None:
    """Manage the database schema."""


@group.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@pass_app
def upgrade_command(app: AppContext, revision: str) -> None:
    """Apply migrations, then load configured units and the built-in procedure catalogue."""
    upgrade(app.runtime.engine, revision)
    if revision == "head":
        units, created = seed_reference_data(app.runtime)
        click.echo(f"Database at head; {units} unit(s) configured, {created} procedure(s) added.")
        filled = backfill_columns(app.runtime)
        if filled.late_apologies or filled.handling_times:
            click.echo(f"Filled in: {filled.late_apologies} late apology(ies) flagged, "
                       f"{filled.handling_times} handling time(s) stored.")
    else:
        click.echo(f"Database at {revision}.")


def backfill_columns(runtime: Runtime) -> Backfilled:
    """Fill the columns of recent revisions for rows stored before them (configured calendar)."""
    with runtime.sessions.begin() as session:
        return backfill(session, runtime.policy, runtime.now())


def seed_reference_data(runtime: Runtime) -> tuple[int, int]:
    """Insert configured units and catalogue procedures that are missing; return counts."""
    with runtime.sessions.begin() as session:
        known = set(session.scalars(select(Unit.code)))
        for unit in runtime.config.units:
            if unit.code not in known:
                session.add(Unit(code=unit.code, name=unit.name))
        session.flush()
        for unit in runtime.config.units:
            if unit.parent:
                row = session.scalar(select(Unit).where(Unit.code == unit.code))
                row.parent_id = session.scalar(select(Unit.id).where(Unit.code == unit.parent))
        created, _ = upsert_catalogue(session, builtin_catalogue())
    return len(runtime.config.units), created
