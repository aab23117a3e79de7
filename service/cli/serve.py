"""`tthc-monitor serve`, `scheduler` and `demo`."""

from __future__ import annotations

import secrets
import signal
import subprocess
import sys

import click

from migrations import upgrade
from service.cli.context import AppContext, pass_app
from service.cli.db import backfill_columns, seed_reference_data
from service.ingest.runs import run_connector
from service.runtime import Runtime


@click.command()
@click.option("--host", default=None, help="Address to listen on (default: [server] host).")
@click.option("--port", type=int, default=None, help="Port (default: [server] port).")
@pass_app
def serve(app: AppContext, host: str | None, port: int | None) -> None:
    """Serve the web app with waitress."""
    from waitress import serve as waitress_serve

    from service.web import create_app

    server = app.settings["server"]
    host, port = host or server["host"], port or server["port"]
    click.echo(f"Serving on http://{host}:{port}/")
    waitress_serve(create_app(app.settings), host=host, port=port, threads=server["threads"])


@click.command()
@pass_app
def scheduler(app: AppContext) -> None:
    """Run the scheduled jobs in this process (one process per deployment)."""
    from jobs.scheduler import run_scheduler

    run_scheduler(app.runtime)


@click.command()
@click.option("--host", default=None, help="Address to listen on.")
@click.option("--port", type=int, default=None, help="Port.")
@pass_app
def demo(app: AppContext, host: str | None, port: int | None) -> None:
    """Upgrade the database, back-fill from the connectors, then serve with the scheduler."""
    runtime = app.runtime
    upgrade(runtime.engine)
    seed_reference_data(runtime)
    backfill_columns(runtime)
    for name in sorted(app.settings["connectors"]):
        run = run_connector(runtime.sessions, runtime.connector(name), runtime.derive,
                            runtime.now())
        click.echo(f"{name}: {run.created} dossier(s) created, {run.updated} updated")
    _first_scan(runtime)
    _demo_account(runtime)
    worker = None
    if app.settings["scheduler"]["enabled"]:
        argv = [sys.executable, "-m", "service.cli.run"]
        if app.path:
            argv += ["--config", app.path]
        worker = subprocess.Popen([*argv, "scheduler"])
        click.echo(f"Scheduler started (process {worker.pid}).")
    # A plain SIGTERM (e.g. from a process manager) must still stop the scheduler child.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        click.get_current_context().invoke(serve, host=host, port=port)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=10)


def _first_scan(runtime: Runtime) -> None:
    """Classify the back-filled dossiers now, so the dashboard is complete on first load."""
    from jobs.scan import scan_and_raise

    with runtime.sessions() as session:
        outcome = scan_and_raise(session, runtime, runtime.now())
        session.commit()
    click.echo(f"Deadline scan: {len(outcome.scan.transitions)} dossier(s) classified.")


def _demo_account(runtime: Runtime) -> None:
    """Create an admin account on an empty user table and print its password once."""
    from sqlalchemy import func, select

    from service.models import User
    from service.users.accounts import create_user, hasher_for

    with runtime.sessions.begin() as session:
        if session.scalar(select(func.count()).select_from(User)):
            return
        password = secrets.token_urlsafe(9)
        codes = [unit["code"] for unit in runtime.settings["units"]]
        create_user(session, "admin", password, "admin", codes, runtime.now(),
                    full_name="Quản trị (demo)", hasher=hasher_for(runtime.settings))
    click.echo(f"Demo account created: user 'admin', password '{password}' "
               "(change it with `tthc-monitor user password admin`).")
