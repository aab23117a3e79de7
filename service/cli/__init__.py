"""The `tthc-monitor` command line: the group, every sub-command on it, and `main`."""

from __future__ import annotations

import sys

import click
from sqlalchemy.exc import SQLAlchemyError

from service.cli import (
    backup,
    check,
    db,
    deadline,
    dossiers,
    imports,
    ingest,
    report,
    retention,
    scan,
    serve,
    sync,
    tokens,
    users,
)
from service.cli.context import cli
from service.config import ConfigError
from service.config.credentials import SecretError
from service.db import error_line

COMMANDS = (db.group, serve.serve, serve.scheduler, serve.demo, dossiers.procedures,
            dossiers.dossier, ingest.ingest, imports.import_files, imports.quarantine_group,
            imports.webhook_token, deadline.command, tokens.group, sync.sync, scan.scan,
            users.group, report.group, check.check,
            backup.backup, backup.restore, retention.prune)
for command in COMMANDS:
    cli.add_command(command)

__all__ = ["cli", "main"]


def main() -> None:
    """Entry point: run the CLI; configuration errors exit 2, other failures 1, in one line."""
    try:
        # Outside standalone mode click *returns* the code of a click.exceptions.Exit instead
        # of exiting with it: ignoring it made every failed command exit 0.
        code = cli.main(standalone_mode=False)
    except ConfigError as exc:
        click.echo(f"Configuration error: {exc}", err=True)
        sys.exit(2)
    except SQLAlchemyError as exc:
        click.echo(f"Database error: {error_line(exc)}", err=True)
        sys.exit(1)
    except SecretError as exc:
        click.echo(f"Secret error: {exc}", err=True)
        sys.exit(1)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except OSError as exc:
        # A file the command was told to read or write: say which and why, in one line.
        where = f": {exc.filename}" if exc.filename else ""
        click.echo(f"File error: {exc.strerror or exc}{where}", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    if isinstance(code, int) and code:
        sys.exit(code)

