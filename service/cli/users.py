"""`tthc-monitor user add|list|password|unlock|disable`: accounts of the clerks' web app."""

from __future__ import annotations

import datetime as dt

import click
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from service.cli.context import AppContext, pass_app
from service.models import Role, User
from service.users.accounts import UserError, create_user, hasher_for, set_password, unlock

ROLES = [role.value for role in Role]


def _password() -> str:
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@click.group("user")
def group() -> None:
    """Manage web app users."""


@group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True,
              help="admin: everything; clerk: the centre; head: one handling body; "
                   "viewer: read-only leadership.")
@click.option("--unit", "units", multiple=True, metavar="CODE",
              help="Unit the user may see; repeat for several (not needed for admin).")
@click.option("--handler", default=None,
              help="For a head: the handling body's name as dossiers record it.")
@click.option("--full-name", default="", help="Name shown in pages and the audit log.")
@pass_app
def add(app: AppContext, name: str, role: str, units: tuple[str, ...], handler: str | None,
        full_name: str) -> None:
    """Create a user; the password is asked for twice and never echoed.

    It needs 10 characters or more, not the user name, not a common password.
    """
    password = _password()
    try:
        with app.runtime.sessions.begin() as session:
            user = create_user(session, name, password, role, list(units), app.runtime.now(),
                               full_name=full_name, handler=handler,
                               hasher=hasher_for(app.config.web))
            summary = f"User {user.username!r} ({user.role.value}) created"
    except UserError as exc:
        hint = " (run `tthc-monitor db upgrade` to load the configured units)" \
            if "unknown unit" in str(exc) else ""
        raise click.ClickException(f"{exc}{hint}") from None
    click.echo(f"{summary} for {', '.join(units) or 'every unit'}.")


@group.command("list")
@pass_app
def list_users(app: AppContext) -> None:
    """List users with role, units and state (never password hashes)."""
    now = app.runtime.now()
    with app.runtime.sessions() as session:
        users = session.scalars(select(User).options(selectinload(User.units))
                                .order_by(User.username)).all()
        lines = [f"{u.username}\t{u.role.value}\t{','.join(x.code for x in u.units) or '*'}"
                 f"\t{u.handler or ''}\t{_state(u, now)}" for u in users]
    click.echo("\n".join(lines) if lines else "No users.")


def _state(user: User, now: dt.datetime) -> str:
    if not user.active:
        return "disabled"
    if user.locked_until is not None and user.locked_until > now:
        return f"locked until {user.locked_until.isoformat(timespec='seconds')}"
    return "active"


def _find(session: object, name: str) -> User:
    user = session.scalar(  # type: ignore[attr-defined]
        select(User).where(func.lower(User.username) == name.lower()))
    if user is None:
        raise click.ClickException(f"no user {name!r}")
    return user


@group.command("password")
@click.argument("name")
@pass_app
def password(app: AppContext, name: str) -> None:
    """Set a new password; the user's open sessions end."""
    new = _password()
    try:
        with app.runtime.sessions.begin() as session:
            set_password(_find(session, name), new, hasher_for(app.config.web))
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Password of {name!r} changed.")


@group.command("unlock")
@click.argument("name")
@pass_app
def unlock_command(app: AppContext, name: str) -> None:
    """Lift a lockout after failed sign-ins; the user may try their password again at once."""
    with app.runtime.sessions.begin() as session:
        unlock(_find(session, name))
    click.echo(f"User {name!r} unlocked.")


@group.command("disable")
@click.argument("name")
@pass_app
def disable(app: AppContext, name: str) -> None:
    """Disable an account; it can no longer sign in and its sessions end."""
    with app.runtime.sessions.begin() as session:
        _find(session, name).active = False
    click.echo(f"User {name!r} disabled.")
