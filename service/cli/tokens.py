"""`tthc-monitor token create|list|revoke`: bearer tokens for the REST API."""

from __future__ import annotations

import click
from sqlalchemy import select

from service.cli.context import AppContext, pass_app
from service.models import ApiToken
from service.users.tokens import SCOPES, TokenError, issue_token, revoke_token


@click.group("token")
def group() -> None:
    """Manage API tokens."""


@group.command("create")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(SCOPES), default=["read"],
              show_default=True, help="Scope granted; repeat for several. admin implies all.")
@pass_app
def create(app: AppContext, name: str, scopes: tuple[str, ...]) -> None:
    """Create a token and print its secret, which is shown only this once."""
    try:
        with app.runtime.sessions.begin() as session:
            token, raw = issue_token(session, name, list(scopes), app.runtime.now())
            granted = token.scopes
    except TokenError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Token {name!r} ({granted}) created. Keep this secret; it is not stored:",
               err=True)
    click.echo(raw)


@group.command("list")
@pass_app
def list_tokens(app: AppContext) -> None:
    """List tokens with their scopes and state (never their secrets)."""
    with app.runtime.sessions() as session:
        tokens = session.scalars(select(ApiToken).order_by(ApiToken.name)).all()
    if not tokens:
        click.echo("No tokens.")
    for token in tokens:
        used = token.last_used_at.isoformat(timespec="minutes") if token.last_used_at else "never"
        state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
        click.echo(f"{token.name}\t{token.scopes}\tcreated {token.created_at:%Y-%m-%d}"
                   f"\tlast used {used}\t{state}")


@group.command("revoke")
@click.argument("name")
@pass_app
def revoke(app: AppContext, name: str) -> None:
    """Revoke a token; requests carrying it are refused from now on."""
    try:
        with app.runtime.sessions.begin() as session:
            revoke_token(session, name, app.runtime.now())
    except TokenError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Token {name!r} revoked.")
