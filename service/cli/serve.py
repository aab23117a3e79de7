"""`tthc-monitor serve`, `scheduler` and `demo`."""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import signal
import subprocess
import sys
from typing import Any

import click
from waitress.server import BaseWSGIServer, create_server

from migrations import upgrade
from service.cli.context import AppContext, pass_app
from service.cli.db import backfill_columns, seed_reference_data
from service.config.secret_key import demo_key, serving_key
from service.ingest.runs import run_connector
from service.runtime import Runtime

log = logging.getLogger(__name__)


@click.command()
@click.option("--host", default=None, help="Address to listen on (default: [server] host).")
@click.option("--port", type=int, default=None, help="Port (default: [server] port).")
@pass_app
def serve(app: AppContext, host: str | None, port: int | None) -> None:
    """Serve the web app with waitress."""
    run_server(bind(app, host, port, serving_key(app.settings)))


def bind(app: AppContext, host: str | None, port: int | None, secret: str) -> BaseWSGIServer:
    """Build the app signing with `secret` and bind its socket, or stop naming --port."""
    from service.web import create_app, settle_heap

    server = app.config.server
    host, port = host or server.host, port or server.port
    web_app = create_app({**app.settings, "secret_key": secret})
    settle_heap()
    try:
        # The app alone decides which proxy's X-Forwarded-* to believe (service/web/proxy.py),
        # the same under gunicorn: waitress passes them through instead of dropping them.
        bound = create_server(web_app, host=host, port=port, threads=server.threads,
                              clear_untrusted_proxy_headers=False)
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror}; choose another port with "
            "--port (or [server] port)") from None
    for warning in plain_http_warnings(str(bound.effective_host), app.settings):
        log.warning(warning)
    return bound


def plain_http_warnings(host: str, settings: dict[str, Any]) -> list[str]:
    """What an operator should know before serving plain HTTP on `host`."""
    try:
        local = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    if local:
        return []
    said = [f"serving plain HTTP on {host}, beyond this machine: passwords and session "
            "cookies cross the network unencrypted; outside a closed office LAN put a TLS "
            "proxy in front (README, 'Vận hành')"]
    if settings["web"]["secure_cookies"] is True:
        said.append("[web] secure_cookies = true: browsers drop Secure cookies over plain "
                    "HTTP, so nobody reaching this address without TLS can sign in; use \"auto\"")
    return said


def run_server(server: BaseWSGIServer) -> None:
    """Serve until SIGTERM or Ctrl-C; both are a clean stop (exit code 0)."""
    # A process manager stops services with SIGTERM.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    click.echo(f"Serving on http://{server.effective_host}:{server.effective_port}/")
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


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
    public_url = demo_public_url(app.settings, host, port)
    # Bound before the back-fill: a busy port is known at once, not after minutes of work.
    server = bind(app, host, port, demo_key(app.settings))
    upgrade(runtime.engine)
    seed_reference_data(runtime)
    backfill_columns(runtime)
    for name in sorted(app.config.connectors):
        run = run_connector(runtime.sessions, runtime.connector(name), runtime.derive,
                            runtime.now())
        click.echo(f"{name}: {run.created} dossier(s) created, {run.updated} updated")
    _first_scan(runtime)
    _demo_account(runtime)
    worker = None
    if app.config.scheduler.enabled:
        argv = [sys.executable, "-m", "service.cli.run"]
        if app.path:
            argv += ["--config", app.path]
        worker = subprocess.Popen([*argv, "scheduler"],
                                  env={**os.environ, "TTHC_LOOKUP__PUBLIC_URL": public_url})
        click.echo(f"Scheduler started (process {worker.pid}).")
    # run_server turns SIGTERM into SystemExit, so the scheduler child is stopped below.
    try:
        run_server(server)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=10)


def demo_public_url(settings: dict[str, Any], host: str | None, port: int | None) -> str:
    """Fill an empty [lookup] public_url with the demo's own address, so receipts get a QR code.

    Only the demo does this: a real deployment names its public address, since one taken from
    requests would come from their Host header, which any client chooses.
    """
    lookup = settings["lookup"]
    if not lookup["public_url"]:
        server = settings["server"]
        host = host or server["host"]
        shown = "localhost" if host in ("0.0.0.0", "::", "") else host
        shown = f"[{shown}]" if ":" in shown else shown
        lookup["public_url"] = f"http://{shown}:{port or server['port']}"
        click.echo(f"[lookup] public_url is empty: receipts link to {lookup['public_url']}")
    return str(lookup["public_url"])


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
        codes = [unit.code for unit in runtime.config.units]
        user = create_user(session, "admin", password, "admin", codes, runtime.now(),
                           full_name="Quản trị (demo)", hasher=hasher_for(runtime.config.web))
        # Printed on a terminal (and kept in its scroll-back): usable once, to choose another.
        user.must_change_password = True
    click.echo(f"Demo account created: user 'admin', one-time password '{password}'; "
               "the first sign-in asks for a new one.")
